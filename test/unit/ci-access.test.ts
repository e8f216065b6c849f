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
        Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            "token.actions.githubusercontent.com:sub": `repo:blacklake/platform:environment:${environment}`,
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
          },
        },
      });
    }
    const provider = inputs(run.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "ci-github"));
    expect(provider).toMatchObject({ url: "https://token.actions.githubusercontent.com", clientIdLists: ["sts.amazonaws.com"] });
  });

  it("the preview role reads state, takes the lock and decrypts; it writes nothing else", async () => {
    const run = await runStack("prod");
    const policy = statements(inputs(run.one("aws:iam/rolePolicy:RolePolicy", "ci-preview")).policy);
    const writes = policy.filter((s) => actions(s).some((a) => /Put|Delete|Create|Encrypt/.test(a)));
    expect(writes).toEqual([expect.objectContaining({ Sid: "TakeStackLock", Resource: "arn:aws:s3:::blacklake-pulumi-state-111122223333/.pulumi/locks/*" })]);
    const aliasOf = (sid: string) => policy.find((s) => s.Sid === sid).Condition["ForAnyValue:StringEquals"]["kms:ResourceAliases"];
    expect(aliasOf("DecryptStackSecrets")).toBe("alias/blacklake-prod-pulumi");
    expect(aliasOf("StateBucketKey")).toBe("alias/blacklake-pulumi-state");
  });

  it("the deploy role manages only resources named for this platform, with no wildcard actions", async () => {
    const run = await runStack("prod");
    const policy = statements(inputs(run.one("aws:iam/rolePolicy:RolePolicy", "ci-deploy")).policy);
    const bySid = Object.fromEntries(policy.map((s) => [s.Sid, s]));
    expect(bySid.PlatformBuckets.Resource).toEqual(["arn:aws:s3:::blacklake-*"]);
    expect(bySid.PlatformIdentities.Resource).toEqual(["arn:aws:iam::123456789012:role/blacklake/*", "arn:aws:iam::123456789012:user/blacklake/*"]);
    expect(bySid.PlatformRepositories.Resource).toBe("arn:aws:ecr:*:123456789012:repository/blacklake/*");
    for (const s of policy) {
      for (const a of actions(s)) expect(a, s.Sid).not.toMatch(/^\*$|:\*$/);
    }
  });

  it("uses an existing GitHub OIDC provider instead of declaring one when given its ARN", async () => {
    const config = stackConfig("staging");
    const values = structuredClone(config.values) as any;
    const arn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
    values.aws.ciAccess.oidcProviderArn = arn;
    const run = await runStack("staging", { ...config, values });
    expect(run.ofType("aws:iam/openIdConnectProvider:OpenIdConnectProvider")).toEqual([]);
    const trust = statements(inputs(run.one("aws:iam/role:Role", "ci-deploy")).assumeRolePolicy)[0];
    expect(trust.Principal.Federated).toBe(arn);
    expect(trust.Condition.StringEquals["token.actions.githubusercontent.com:sub"]).toBe("repo:blacklake/platform:environment:staging");
    expect(inputs(run.one("aws:iam/role:Role", "ci-deploy")).name).toBe("blacklake-staging-ci-deploy");
  });

  it("dev declares no CI roles", async () => {
    const run = await runStack("dev");
    expect(run.ofType("aws:iam/role:Role")).toEqual([]);
  });
});
