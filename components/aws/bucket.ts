import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

// One secure S3 bucket: versioned, SSE-KMS with its own rotating key, public access
// blocked, ACLs disabled, TLS-only, with the operations guide's lifecycle. Used for the
// off-site bucket and its cross-region replica.

export interface LifecycleDays {
  transitionToInfrequentAccessDays: number;
  transitionToArchiveDays: number;
  archiveStorageClass: "GLACIER" | "DEEP_ARCHIVE";
  expireDays: number;
  noncurrentVersionExpirationDays: number;
}

export interface SecureBucketArgs {
  bucketName: string;
  lifecycle: LifecycleDays;
  /** Only these principals may use the bucket at all (writers, replication, operators, the deployer). */
  allowedPrincipalArns?: pulumi.Input<pulumi.Input<string>[]>;
  /** Tags of the bucket and its key; the key's stack tag is what the CI roles' key grants require. */
  tags: Record<string, string>;
}

export class SecureBucket extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;
  readonly key: aws.kms.Key;

  constructor(name: string, args: SecureBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:aws:SecureBucket", name, {}, opts);
    // The region's provider comes through opts.providers; the children inherit it.
    const child = { parent: this };
    this.key = new aws.kms.Key(`${name}-key`, { description: `Encrypts ${args.bucketName}`, enableKeyRotation: true, deletionWindowInDays: 30, tags: args.tags }, child);
    this.bucket = new aws.s3.Bucket(`${name}-bucket`, { bucket: args.bucketName, forceDestroy: false, tags: args.tags }, child);
    const bucket = this.bucket.id;

    new aws.s3.BucketVersioning(`${name}-versioning`, { bucket, versioningConfiguration: { status: "Enabled" } }, child);
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      { bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: this.key.arn }, bucketKeyEnabled: true }] },
      child,
    );
    new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      child,
    );
    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } }, child);
    const l = args.lifecycle;
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket,
        rules: [
          {
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
          },
        ],
      },
      child,
    );
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DenyInsecureTransport",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [this.bucket.arn, pulumi.interpolate`${this.bucket.arn}/*`],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            ...(args.allowedPrincipalArns
              ? [
                  {
                    Sid: "DenyOutsidePlatform",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: [this.bucket.arn, pulumi.interpolate`${this.bucket.arn}/*`],
                    Condition: { StringNotLike: { "aws:PrincipalArn": args.allowedPrincipalArns } },
                  },
                ]
              : []),
            {
              Sid: "DenyUnencryptedUploads",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:PutObject",
              Resource: pulumi.interpolate`${this.bucket.arn}/*`,
              Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" }, Null: { "s3:x-amz-server-side-encryption": "false" } },
            },
          ],
        }),
      },
      child,
    );
    this.registerOutputs({ bucket: this.bucket.id, keyArn: this.key.arn });
  }
}
