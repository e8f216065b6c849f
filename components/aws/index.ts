import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import type { OffsiteSettings } from "./settings";
import { type NamespaceArgs, objectNamespace } from "../lib/component";
import { standardLabels } from "../lib/labels";
import { SecureBucket } from "./bucket";
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
  | { kind: "accessKey"; secretName: string; accessKeyKey: string; secretKeyKey: string }
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

    const primary = new SecureBucket(
      name,
      { bucketName: args.bucketName, lifecycle: s, allowedPrincipalArns: allowed, tags: args.scope.tags },
      { parent: this, providers: { aws: provider } },
    );
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
          { Sid: "UseTheBucketKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: primary.key.arn },
        ],
      });
      grant(policy);
    });

    if (s.replicaRegion && replicationRole) this.replica(name, args, { region: s.replicaRegion, role: replicationRole, primary, allowed, child });
    this.registerOutputs({ bucketName: this.bucketName });
  }

  /** The cross-region replica: a second secure bucket, and the replication role's rights and rule. */
  private replica(
    name: string,
    args: OffsiteBackupArgs,
    d: { region: string; role: aws.iam.Role; primary: SecureBucket; allowed: pulumi.Output<string[]>; child: pulumi.CustomResourceOptions },
  ): void {
    const s = args.settings;
    const { role: replicationRole, primary, allowed, child } = d;
    const replicaProvider = new aws.Provider(`${name}-${d.region}`, { region: d.region as aws.Region }, { parent: this });
    const replica = new SecureBucket(
      `${name}-replica`,
      { bucketName: `${args.bucketName}-replica`, lifecycle: s, allowedPrincipalArns: allowed, tags: args.scope.tags },
      { parent: this, providers: { aws: replicaProvider } },
    );
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
              Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
              Resource: pulumi.interpolate`${primary.bucket.arn}/*`,
            },
            { Effect: "Allow", Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], Resource: pulumi.interpolate`${replica.bucket.arn}/*` },
            { Effect: "Allow", Action: ["kms:Decrypt"], Resource: primary.key.arn },
            { Effect: "Allow", Action: ["kms:Encrypt", "kms:GenerateDataKey"], Resource: replica.key.arn },
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
            destination: { bucket: replica.bucket.arn, storageClass: "STANDARD_IA", encryptionConfiguration: { replicaKmsKeyId: replica.key.arn } },
          },
        ],
      },
      child,
    );
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
      const key = new aws.iam.AccessKey(resourceName, { user: user.name }, child);
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
