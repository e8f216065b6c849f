import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import type { PlatformConfig } from "../../stacks/config";
import { standardLabels } from "../lib/labels";
import { SecureBucket } from "./bucket";

export type OffsiteSettings = PlatformConfig["aws"]["offsite"];

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

export interface OffsiteBackupArgs {
  settings: OffsiteSettings;
  bucketName: string;
  writers: OffsiteWriter[];
  namespace: pulumi.Input<string>;
  instance: string;
  kubernetesProvider: k8s.Provider;
}

/**
 * The off-site copy: a secure bucket in a second region (versioned, SSE-KMS with a
 * rotating key, public access blocked, TLS-only, only the platform's principals), its
 * lifecycle (IA at 90 days, archive at 365, expiry at 7 years), a cross-region replica
 * when configured, and one least-privilege IAM user per writer whose keys reach the
 * cluster as Kubernetes Secrets.
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
    const lifecycle = { ...s, noncurrentVersionExpirationDays: s.noncurrentVersionExpirationDays };
    const caller = aws.getCallerIdentityOutput({}, { parent: this, provider });

    // One identity per writer: a role for a web identity, a user (with a key) otherwise.
    const identities = args.writers.map((w) => {
      const identityName = `${args.bucketName}-${w.name}`;
      const c = w.credentials;
      if (c.kind === "accessKey") {
        const user = new aws.iam.User(`${name}-${w.name}`, { name: identityName, path: "/blacklake/" }, child);
        return { user, arn: user.arn };
      }
      const role = new aws.iam.Role(
        `${name}-${w.name}`,
        {
          name: identityName,
          path: "/blacklake/",
          maxSessionDuration: 3600,
          assumeRolePolicy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { Federated: c.oidcProviderArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                  StringEquals: {
                    [`${c.oidcIssuer}:sub`]: pulumi.interpolate`system:serviceaccount:${args.namespace}:${c.serviceAccount}`,
                    [`${c.oidcIssuer}:aud`]: "sts.amazonaws.com",
                  },
                },
              },
            ],
          }),
        },
        child,
      );
      this.writerRoleArns[w.name] = role.arn;
      return { role, arn: role.arn };
    });
    const replicationRole = s.replicaRegion
      ? new aws.iam.Role(
          `${name}-replication`,
          {
            assumeRolePolicy: JSON.stringify({
              Version: "2012-10-17",
              Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
          },
          child,
        )
      : undefined;
    const allowed = pulumi
      .all([caller.arn, caller.accountId, ...identities.map((i) => i.arn), ...(replicationRole ? [replicationRole.arn] : [])])
      .apply(([deployer, account, ...rest]) => [deployer, `arn:aws:iam::${account}:root`, ...s.adminPrincipalArns, ...rest]);

    const primary = new SecureBucket(name, { bucketName: args.bucketName, lifecycle, provider, allowedPrincipalArns: allowed }, { parent: this });
    this.bucketName = primary.bucket.bucket;

    args.writers.forEach((w, i) => {
      const objects = pulumi.interpolate`${primary.bucket.arn}/${w.prefix}*`;
      const policy = pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "ListOwnPrefix",
            Effect: "Allow",
            Action: ["s3:ListBucket", "s3:GetBucketLocation"],
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
      const { user, role } = identities[i] as { user?: aws.iam.User; role?: aws.iam.Role };
      if (role) {
        new aws.iam.RolePolicy(`${name}-${w.name}`, { role: role.id, policy }, child);
        return;
      }
      if (!user || w.credentials.kind !== "accessKey") throw new Error(`offsite: writer ${w.name} has no identity`);
      new aws.iam.UserPolicy(`${name}-${w.name}`, { user: user.name, policy }, child);
      const key = new aws.iam.AccessKey(`${name}-${w.name}`, { user: user.name }, child);
      const secret = w.credentials;
      new k8s.core.v1.Secret(
        secret.secretName,
        {
          metadata: { name: secret.secretName, namespace: args.namespace, labels: standardLabels({ name: "offsite", instance: args.instance, component: "backup" }) },
          type: "Opaque",
          stringData: { [secret.accessKeyKey]: key.id, [secret.secretKeyKey]: key.secret },
        },
        { parent: this, provider: args.kubernetesProvider },
      );
    });

    if (s.replicaRegion && replicationRole) {
      const replicaProvider = new aws.Provider(`${name}-${s.replicaRegion}`, { region: s.replicaRegion as aws.Region }, { parent: this });
      const replica = new SecureBucket(`${name}-replica`, { bucketName: `${args.bucketName}-replica`, lifecycle, provider: replicaProvider, allowedPrincipalArns: allowed }, { parent: this });
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
    this.registerOutputs({ bucketName: this.bucketName });
  }
}
