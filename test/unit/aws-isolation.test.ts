import { describe, expect, it } from "vitest";
import { actionMatches, arnMatches } from "../../policies/iam";
import { MOCK_ACCOUNT } from "../../scripts/synth/mockRuntime";
import { type Registered, runStack, type StackName, stackConfig } from "../harness";

// Staging and prod share an account, a state bucket and an IAM namespace. This test reads
// every statement of one stack's CI roles and tries it, with IAM's matching rules, on
// every ARN the other stack owns: its roles, users and boundary, its buckets and their
// objects, its KMS keys (by their stack tag), its repositories, its secrets key (by alias)
// and its objects in the state bucket. A condition the test cannot decide from the
// resource alone (a request's tags, a prefix, a passed-to service) counts as met: a
// caller chooses those.

const inputs = (r: { inputs: unknown }) => r.inputs as any;

interface Owned {
  arn: string;
  tags?: Record<string, string>;
  aliases?: string[];
}

/** What a stack owns, by ARN: its declared resources, its secrets key and its state. */
function ownedBy(stack: StackName, run: Registered, values: any): Owned[] {
  const iam = (kind: string, type: string) =>
    run.ofType(type).map((r) => ({ arn: `arn:aws:iam::${MOCK_ACCOUNT}:${kind}${inputs(r).path ?? "/"}${inputs(r).name}`, tags: inputs(r).tags }));
  const regionOf = (r: { provider?: string }) => inputs(run.one("pulumi:providers:aws", r.provider!)).region;
  const buckets = run.ofType("aws:s3/bucket:Bucket").flatMap((r) => {
    const arn = `arn:aws:s3:::${inputs(r).bucket}`;
    return [{ arn }, { arn: `${arn}/pgbackrest/archive/db/16-1/0000000100000000/000000010000000000000001.gz` }, { arn: `${arn}/minio/pgbackrest/backup.info` }];
  });
  const keys = run.ofType("aws:kms/key:Key").map((r) => ({ arn: `arn:aws:kms:${regionOf(r)}:${MOCK_ACCOUNT}:key/${r.name}`, tags: inputs(r).tags }));
  const trails = run.ofType("aws:cloudtrail/trail:Trail").map((r) => ({ arn: `arn:aws:cloudtrail:${regionOf(r)}:${MOCK_ACCOUNT}:trail/${inputs(r).name}` }));
  const repositories = run.ofType("aws:ecr/repository:Repository").map((r) => ({ arn: `arn:aws:ecr:${regionOf(r)}:${MOCK_ACCOUNT}:repository/${inputs(r).name}` }));
  const state = `arn:aws:s3:::${values.aws.ciAccess.stateBucket}/.pulumi`;
  return [
    ...iam("role", "aws:iam/role:Role"),
    ...iam("user", "aws:iam/user:User"),
    ...iam("policy", "aws:iam/policy:Policy"),
    ...buckets,
    ...keys,
    ...repositories,
    ...trails,
    // Made by the administrator with the stack tag (docs/ci.md), so no stack can claim it by tagging.
    { arn: `arn:aws:kms:eu-west-1:${MOCK_ACCOUNT}:key/secrets-${stack}`, aliases: [values.aws.ciAccess.secretsKeyAlias], tags: { "blacklake:stack": stack } },
    { arn: `${state}/stacks/blacklake/${stack}.json` },
    { arn: `${state}/stacks/blacklake/${stack}.json.bak` },
    { arn: `${state}/history/blacklake/${stack}/${stack}-1733290000000000000.checkpoint.json` },
    { arn: `${state}/backups/blacklake/${stack}/${stack}.1733290000000000000.json` },
    { arn: `${state}/locks/blacklake/${stack}/5f7c0a1e.json` },
  ];
}

/** Whether a condition block can hold for a request on `resource`: the keys a resource decides, decided; the rest, met. */
function conditionMayHold(condition: Record<string, Record<string, unknown>> | undefined, resource: Owned): boolean {
  return Object.entries(condition ?? {}).every(([operator, tests]) =>
    Object.entries(tests).every(([key, expected]) => {
      const wanted = [expected].flat().map(String);
      const tag = /^aws:ResourceTag\/(.+)$/.exec(key);
      if (tag && operator === "StringEquals") return wanted.includes(resource.tags?.[tag[1]!] ?? "");
      if (tag && operator === "Null") return (resource.tags?.[tag[1]!] === undefined) === (wanted[0] === "true");
      if (key === "kms:ResourceAliases" && operator === "ForAnyValue:StringEquals") return (resource.aliases ?? []).some((a) => wanted.includes(a));
      return true;
    }),
  );
}

/**
 * Actions IAM's service reference lists with no resource type: they act on no ARN.
 * ecr:GetAuthorizationToken is the registry login; each push or pull it enables is
 * authorised again per repository by the ecr: grants, which the test does check;
 * kms:CreateKey makes a new key and touches none that exists; cloudtrail:DescribeTrails
 * lists the account's trails' settings and changes nothing.
 */
const WITHOUT_RESOURCE = ["ecr:GetAuthorizationToken", "kms:CreateKey", "cloudtrail:DescribeTrails"];

/** Whether one of the actions acts on the ARN's service (kms:Decrypt on a bucket does nothing). */
const actsOn = (actions: string[], arn: string) => actions.some((a) => a === "*" || (!WITHOUT_RESOURCE.includes(a) && a.split(":")[0] === arn.split(":")[2]));

/** The Allow statements of a policy that reach a resource of `others`, with the ARN each reaches. */
function reaches(statements: any[], others: Owned[]): string[] {
  return statements
    .filter((s) => s.Effect === "Allow")
    .flatMap((s) =>
      others
        .filter((o) => actsOn([s.Action].flat(), o.arn) && [s.Resource].flat().some((pattern: string) => arnMatches(pattern, o.arn)) && conditionMayHold(s.Condition, o))
        .map((o) => `${s.Sid}: ${o.arn}`),
    );
}

/** A stack with everything AWS switched on (staging gets prod's off-site section): its own buckets, keys, writers and trail. */
function everythingOn(stack: StackName) {
  const config = stackConfig(stack);
  const values = structuredClone(config.values) as any;
  values.aws.offsite = { ...structuredClone((stackConfig("prod").values as any).aws.offsite), cloudTrailDataEvents: true };
  return { ...config, values };
}

const ciPolicies = (run: Registered) =>
  ["ci-preview", "ci-deploy"].map((name) => ({ name, statements: JSON.parse(inputs(run.one("aws:iam/rolePolicy:RolePolicy", name)).policy).Statement as any[] }));

describe("per-stack isolation of the CI roles", () => {
  const pairs = [
    ["staging", "prod"],
    ["prod", "staging"],
  ] as const;

  it.each(pairs)("no statement of %s's CI roles reaches anything %s owns", async (from, to) => {
    const source = await runStack(from, everythingOn(from));
    const target = await runStack(to, everythingOn(to));
    const owned = ownedBy(to, target, everythingOn(to).values);
    expect(owned.length).toBeGreaterThan(15);
    for (const { name, statements } of ciPolicies(source)) expect(reaches(statements, owned), `${from} ${name}`).toEqual([]);
  });

  it("the same reading finds each stack's grants on its own resources (the matcher can match)", async () => {
    const run = await runStack("prod", everythingOn("prod"));
    const owned = ownedBy("prod", run, everythingOn("prod").values);
    const [, deploy] = ciPolicies(run);
    const reached = reaches(deploy!.statements, owned).map((r) => r.split(": ")[0]);
    for (const sid of [
      "WriteOwnState",
      "TakeStackLock",
      "ReadStackBuckets",
      "ManageStackIdentities",
      "ManageStackKeys",
      "StackRepositories",
      "DecryptStackSecrets",
      "StackTrail",
    ]) {
      expect(reached, sid).toContain(sid);
    }
    // The grant this replaces, every role under /blacklake/, reaches the other stack's roles.
    const old = [{ Sid: "PlatformIdentities", Effect: "Allow", Action: "iam:PutRolePolicy", Resource: `arn:aws:iam::${MOCK_ACCOUNT}:role/blacklake/*` }];
    expect(reaches(old, ownedBy("staging", await runStack("staging", everythingOn("staging")), everythingOn("staging").values))).not.toEqual([]);
  });

  it("the deploy role creates roles and users only with the stack's boundary, and may change no CI role or boundary", async () => {
    const run = await runStack("prod");
    const [, deploy] = ciPolicies(run);
    const boundary = `arn:aws:iam::${MOCK_ACCOUNT}:policy/blacklake-ci/prod/blacklake-workload-boundary`;
    const creating = deploy!.statements.filter((s) => s.Effect === "Allow" && [s.Action].flat().some((a: string) => /^iam:(Create(Role|User)|Put(Role|User)Policy)$/.test(a)));
    expect(creating.map((s) => s.Condition)).toEqual([{ ArnEquals: { "iam:PermissionsBoundary": boundary } }]);
    const denied = deploy!.statements.filter((s) => s.Effect === "Deny");
    const deniedOn = (action: string, arn: string) =>
      denied.some((s) => [s.Action].flat().some((a: string) => actionMatches(a, action)) && [s.Resource].flat().some((r: string) => arnMatches(r, arn)));
    for (const arn of [
      `arn:aws:iam::${MOCK_ACCOUNT}:role/blacklake-ci/prod/blacklake-ci-deploy`,
      `arn:aws:iam::${MOCK_ACCOUNT}:role/blacklake-ci/prod/blacklake-ci-preview`,
      `arn:aws:iam::${MOCK_ACCOUNT}:role/blacklake-ci/staging/blacklake-staging-ci-deploy`,
      boundary,
    ]) {
      for (const action of ["iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy", "iam:PassRole", "iam:CreatePolicyVersion", "iam:DeleteRole"]) {
        expect(deniedOn(action, arn), `${action} on ${arn}`).toBe(true);
      }
    }
    expect(deniedOn("iam:DeleteRolePermissionsBoundary", `arn:aws:iam::${MOCK_ACCOUNT}:role/blacklake/prod/anything`)).toBe(true);
    // What the deploy role creates carries the boundary.
    for (const r of [...run.ofType("aws:iam/role:Role"), ...run.ofType("aws:iam/user:User")].filter((r) => inputs(r).path === "/blacklake/prod/")) {
      expect(inputs(r).permissionsBoundary, r.name).toBe(boundary);
    }
    // And the boundary itself grants nothing in IAM, STS or KMS administration.
    const limits = JSON.parse(inputs(run.one("aws:iam/policy:Policy", "ci-workload-boundary")).policy).Statement as any[];
    expect(limits.flatMap((s) => [s.Action].flat()).filter((a: string) => /^(iam|sts):|^kms:(Put|Schedule|Create|Disable)/.test(a))).toEqual([]);
  });

  it("KMS keys are granted by the stack tag every key of the stack carries; CreateKey on '*' only with that tag in the request", async () => {
    const run = await runStack("prod");
    for (const key of run.ofType("aws:kms/key:Key")) expect(inputs(key).tags, key.name).toEqual({ "blacklake:stack": "prod" });
    const [, deploy] = ciPolicies(run);
    const create = deploy!.statements.find((s) => [s.Action].flat().includes("kms:CreateKey"));
    expect(create).toMatchObject({ Resource: "*", Condition: { StringEquals: { "aws:RequestTag/blacklake:stack": "prod" } } });
    const all = deploy!.statements.flatMap((s) => [s.Action].flat());
    expect(all).not.toContain("kms:PutKeyPolicy");
    expect(all).not.toContain("kms:ScheduleKeyDeletion");
  });
});
