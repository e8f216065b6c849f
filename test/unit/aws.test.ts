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

describe("backups that cannot be erased, and a record of who touched them (prod)", () => {
  const policyOf = (run: Awaited<ReturnType<typeof runStack>>, name: string) => JSON.parse(inputs(run.one("aws:s3/bucketPolicy:BucketPolicy", name)).policy).Statement as any[];

  it("locks the replica by default, in COMPLIANCE mode, for at least repo2's keep (30 days of fulls plus a day between them)", async () => {
    const run = await runStack("prod");
    const lock = inputs(run.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "offsite-replica-object-lock"));
    expect(lock).toMatchObject({ objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: "COMPLIANCE", days: 35 } } });
    expect(lock.rule.defaultRetention.days).toBeGreaterThanOrEqual(31);
    // Switched on by its own resource: the bucket's objectLockEnabled would replace an existing bucket.
    expect(inputs(run.one("aws:s3/bucket:Bucket", "offsite-replica-bucket")).objectLockEnabled).toBeUndefined();
    // The primary is not locked by default (every upload would need a checksum header).
    expect(run.has("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "offsite-object-lock")).toBe(false);
    // The lifecycle keeps noncurrent versions at least as long as they are locked.
    const rule = inputs(run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "offsite-replica-lifecycle")).rules[0];
    expect(rule.noncurrentVersionExpiration.noncurrentDays).toBeGreaterThanOrEqual(35);
  });

  it("lets only the account root and the break-glass administrator reconfigure or delete a backup bucket (never a CI role)", async () => {
    const run = await runStack("prod");
    for (const name of ["offsite-policy", "offsite-replica-policy", "offsite-access-logs-policy"]) {
      const guard = policyOf(run, name).find((s) => s.Sid === "OnlyAdministratorsReconfigure");
      expect(guard.Action).toEqual(
        expect.arrayContaining(["s3:PutBucketPolicy", "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning", "s3:PutBucketObjectLockConfiguration", "s3:DeleteBucket"]),
      );
      expect(guard.Condition.StringNotLike["aws:PrincipalArn"]).toEqual(["arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:role/blacklake-break-glass"]);
    }
    // The policy is put last, so a first update can still write the configuration it guards.
    expect(run.one("aws:s3/bucketPolicy:BucketPolicy", "offsite-policy").dependsOn).toEqual(
      expect.arrayContaining(["offsite-versioning", "offsite-ownership", "offsite-lifecycle", "offsite-access-logs"]),
    );
    expect(run.one("aws:s3/bucketPolicy:BucketPolicy", "offsite-replica-policy").dependsOn).toContain("offsite-replica-object-lock");
  });

  it("GOVERNANCE mode: only the break-glass administrator may bypass the lock; locking the primary lets replication read retention", async () => {
    const config = stackConfig("prod");
    const values = structuredClone(config.values) as any;
    values.aws.offsite.objectLock = { mode: "GOVERNANCE", primary: true };
    const run = await runStack("prod", { ...config, values });
    for (const name of ["offsite-policy", "offsite-replica-policy"]) {
      expect(policyOf(run, name).find((s) => s.Sid === "OnlyBreakGlassBypassesTheLock")).toMatchObject({
        Effect: "Deny",
        Action: "s3:BypassGovernanceRetention",
        Condition: { StringNotLike: { "aws:PrincipalArn": ["arn:aws:iam::111122223333:role/blacklake-break-glass"] } },
      });
    }
    expect(inputs(run.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "offsite-object-lock")).rule.defaultRetention.mode).toBe("GOVERNANCE");
    const replication = JSON.parse(inputs(run.one("aws:iam/rolePolicy:RolePolicy", "offsite-replication")).policy).Statement as any[];
    expect(replication.flatMap((s) => s.Action)).toEqual(expect.arrayContaining(["s3:GetObjectRetention", "s3:GetObjectLegalHold"]));
  });

  it("logs every request to each backup bucket into an SSE-S3 log bucket of its region, which only S3's log delivery writes", async () => {
    const config = stackConfig("prod");
    const values = structuredClone(config.values) as any;
    values.aws.offsite.cloudTrailDataEvents = false;
    const run = await runStack("prod", { ...config, values });
    for (const [source, logs, bucket] of [
      ["offsite", "offsite-access-logs", "blacklake-offsite-backups"],
      ["offsite-replica", "offsite-replica-access-logs", "blacklake-offsite-backups-replica"],
    ] as const) {
      const logging = inputs(run.one("aws:s3/bucketLogging:BucketLogging", `${source}-access-logs`));
      expect(logging).toMatchObject({ bucket: `${source}-bucket-id`, targetBucket: `${logs}-bucket-id`, targetPrefix: `${bucket}/` });
      expect(run.one("aws:s3/bucket:Bucket", `${logs}-bucket`).provider).toBe(run.one("aws:s3/bucket:Bucket", `${source}-bucket`).provider);
      const sse = inputs(run.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", `${logs}-encryption`)).rules[0];
      expect(sse.applyServerSideEncryptionByDefault).toEqual({ sseAlgorithm: "AES256" });
      const statements = policyOf(run, `${logs}-policy`);
      expect(statements.find((s) => s.Sid === "ServerAccessLogDelivery")).toEqual({
        Sid: "ServerAccessLogDelivery",
        Effect: "Allow",
        Principal: { Service: "logging.s3.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: `arn:aws:s3:::${bucket}-access-logs/${bucket}/*`,
        Condition: { StringEquals: { "aws:SourceAccount": "111122223333" }, ArnLike: { "aws:SourceArn": `arn:aws:s3:::${bucket}` } },
      });
      // The deny of outsiders spares the delivery service, whose requests carry no aws:PrincipalArn.
      expect(statements.find((s) => s.Sid === "DenyOutsidePlatform").Condition.StringNotEqualsIfExists).toEqual({ "aws:PrincipalServiceName": ["logging.s3.amazonaws.com"] });
      expect(run.has("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", `${logs}-object-lock`)).toBe(false);
    }
    expect(run.ofType("aws:cloudtrail/trail:Trail")).toEqual([]);
  });

  it("cloudTrailDataEvents (on in prod): one multi-region trail of the object-level calls on both backup buckets, into the primary's log bucket", async () => {
    const run = await runStack("prod");
    const trail = inputs(run.one("aws:cloudtrail/trail:Trail", "blacklake-offsite-backups-data-events"));
    expect(trail).toMatchObject({ s3BucketName: "blacklake-offsite-backups-access-logs", s3KeyPrefix: "cloudtrail", isMultiRegionTrail: true, enableLogFileValidation: true });
    expect(trail.advancedEventSelectors[0].fieldSelectors).toContainEqual({
      field: "resources.ARN",
      startsWiths: ["arn:aws:s3:::blacklake-offsite-backups/", "arn:aws:s3:::blacklake-offsite-backups-replica/"],
    });
    const delivery = policyOf(run, "offsite-access-logs-policy").find((s) => s.Sid === "CloudTrailDelivery");
    expect(delivery).toMatchObject({
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Resource: "arn:aws:s3:::blacklake-offsite-backups-access-logs/cloudtrail/AWSLogs/111122223333/*",
      Condition: { StringEquals: { "aws:SourceArn": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/blacklake-offsite-backups-data-events" } },
    });
  });
});
