import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import type { OffsiteSettings } from "./settings";
import { type NamespaceArgs, objectNamespace } from "../lib/component";
import { standardLabels } from "../lib/labels";
import { backupLifecycle, logLifecycle, SecureBucket } from "./bucket";
import { webIdentityTrustPolicy } from "./webIdentity";
import type { StackScope } from "./scope";

export type { OffsiteSettings };

/** Who writes off-site, and where: each writer may touch only its prefix. */
export interface OffsiteWriter {
  name: string;
  prefix: string;
  /** pgBackRest expires its own backups and needs delete; a mirror only adds. */
  mayDelete: boolean;
  credentials: WriterCredentials;
}

/**
 * accessKey: an IAM user whose key lands in a Kubernetes Secret under the given key names.
 * webIdentity (IRSA): an IAM role only the named ServiceAccount can assume through the
 * cluster's OIDC provider; nothing secret is stored anywhere.
 */
export type WriterCredentials =
  | {
      kind: "accessKey";
      secretName: string;
      accessKeyKey: string;
      secretKeyKey: string;
      /** One key per generation (its issue date); the Secret carries the last. Two while rotating. */
      generations: string[];
    }
  | { kind: "webIdentity"; serviceAccount: string; oidcProviderArn: string; oidcIssuer: string };

export interface OffsiteBackupArgs extends NamespaceArgs {
  settings: OffsiteSettings;
  bucketName: string;
  writers: OffsiteWriter[];
  instance: string;
  scope: StackScope;
  /** The boundary every role and user made here carries (CiAccess's), when CI deploys the stack. */
  permissionsBoundaryArn?: pulumi.Input<string>;
  /** Identities that deploy the stack besides whoever runs this update (the CI deploy role). */
  deployerArns?: pulumi.Input<string>[];
}

/**
 * The off-site copy: a secure bucket in a second region (versioned, SSE-KMS with a
 * rotating key, public access blocked, TLS-only, only the platform's principals), its
 * lifecycle (IA at 90 days, archive at 365, expiry at 7 years), a cross-region replica
 * when configured, and one least-privilege identity per writer, limited to its prefix:
 * an IAM role its ServiceAccount assumes (IRSA), or an IAM user whose key reaches the
 * cluster as a Kubernetes Secret.
 */
export class OffsiteBackup extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly endpoint: string;
  /** The IAM role of each webIdentity writer, for its ServiceAccount's `eks.amazonaws.com/role-arn`. */
  readonly writerRoleArns: Record<string, pulumi.Output<string>> = {};

  constructor(name: string, args: OffsiteBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:aws:OffsiteBackup", name, {}, opts);
    const s = args.settings;
    const provider = new aws.Provider(`${name}-${s.region}`, { region: s.region as aws.Region }, { parent: this });
    const child = { parent: this, provider };
    this.endpoint = `s3.${s.region}.amazonaws.com`;
    const caller = aws.getCallerIdentityOutput({}, { parent: this, provider });
    // aws:PrincipalArn carries a session's role (with its path), not the sts assumed-role
    // ARN the caller identity gives: the bucket policy must name the role, or the
    // deployer locks itself out of the buckets on its first update.
    const deployer = aws.iam.getSessionContextOutput({ arn: caller.arn }, { parent: this, provider }).issuerArn;
    const identity = { path: args.scope.workloadPath, permissionsBoundary: args.permissionsBoundaryArn, tags: args.scope.tags };

    // One identity per writer: a role for a web identity, a user (with a key) otherwise.
    // Its policy comes later (it names the bucket, whose policy names the identities).
    const identities = args.writers.map((writer) => ({ writer, ...this.writerIdentity(name, writer, args, child) }));
    const replicationRole = s.replicaRegion
      ? new aws.iam.Role(
          `${name}-replication`,
          {
            ...identity,
            name: `${args.bucketName}-replication`,
            assumeRolePolicy: JSON.stringify({
              Version: "2012-10-17",
              Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
          },
          child,
        )
      : undefined;
    const allowed = pulumi
      .all([deployer, caller.accountId, pulumi.all([...(args.deployerArns ?? []), ...identities.map((i) => i.arn), ...(replicationRole ? [replicationRole.arn] : [])])])
      .apply(([current, account, rest]) => [...new Set([current, `arn:aws:iam::${account}:root`, ...s.adminPrincipalArns, ...rest])]);
    // Who may reconfigure the buckets: the account root and the administrators, never whoever happens to deploy.
    const administrators = caller.accountId.apply((account) => [`arn:aws:iam::${account}:root`, ...s.adminPrincipalArns]);

    const trailName = s.cloudTrailDataEvents ? `${args.bucketName}-data-events` : undefined;
    const { data: primary, logs } = this.regionalBuckets(name, args, {
      bucketName: args.bucketName,
      region: s.region,
      provider,
      locked: s.objectLock.primary,
      allowed,
      administrators,
      account: caller.accountId,
      trailName,
    });
    this.bucketName = primary.bucket.bucket;

    identities.forEach(({ writer: w, grant }) => {
      const objects = pulumi.interpolate`${primary.bucket.arn}/${w.prefix}*`;
      const policy = pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          // GetBucketLocation takes no s3:prefix: under the prefix condition it would never be granted.
          { Sid: "LocateBucket", Effect: "Allow", Action: "s3:GetBucketLocation", Resource: primary.bucket.arn },
          {
            Sid: "ListOwnPrefix",
            Effect: "Allow",
            Action: "s3:ListBucket",
            Resource: primary.bucket.arn,
            Condition: { StringLike: { "s3:prefix": [`${w.prefix}*`, w.prefix] } },
          },
          {
            Sid: "ObjectsInOwnPrefix",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:PutObject", ...(w.mayDelete ? ["s3:DeleteObject"] : [])],
            Resource: objects,
          },
          { Sid: "UseTheBucketKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: keyArn(primary) },
        ],
      });
      grant(policy);
    });

    const replica =
      s.replicaRegion && replicationRole
        ? this.replica(name, args, { region: s.replicaRegion, role: replicationRole, primary, allowed, administrators, account: caller.accountId, child })
        : undefined;
    if (trailName) this.dataEventsTrail(trailName, [primary, ...(replica ? [replica] : [])], logs, child);
    this.registerOutputs({ bucketName: this.bucketName });
  }

  /**
   * A region's backup bucket and its access-log bucket. The log bucket is SSE-S3 (S3
   * delivers no server access log into an SSE-KMS bucket) and never locked (S3 refuses a
   * locked log target); the log delivery service alone may write into it, and only the
   * logs of this stack's bucket (and CloudTrail its trail's, where it has one).
   */
  private regionalBuckets(
    name: string,
    args: OffsiteBackupArgs,
    r: {
      bucketName: string;
      region: string;
      provider: aws.Provider;
      locked: boolean;
      allowed: pulumi.Output<string[]>;
      administrators: pulumi.Output<string[]>;
      account: pulumi.Output<string>;
      trailName?: string;
    },
  ): { data: SecureBucket; logs: SecureBucket } {
    const s = args.settings;
    const opts = { parent: this, providers: { aws: r.provider } };
    const logBucketName = `${r.bucketName}-access-logs`;
    const logArn = `arn:aws:s3:::${logBucketName}`;
    const trailArn = r.trailName ? pulumi.interpolate`arn:aws:cloudtrail:${r.region}:${r.account}:trail/${r.trailName}` : undefined;
    const logs = new SecureBucket(
      `${name}-access-logs`,
      {
        bucketName: logBucketName,
        lifecycle: logLifecycle(s.accessLogs.expireDays),
        allowedPrincipalArns: r.allowed,
        administratorArns: r.administrators,
        tags: args.scope.tags,
        encryption: "s3",
        servicePrincipals: ["logging.s3.amazonaws.com", ...(trailArn ? ["cloudtrail.amazonaws.com"] : [])],
        serviceStatements: [
          {
            Sid: "ServerAccessLogDelivery",
            Effect: "Allow",
            Principal: { Service: "logging.s3.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: `${logArn}/${r.bucketName}/*`,
            Condition: { StringEquals: { "aws:SourceAccount": r.account }, ArnLike: { "aws:SourceArn": `arn:aws:s3:::${r.bucketName}` } },
          },
          ...(trailArn
            ? [
                {
                  Sid: "CloudTrailAclCheck",
                  Effect: "Allow",
                  Principal: { Service: "cloudtrail.amazonaws.com" },
                  Action: "s3:GetBucketAcl",
                  Resource: logArn,
                  Condition: { StringEquals: { "aws:SourceArn": trailArn } },
                },
                {
                  Sid: "CloudTrailDelivery",
                  Effect: "Allow",
                  Principal: { Service: "cloudtrail.amazonaws.com" },
                  Action: "s3:PutObject",
                  Resource: pulumi.interpolate`${logArn}/cloudtrail/AWSLogs/${r.account}/*`,
                  Condition: { StringEquals: { "aws:SourceArn": trailArn } },
                },
              ]
            : []),
        ],
      },
      opts,
    );
    const data = new SecureBucket(
      name,
      {
        bucketName: r.bucketName,
        lifecycle: backupLifecycle(s),
        allowedPrincipalArns: r.allowed,
        administratorArns: r.administrators,
        tags: args.scope.tags,
        objectLock: r.locked ? { mode: s.objectLock.mode, days: s.objectLock.days, breakGlassArns: s.adminPrincipalArns.slice(0, 1) } : undefined,
        accessLogsTo: logs.bucket.id,
      },
      opts,
    );
    return { data, logs };
  }

  /** Every object-level call on the backup buckets, in every region, into the primary region's log bucket. */
  private dataEventsTrail(trailName: string, buckets: SecureBucket[], logs: SecureBucket, child: pulumi.CustomResourceOptions): void {
    new aws.cloudtrail.Trail(
      trailName,
      {
        name: trailName,
        s3BucketName: logs.bucket.bucket,
        s3KeyPrefix: "cloudtrail",
        isMultiRegionTrail: true,
        includeGlobalServiceEvents: false,
        enableLogFileValidation: true,
        advancedEventSelectors: [
          {
            name: "Object-level calls on the backup buckets",
            fieldSelectors: [
              { field: "eventCategory", equals: ["Data"] },
              { field: "resources.type", equals: ["AWS::S3::Object"] },
              { field: "resources.ARN", startsWiths: buckets.map((b) => pulumi.interpolate`${b.bucket.arn}/`) },
            ],
          },
        ],
      },
      { ...child, dependsOn: [logs] },
    );
  }

  /** The cross-region replica: a second secure bucket, and the replication role's rights and rule. */
  private replica(
    name: string,
    args: OffsiteBackupArgs,
    d: {
      region: string;
      role: aws.iam.Role;
      primary: SecureBucket;
      allowed: pulumi.Output<string[]>;
      administrators: pulumi.Output<string[]>;
      account: pulumi.Output<string>;
      child: pulumi.CustomResourceOptions;
    },
  ): SecureBucket {
    const s = args.settings;
    const { role: replicationRole, primary, allowed, child } = d;
    const replicaProvider = new aws.Provider(`${name}-${d.region}`, { region: d.region as aws.Region }, { parent: this });
    const { data: replica } = this.regionalBuckets(`${name}-replica`, args, {
      bucketName: `${args.bucketName}-replica`,
      region: d.region,
      provider: replicaProvider,
      locked: s.objectLock.replica,
      allowed,
      administrators: d.administrators,
      account: d.account,
    });
    new aws.iam.RolePolicy(
      `${name}-replication`,
      {
        role: replicationRole.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: primary.bucket.arn },
            {
              Effect: "Allow",
              Action: [
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
                // A locked source object replicates with its retention, which the role must read.
                ...(s.objectLock.primary ? ["s3:GetObjectRetention", "s3:GetObjectLegalHold"] : []),
              ],
              Resource: pulumi.interpolate`${primary.bucket.arn}/*`,
            },
            { Effect: "Allow", Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], Resource: pulumi.interpolate`${replica.bucket.arn}/*` },
            { Effect: "Allow", Action: ["kms:Decrypt"], Resource: keyArn(primary) },
            { Effect: "Allow", Action: ["kms:Encrypt", "kms:GenerateDataKey"], Resource: keyArn(replica) },
          ],
        }),
      },
      child,
    );
    new aws.s3.BucketReplicationConfig(
      `${name}-replication`,
      {
        bucket: primary.bucket.id,
        role: replicationRole.arn,
        rules: [
          {
            id: "offsite-replica",
            status: "Enabled",
            filter: {},
            deleteMarkerReplication: { status: "Enabled" },
            sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
            destination: { bucket: replica.bucket.arn, storageClass: "STANDARD_IA", encryptionConfiguration: { replicaKmsKeyId: keyArn(replica) } },
          },
        ],
      },
      // Replication needs versioning on both sides, and a locked replica its lock first.
      { ...child, dependsOn: [primary, replica] },
    );
    return replica;
  }

  /** A writer's IAM identity: its ARN now, and `grant` to attach its policy once the bucket exists. */
  private writerIdentity(name: string, w: OffsiteWriter, args: OffsiteBackupArgs, child: pulumi.CustomResourceOptions) {
    const resourceName = `${name}-${w.name}`;
    const identity = {
      name: `${args.bucketName}-${w.name}`,
      path: args.scope.workloadPath,
      permissionsBoundary: args.permissionsBoundaryArn,
      tags: args.scope.tags,
    };
    const c = w.credentials;
    if (c.kind === "webIdentity") {
      const subject = pulumi.interpolate`system:serviceaccount:${args.namespace}:${c.serviceAccount}`;
      const role = new aws.iam.Role(
        resourceName,
        { ...identity, maxSessionDuration: 3600, assumeRolePolicy: webIdentityTrustPolicy(c.oidcProviderArn, c.oidcIssuer, subject) },
        child,
      );
      this.writerRoleArns[w.name] = role.arn;
      return { arn: role.arn, grant: (policy: pulumi.Input<string>) => void new aws.iam.RolePolicy(resourceName, { role: role.id, policy }, child) };
    }
    const user = new aws.iam.User(resourceName, identity, child);
    const grant = (policy: pulumi.Input<string>) => {
      new aws.iam.UserPolicy(resourceName, { user: user.name, policy }, child);
      // A key per generation, named by it: a new generation makes a new key beside the old one, and
      // dropping the old generation deletes its key (docs/runbooks/offsite-key-rotation.md).
      const keys = c.generations.map((g) => new aws.iam.AccessKey(`${resourceName}-${g}`, { user: user.name }, child));
      const key = keys[keys.length - 1]!;
      new k8s.core.v1.Secret(
        c.secretName,
        {
          metadata: { name: c.secretName, namespace: objectNamespace(args), labels: standardLabels({ name: "offsite", instance: args.instance, component: "backup" }) },
          type: "Opaque",
          stringData: { [c.accessKeyKey]: key.id, [c.secretKeyKey]: key.secret },
        },
        // The cluster's provider comes through opts.providers.
        { parent: this },
      );
    };
    return { arn: user.arn, grant };
  }
}

/** A backup bucket's own KMS key (log buckets have none). */
function keyArn(b: SecureBucket): pulumi.Output<string> {
  if (!b.key) throw new Error("a backup bucket without its KMS key");
  return b.key.arn;
}
