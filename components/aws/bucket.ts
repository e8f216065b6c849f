import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

// One secure S3 bucket: versioned, encrypted (SSE-KMS with its own rotating key, or
// SSE-S3 where AWS accepts nothing else), public access blocked, ACLs disabled, TLS-only,
// only the platform's principals, with a lifecycle; optionally Object Lock and server
// access logging. Used for the off-site bucket, its cross-region replica and their log
// buckets.

export interface LifecycleDays {
  transitionToInfrequentAccessDays: number;
  transitionToArchiveDays: number;
  archiveStorageClass: "GLACIER" | "DEEP_ARCHIVE";
  expireDays: number;
  noncurrentVersionExpirationDays: number;
}

type LifecycleRule = aws.types.input.s3.BucketLifecycleConfigurationRule;

/** The operations guide's tiering and expiry for backups. */
export function backupLifecycle(l: LifecycleDays): LifecycleRule {
  return {
    id: "tiering-and-expiry",
    status: "Enabled",
    filter: {},
    transitions: [
      { days: l.transitionToInfrequentAccessDays, storageClass: "STANDARD_IA" },
      { days: l.transitionToArchiveDays, storageClass: l.archiveStorageClass },
    ],
    expiration: { days: l.expireDays },
    noncurrentVersionExpiration: { noncurrentDays: l.noncurrentVersionExpirationDays },
    abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
  };
}

/** Logs are kept `days`, then gone (versions included). */
export function logLifecycle(days: number): LifecycleRule {
  return { id: "log-expiry", status: "Enabled", filter: {}, expiration: { days }, noncurrentVersionExpiration: { noncurrentDays: 1 } };
}

export interface ObjectLockSettings {
  mode: "COMPLIANCE" | "GOVERNANCE";
  days: number;
}

export interface SecureBucketArgs {
  bucketName: string;
  lifecycle: LifecycleRule;
  /** Only these principals may use the bucket at all (writers, replication, operators, the deployers). */
  allowedPrincipalArns?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Only these may change the bucket's policy, lifecycle, versioning, lock, replication,
   * logging or encryption, or delete it (the account root and the break-glass
   * administrators; never a CI role). Unset: no such guard.
   */
  administratorArns?: pulumi.Input<pulumi.Input<string>[]>;
  /** AWS services that write into the bucket (log delivery); the deny of outsiders spares them, and `serviceStatements` say what they may do. */
  servicePrincipals?: string[];
  serviceStatements?: pulumi.Input<Record<string, unknown>>[];
  /** Tags of the bucket and its key; the key's stack tag is what the CI roles' key grants require. */
  tags: Record<string, string>;
  /**
   * "kms" (default): SSE-KMS with the bucket's own key. "s3": SSE-S3, for a server access
   * log target, where S3 delivers no log into an SSE-KMS bucket.
   */
  encryption?: "kms" | "s3";
  /** Every new version is locked this long; with GOVERNANCE, only `breakGlassArns` may bypass it. */
  objectLock?: ObjectLockSettings & { breakGlassArns: string[] };
  /** The bucket (same region) that receives this one's server access logs. */
  accessLogsTo?: pulumi.Input<string>;
}

export class SecureBucket extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;
  readonly key?: aws.kms.Key;

  constructor(name: string, args: SecureBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:aws:SecureBucket", name, {}, opts);
    // The region's provider comes through opts.providers; the children inherit it.
    const child = { parent: this };
    if ((args.encryption ?? "kms") === "kms") {
      this.key = new aws.kms.Key(`${name}-key`, { description: `Encrypts ${args.bucketName}`, enableKeyRotation: true, deletionWindowInDays: 30, tags: args.tags }, child);
    }
    // Object Lock is switched on by its own resource, never by the bucket's objectLockEnabled,
    // which would replace an existing bucket (and its backups) to turn it on.
    this.bucket = new aws.s3.Bucket(`${name}-bucket`, { bucket: args.bucketName, forceDestroy: false, tags: args.tags }, child);
    const bucket = this.bucket.id;

    const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket, versioningConfiguration: { status: "Enabled" } }, child);
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket,
        rules: [
          this.key
            ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: this.key.arn }, bucketKeyEnabled: true }
            : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
        ],
      },
      child,
    );
    new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      child,
    );
    const configuration: pulumi.Resource[] = [versioning];
    configuration.push(new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } }, child));
    configuration.push(new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, { bucket, rules: [args.lifecycle] }, child));
    if (args.objectLock) {
      const { mode, days } = args.objectLock;
      configuration.push(
        new aws.s3.BucketObjectLockConfiguration(
          `${name}-object-lock`,
          { bucket, objectLockEnabled: "Enabled", rule: { defaultRetention: { mode, days } } },
          { ...child, dependsOn: [versioning] },
        ),
      );
    }
    if (args.accessLogsTo) {
      configuration.push(new aws.s3.BucketLogging(`${name}-access-logs`, { bucket, targetBucket: args.accessLogsTo, targetPrefix: `${args.bucketName}/` }, child));
    }
    // Last: once the policy stands, only an administrator may change the rest.
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      { bucket, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: this.statements(args) }) },
      { ...child, dependsOn: configuration },
    );
    this.registerOutputs({ bucket: this.bucket.id, keyArn: this.key?.arn });
  }

  private statements(args: SecureBucketArgs): pulumi.Input<Record<string, unknown>>[] {
    const everything = [this.bucket.arn, pulumi.interpolate`${this.bucket.arn}/*`];
    const services = args.servicePrincipals ?? [];
    return [
      { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: everything, Condition: { Bool: { "aws:SecureTransport": "false" } } },
      ...(args.allowedPrincipalArns
        ? [
            {
              Sid: "DenyOutsidePlatform",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: everything,
              Condition: {
                StringNotLike: { "aws:PrincipalArn": args.allowedPrincipalArns },
                // A service's request carries no aws:PrincipalArn (so the test above holds for it): its name spares it.
                ...(services.length > 0 ? { StringNotEqualsIfExists: { "aws:PrincipalServiceName": services } } : {}),
              },
            },
          ]
        : []),
      ...(args.administratorArns
        ? [
            {
              Sid: "OnlyAdministratorsReconfigure",
              Effect: "Deny",
              Principal: "*",
              Action: [
                "s3:DeleteBucket",
                "s3:DeleteBucketPolicy",
                "s3:PutBucketPolicy",
                "s3:PutLifecycleConfiguration",
                "s3:PutBucketVersioning",
                "s3:PutBucketObjectLockConfiguration",
                "s3:PutReplicationConfiguration",
                "s3:PutBucketLogging",
                "s3:PutEncryptionConfiguration",
                "s3:PutBucketPublicAccessBlock",
                "s3:PutBucketOwnershipControls",
              ],
              Resource: this.bucket.arn,
              Condition: { StringNotLike: { "aws:PrincipalArn": args.administratorArns } },
            },
          ]
        : []),
      ...(this.key
        ? [
            {
              Sid: "DenyUnencryptedUploads",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:PutObject",
              Resource: pulumi.interpolate`${this.bucket.arn}/*`,
              Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" }, Null: { "s3:x-amz-server-side-encryption": "false" } },
            },
          ]
        : []),
      ...(args.objectLock?.mode === "GOVERNANCE"
        ? [
            {
              Sid: "OnlyBreakGlassBypassesTheLock",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:BypassGovernanceRetention",
              Resource: everything,
              Condition: { StringNotLike: { "aws:PrincipalArn": args.objectLock.breakGlassArns } },
            },
          ]
        : []),
      ...(args.serviceStatements ?? []),
    ];
  }
}
