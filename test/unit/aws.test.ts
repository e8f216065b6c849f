import { describe, expect, it } from "vitest";
import { runStack, stackConfig } from "../harness";

const inputs = (r: { inputs: unknown }) => r.inputs as any;

describe("the off-site backup bucket (prod)", () => {
  it("is versioned, SSE-KMS encrypted with a rotating key, private and ACL-free", async () => {
    const run = await runStack("prod");
    expect(inputs(run.one("aws:s3/bucket:Bucket", "offsite-bucket")).bucket).toBe("blacklake-offsite-backups");
    expect(inputs(run.one("aws:s3/bucketVersioning:BucketVersioning", "offsite-versioning")).versioningConfiguration).toEqual({ status: "Enabled" });
    const sse = inputs(run.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "offsite-encryption")).rules[0];
    expect(sse.applyServerSideEncryptionByDefault.sseAlgorithm).toBe("aws:kms");
    expect(inputs(run.one("aws:kms/key:Key", "offsite-key")).enableKeyRotation).toBe(true);
    expect(inputs(run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "offsite-public-access"))).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(inputs(run.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "offsite-ownership")).rule.objectOwnership).toBe("BucketOwnerEnforced");
  });

  it("moves to infrequent access at 90 days, archive at 365, deletes after 7 years", async () => {
    const run = await runStack("prod");
    const rule = inputs(run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "offsite-lifecycle")).rules[0];
    expect(rule.transitions).toEqual([
      { days: 90, storageClass: "STANDARD_IA" },
      { days: 365, storageClass: "GLACIER" },
    ]);
    expect(rule.expiration).toEqual({ days: 2555 });
    expect(rule.noncurrentVersionExpiration).toEqual({ noncurrentDays: 90 });
  });

  it("denies plain HTTP and every principal outside the platform", async () => {
    const run = await runStack("prod");
    const policy = JSON.parse(inputs(run.one("aws:s3/bucketPolicy:BucketPolicy", "offsite-policy")).policy);
    const bySid = Object.fromEntries(policy.Statement.map((s: any) => [s.Sid, s]));
    expect(bySid.DenyInsecureTransport).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    const allowed = bySid.DenyOutsidePlatform.Condition.StringNotLike["aws:PrincipalArn"];
    expect(allowed.sort()).toEqual(
      [
        // Whoever runs the update, by the role behind the session (SSO_OPERATOR's, path included), not its sts ARN.
        "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_PlatformAdmin_0123456789abcdef",
        "arn:aws:iam::111122223333:root",
        "arn:aws:iam::111122223333:role/blacklake-break-glass",
        "arn:aws:iam::111122223333:role/blacklake-ci/prod/blacklake-ci-deploy",
        "arn:aws:iam::111122223333:role/blacklake/prod/blacklake-offsite-backups-pgbackrest",
        "arn:aws:iam::111122223333:user/blacklake/prod/blacklake-offsite-backups-minio-mirror",
        "arn:aws:iam::111122223333:role/blacklake/prod/blacklake-offsite-backups-replication",
      ].sort(),
    );
    expect(allowed.some((a: string) => a.includes(":sts:"))).toBe(false);
  });

  it("gives each writer only its prefix, and pgBackRest alone may delete", async () => {
    const run = await runStack("prod");
    const policy = (type: string, name: string) => JSON.parse(inputs(run.one(type, name)).policy).Statement;
    const sid = (statements: any[], id: string) => statements.find((s) => s.Sid === id);
    const pgbackrest = policy("aws:iam/rolePolicy:RolePolicy", "offsite-pgbackrest");
    const mirror = policy("aws:iam/userPolicy:UserPolicy", "offsite-minio-mirror");
    expect(sid(pgbackrest, "ObjectsInOwnPrefix").Action).toEqual(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]);
    expect(sid(pgbackrest, "ObjectsInOwnPrefix").Resource).toMatch(/\/pgbackrest\/\*$/);
    expect(sid(mirror, "ObjectsInOwnPrefix").Action).toEqual(["s3:GetObject", "s3:PutObject"]);
    expect(sid(mirror, "ObjectsInOwnPrefix").Resource).toMatch(/\/minio\/\*$/);
    // GetBucketLocation has no s3:prefix: a statement of its own, or it is never granted.
    for (const statements of [pgbackrest, mirror]) {
      expect(sid(statements, "LocateBucket")).toEqual({ Sid: "LocateBucket", Effect: "Allow", Action: "s3:GetBucketLocation", Resource: "arn:aws:s3:::blacklake-offsite-backups" });
      expect(sid(statements, "ListOwnPrefix").Action).toBe("s3:ListBucket");
    }
    for (const s of [...pgbackrest, ...mirror]) {
      expect(JSON.stringify(s.Action)).not.toContain("*");
      expect(s.Resource).not.toBe("*");
    }
  });

  it("replicates to the second region", async () => {
    const run = await runStack("prod");
    expect(inputs(run.one("pulumi:providers:aws", "offsite-eu-central-1")).region).toBe("eu-central-1");
    expect(inputs(run.one("aws:s3/bucket:Bucket", "offsite-replica-bucket")).bucket).toBe("blacklake-offsite-backups-replica");
    expect(inputs(run.one("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "offsite-replication")).rules[0].status).toBe("Enabled");
  });

  it("each bucket's objects use their region's provider, handed to SecureBucket through opts.providers", async () => {
    const run = await runStack("prod");
    const regionOf = (type: string, name: string) => run.one(type, name).provider;
    expect(regionOf("aws:s3/bucket:Bucket", "offsite-bucket")).toBe("offsite-eu-west-1");
    expect(regionOf("aws:kms/key:Key", "offsite-key")).toBe("offsite-eu-west-1");
    expect(regionOf("aws:s3/bucket:Bucket", "offsite-replica-bucket")).toBe("offsite-eu-central-1");
    expect(regionOf("aws:kms/key:Key", "offsite-replica-key")).toBe("offsite-eu-central-1");
    // The writers' key Secrets go to the cluster through the stack's kubernetes provider.
    const keySecrets = run.ofType("kubernetes:core/v1:Secret").filter((r) => r.parent === "offsite");
    expect(keySecrets.map((r) => [r.name, r.provider])).toEqual([["offsite-backup-writer", "kubernetes"]]);
  });
});

describe("off-site writer identities", () => {
  it("prod (irsa): pgBackRest assumes a role only the postgres ServiceAccount of its namespace can assume; no key exists", async () => {
    const run = await runStack("prod");
    const role = inputs(run.one("aws:iam/role:Role", "offsite-pgbackrest"));
    const [trust] = JSON.parse(role.assumeRolePolicy).Statement;
    const issuer = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
    expect(trust).toEqual({
      Effect: "Allow",
      Principal: { Federated: `arn:aws:iam::111122223333:oidc-provider/${issuer}` },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: { StringEquals: { [`${issuer}:sub`]: "system:serviceaccount:blacklake:postgres", [`${issuer}:aud`]: "sts.amazonaws.com" } },
    });
    expect(run.has("aws:iam/user:User", "offsite-pgbackrest")).toBe(false);
    expect(run.has("aws:iam/accessKey:AccessKey", "offsite-pgbackrest")).toBe(false);
    expect(run.has("kubernetes:core/v1:Secret", "offsite-pgbackrest")).toBe(false);

    const account = inputs(run.one("kubernetes:core/v1:ServiceAccount", "postgres"));
    expect(account.metadata.annotations["eks.amazonaws.com/role-arn"]).toBe("arn:aws:iam::111122223333:role/blacklake/prod/blacklake-offsite-backups-pgbackrest");
    const pod = inputs(run.one("kubernetes:apps/v1:StatefulSet", "postgres")).spec.template.spec;
    expect(pod.serviceAccountName).toBe("postgres");
    expect(pod.containers[0].envFrom).toEqual([{ secretRef: { name: "postgres-pgbackrest" } }]);
    // The drill reads repo2 too, so it runs as the same identity.
    const drill = inputs(run.one("kubernetes:batch/v1:CronJob", "postgres-restore-drill")).spec.jobTemplate.spec.template.spec;
    expect(drill.serviceAccountName).toBe("postgres");
  });

  it("the MinIO mirror keeps an access key even under irsa (mc takes no web identity)", async () => {
    const run = await runStack("prod");
    expect(run.has("aws:iam/user:User", "offsite-minio-mirror")).toBe(true);
    const keys = run.one("kubernetes:core/v1:Secret", "offsite-backup-writer");
    expect(Object.keys(inputs(keys).stringData).sort()).toEqual(["accessKeyId", "secretAccessKey"]);
    expect(keys.secretInputs).toContain("stringData");
  });

  it("accessKeys: an IAM user per writer whose key reaches pgBackRest as a Secret", async () => {
    const config = stackConfig("prod");
    const values = structuredClone(config.values) as any;
    values.aws.offsite.writerCredentials = { kind: "accessKeys" };
    const run = await runStack("prod", { ...config, values });
    expect(run.has("aws:iam/role:Role", "offsite-pgbackrest")).toBe(false);
    const statements = JSON.parse(inputs(run.one("aws:iam/userPolicy:UserPolicy", "offsite-pgbackrest")).policy).Statement;
    expect(statements.find((s: any) => s.Sid === "ObjectsInOwnPrefix").Resource).toMatch(/\/pgbackrest\/\*$/);
    const pgbackrestKeys = run.one("kubernetes:core/v1:Secret", "offsite-pgbackrest");
    expect(Object.keys(inputs(pgbackrestKeys).stringData).sort()).toEqual(["PGBACKREST_REPO2_S3_KEY", "PGBACKREST_REPO2_S3_KEY_SECRET"]);
    expect(pgbackrestKeys.secretInputs).toContain("stringData");
    const pod = inputs(run.one("kubernetes:apps/v1:StatefulSet", "postgres")).spec.template.spec;
    expect(pod.containers[0].envFrom).toEqual([{ secretRef: { name: "postgres-pgbackrest" } }, { secretRef: { name: "offsite-pgbackrest" } }]);
    expect(inputs(run.one("kubernetes:core/v1:ServiceAccount", "postgres")).metadata.annotations).toBeUndefined();
    const conf = inputs(run.one("kubernetes:core/v1:ConfigMap", "postgres-config")).data["pgbackrest.conf"];
    expect(conf).not.toContain("s3-key-type");
  });
});

describe("the off-site backup bucket, elsewhere", () => {
  it("is absent where aws.offsite.enabled is false", async () => {
    const run = await runStack("staging");
    expect(run.ofType("aws:s3/bucket:Bucket")).toEqual([]);
  });
});
