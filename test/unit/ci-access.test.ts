import { describe, expect, it } from "vitest";
import { runStack, stackConfig } from "../harness";

const inputs = (r: { inputs: unknown }) => r.inputs as any;
const statements = (policy: string) => JSON.parse(policy).Statement as any[];
const actions = (s: any) => [s.Action].flat() as string[];

describe("CI access by OIDC federation", () => {
  it("prod: the deploy role trusts only the production environment of the repository, the preview role only preview-prod", async () => {
    const run = await runStack("prod");
    const trust = (name: string) => statements(inputs(run.one("aws:iam/role:Role", name)).assumeRolePolicy)[0];
    for (const [role, environment] of [
      ["ci-deploy", "production"],
      ["ci-preview", "preview-prod"],
    ] as const) {
      expect(trust(role)).toEqual({
        Effect: "Allow",
        Principal: { Federated: "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com" },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            "token.actions.githubusercontent.com:sub": `repo:blacklake/platform:environment:${environment}`,
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
          },
        },
      });
    }
    // The account's provider is named, never declared: a second stack declaring it would fail with EntityAlreadyExists.
    expect(run.ofType("aws:iam/openIdConnectProvider:OpenIdConnectProvider")).toEqual([]);
    expect(inputs(run.one("aws:iam/role:Role", "ci-deploy")).path).toBe("/blacklake-ci/prod/");
  });

  it("the preview role reads this stack's state, takes its lock and decrypts; it writes nothing else", async () => {
    const run = await runStack("prod");
    const policy = statements(inputs(run.one("aws:iam/rolePolicy:RolePolicy", "ci-preview")).policy);
    const writes = policy.filter((s) => actions(s).some((a) => /Put|Delete|Create|Encrypt/.test(a)));
    expect(writes).toEqual([expect.objectContaining({ Sid: "TakeStackLock", Resource: "arn:aws:s3:::blacklake-pulumi-state-111122223333/.pulumi/locks/blacklake/prod/*" })]);
    const state = "arn:aws:s3:::blacklake-pulumi-state-111122223333";
    expect(policy.find((s) => s.Sid === "ReadOwnState").Resource).toEqual([
      `${state}/.pulumi/meta.yaml`,
      `${state}/.pulumi/stacks/blacklake/prod.json*`,
      `${state}/.pulumi/history/blacklake/prod/*`,
      `${state}/.pulumi/backups/blacklake/prod/*`,
      `${state}/.pulumi/locks/blacklake/prod/*`,
    ]);
    // Located without a prefix condition (GetBucketLocation has no s3:prefix, so one would never match).
    expect(policy.find((s) => s.Sid === "LocateState")).toEqual({ Sid: "LocateState", Effect: "Allow", Action: "s3:GetBucketLocation", Resource: state });
    const aliasOf = (sid: string) => policy.find((s) => s.Sid === sid).Condition["ForAnyValue:StringEquals"]["kms:ResourceAliases"];
    expect(aliasOf("DecryptStackSecrets")).toBe("alias/blacklake-prod-pulumi");
    expect(aliasOf("StateBucketKey")).toBe("alias/blacklake-pulumi-state");
  });

  it("the deploy role manages only this stack's resources, by exact bucket name and IAM path, with no wildcard actions", async () => {
    const run = await runStack("prod");
    const policy = statements(inputs(run.one("aws:iam/rolePolicy:RolePolicy", "ci-deploy")).policy);
    const bySid = Object.fromEntries(policy.map((s) => [s.Sid, s]));
    // Not "blacklake-*", which matched staging's buckets and the state bucket too; and only read:
    // the buckets' policy, lifecycle and lock are an administrator's (rewriting the policy would grant the objects).
    expect(bySid.ReadStackBuckets.Resource).toEqual([
      "arn:aws:s3:::blacklake-offsite-backups",
      "arn:aws:s3:::blacklake-offsite-backups-access-logs",
      "arn:aws:s3:::blacklake-offsite-backups-replica",
      "arn:aws:s3:::blacklake-offsite-backups-replica-access-logs",
    ]);
    expect(actions(bySid.ReadStackBuckets).every((a) => a.startsWith("s3:Get"))).toBe(true);
    expect(policy.flatMap((s) => (s.Effect === "Allow" ? actions(s) : [])).filter((a) => /^s3:(Put|Delete)Bucket|^s3:PutLifecycle/.test(a))).toEqual([]);
    expect(bySid.ManageStackIdentities.Resource).toEqual(["arn:aws:iam::111122223333:role/blacklake/prod/*", "arn:aws:iam::111122223333:user/blacklake/prod/*"]);
    expect(bySid.StackRepositories.Resource).toBe("arn:aws:ecr:*:111122223333:repository/blacklake/*");
    expect(bySid.PassReplicationRole.Condition).toEqual({ StringEquals: { "iam:PassedToService": "s3.amazonaws.com" } });
    for (const s of policy.filter((s) => s.Effect === "Allow")) {
      for (const a of actions(s)) expect(a, s.Sid).not.toMatch(/^\*$|:\*$/);
    }
  });

  it("the session issuer, not the sts ARN, is the deployer the buckets admit: a CI session keeps its access", async () => {
    // The CI deploy role's own session, as GitHub Actions' OIDC login makes it.
    const caller = {
      arn: "arn:aws:sts::111122223333:assumed-role/blacklake-ci-deploy/GitHubActions",
      roleArn: "arn:aws:iam::111122223333:role/blacklake-ci/prod/blacklake-ci-deploy",
    };
    const run = await runStack("prod", undefined, caller);
    const policy = statements(inputs(run.one("aws:s3/bucketPolicy:BucketPolicy", "offsite-policy")).policy);
    const admitted = policy.find((s) => s.Sid === "DenyOutsidePlatform").Condition.StringNotLike["aws:PrincipalArn"] as string[];
    // AWS sets aws:PrincipalArn of that session to the role's ARN: listed, the deny spares it.
    expect(admitted).toContain(caller.roleArn);
    expect(admitted).not.toContain(caller.arn);
  });

  it("an IAM user deploying is admitted by its own ARN (getSessionContext passes it through)", async () => {
    const caller = { arn: "arn:aws:iam::111122223333:user/ops/jane" };
    const run = await runStack("prod", undefined, caller);
    const policy = statements(inputs(run.one("aws:s3/bucketPolicy:BucketPolicy", "offsite-policy")).policy);
    expect(policy.find((s) => s.Sid === "DenyOutsidePlatform").Condition.StringNotLike["aws:PrincipalArn"]).toContain(caller.arn);
  });

  it("staging's roles trust the same account provider for staging's environment, under staging's path", async () => {
    const config = stackConfig("staging");
    const run = await runStack("staging", config);
    expect(run.ofType("aws:iam/openIdConnectProvider:OpenIdConnectProvider")).toEqual([]);
    const trust = statements(inputs(run.one("aws:iam/role:Role", "ci-deploy")).assumeRolePolicy)[0];
    expect(trust.Principal.Federated).toBe("arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com");
    expect(inputs(run.one("aws:iam/role:Role", "ci-deploy")).path).toBe("/blacklake-ci/staging/");
    expect(trust.Condition.StringEquals["token.actions.githubusercontent.com:sub"]).toBe("repo:blacklake/platform:environment:staging");
    expect(inputs(run.one("aws:iam/role:Role", "ci-deploy")).name).toBe("blacklake-staging-ci-deploy");
  });

  it("dev declares no CI roles", async () => {
    const run = await runStack("dev");
    expect(run.ofType("aws:iam/role:Role")).toEqual([]);
  });
});
