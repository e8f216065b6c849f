import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { CiAccessSettings } from "./settings";
import { webIdentityTrustPolicy } from "./webIdentity";

// The identities GitHub Actions uses for this stack, by OIDC federation: no cloud key is
// ever stored in the repository or in GitHub. Two roles, each trusted for exactly one
// GitHub environment of one repository:
//   preview: reads the state, takes the stack lock, decrypts the stack's secrets;
//   deploy:  that, plus managing the platform's own AWS resources (and nothing else).
// The state bucket and the secrets key are made once by an administrator (a stack cannot
// hold its own state): docs/ci.md.

export type { CiAccessSettings };

export interface CiAccessArgs {
  settings: CiAccessSettings;
  /** Names the platform's resources start with (the namespace): the deploy role may manage only those. */
  resourcePrefix: string;
}

const GITHUB_ISSUER = "token.actions.githubusercontent.com";

/** The trust policy: only jobs of `repository` running in GitHub environment `environment`. */
export function githubTrustPolicy(providerArn: pulumi.Input<string>, repository: string, environment: string) {
  return webIdentityTrustPolicy(providerArn, GITHUB_ISSUER, `repo:${repository}:environment:${environment}`);
}

export class CiAccess extends pulumi.ComponentResource {
  readonly previewRoleArn: pulumi.Output<string>;
  readonly deployRoleArn: pulumi.Output<string>;

  constructor(name: string, args: CiAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:aws:CiAccess", name, {}, opts);
    const s = args.settings;
    // IAM is global; the provider's region only decides where the API calls go.
    const provider = new aws.Provider(`${name}-iam`, { region: "us-east-1" }, { parent: this });
    const child = { parent: this, provider };
    const account = aws.getCallerIdentityOutput({}, { parent: this, provider }).accountId;

    const providerArn =
      s.oidcProviderArn ?? new aws.iam.OpenIdConnectProvider(`${name}-github`, { url: `https://${GITHUB_ISSUER}`, clientIdLists: ["sts.amazonaws.com"] }, child).arn;

    const stateBucket = `arn:aws:s3:::${s.stateBucket}`;
    // KMS keys are named by alias: the statement applies to whichever key carries it.
    const keyWithAlias = (alias: string) => ({
      Resource: pulumi.interpolate`arn:aws:kms:*:${account}:key/*`,
      Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": alias } },
    });
    const secretsKey = keyWithAlias(s.secretsKeyAlias);
    const readState = [
      { Sid: "ListState", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: stateBucket },
      { Sid: "ReadState", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${stateBucket}/.pulumi/*` },
      { Sid: "TakeStackLock", Effect: "Allow", Action: ["s3:PutObject", "s3:DeleteObject"], Resource: `${stateBucket}/.pulumi/locks/*` },
      // The state bucket is SSE-KMS: reading needs Decrypt, writing (the lock too) a data key.
      { Sid: "StateBucketKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], ...keyWithAlias(s.stateKeyAlias) },
      { Sid: "DecryptStackSecrets", Effect: "Allow", Action: ["kms:Decrypt"], ...secretsKey },
      { Sid: "PushAndPullImages", Effect: "Allow", Action: ["ecr:GetAuthorizationToken", "eks:DescribeCluster"], Resource: "*" },
    ];
    const p = args.resourcePrefix;
    const manage = [
      { Sid: "WriteState", Effect: "Allow", Action: ["s3:PutObject", "s3:DeleteObject"], Resource: `${stateBucket}/.pulumi/*` },
      { Sid: "EncryptStackSecrets", Effect: "Allow", Action: ["kms:Encrypt", "kms:GenerateDataKey"], ...secretsKey },
      {
        Sid: "PlatformBuckets",
        Effect: "Allow",
        Action: [
          "s3:CreateBucket",
          "s3:ListBucket",
          "s3:GetBucket*",
          "s3:PutBucket*",
          "s3:GetLifecycleConfiguration",
          "s3:PutLifecycleConfiguration",
          "s3:GetReplicationConfiguration",
          "s3:PutReplicationConfiguration",
          "s3:GetEncryptionConfiguration",
          "s3:PutEncryptionConfiguration",
        ],
        Resource: [`arn:aws:s3:::${p}-*`],
      },
      {
        Sid: "PlatformIdentities",
        Effect: "Allow",
        Action: [
          "iam:CreateRole",
          "iam:DeleteRole",
          "iam:GetRole",
          "iam:UpdateAssumeRolePolicy",
          "iam:PutRolePolicy",
          "iam:GetRolePolicy",
          "iam:DeleteRolePolicy",
          "iam:ListRolePolicies",
          "iam:ListAttachedRolePolicies",
          "iam:ListInstanceProfilesForRole",
          "iam:TagRole",
          "iam:PassRole",
          "iam:CreateUser",
          "iam:DeleteUser",
          "iam:GetUser",
          "iam:PutUserPolicy",
          "iam:GetUserPolicy",
          "iam:DeleteUserPolicy",
          "iam:ListUserPolicies",
          "iam:ListAttachedUserPolicies",
          "iam:CreateAccessKey",
          "iam:DeleteAccessKey",
          "iam:ListAccessKeys",
          "iam:TagUser",
        ],
        Resource: [pulumi.interpolate`arn:aws:iam::${account}:role/blacklake/*`, pulumi.interpolate`arn:aws:iam::${account}:user/blacklake/*`],
      },
      {
        Sid: "PlatformKeys",
        Effect: "Allow",
        Action: [
          "kms:CreateKey",
          "kms:DescribeKey",
          "kms:GetKeyPolicy",
          "kms:GetKeyRotationStatus",
          "kms:EnableKeyRotation",
          "kms:ListResourceTags",
          "kms:TagResource",
          "kms:ScheduleKeyDeletion",
          "kms:PutKeyPolicy",
        ],
        Resource: pulumi.interpolate`arn:aws:kms:*:${account}:key/*`,
      },
      {
        Sid: "PlatformRepositories",
        Effect: "Allow",
        Action: [
          "ecr:CreateRepository",
          "ecr:DeleteRepository",
          "ecr:DescribeRepositories",
          "ecr:PutLifecyclePolicy",
          "ecr:GetLifecyclePolicy",
          "ecr:PutImageScanningConfiguration",
          "ecr:PutImageTagMutability",
          "ecr:TagResource",
          "ecr:ListTagsForResource",
          "ecr:BatchCheckLayerAvailability",
          "ecr:InitiateLayerUpload",
          "ecr:UploadLayerPart",
          "ecr:CompleteLayerUpload",
          "ecr:PutImage",
          "ecr:BatchGetImage",
          "ecr:GetDownloadUrlForLayer",
        ],
        Resource: pulumi.interpolate`arn:aws:ecr:*:${account}:repository/${p}/*`,
      },
    ];

    const role = (kind: "preview" | "deploy", environment: string, statements: unknown[]) => {
      const r = new aws.iam.Role(
        `${name}-${kind}`,
        { name: `${p}-ci-${kind}`, path: "/blacklake/", maxSessionDuration: 3600, assumeRolePolicy: githubTrustPolicy(providerArn, s.githubRepository, environment) },
        child,
      );
      new aws.iam.RolePolicy(`${name}-${kind}`, { role: r.id, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }) }, child);
      return r.arn;
    };
    this.previewRoleArn = role("preview", s.previewEnvironment, readState);
    this.deployRoleArn = role("deploy", s.deployEnvironment, [...readState, ...manage]);
    this.registerOutputs({ previewRoleArn: this.previewRoleArn, deployRoleArn: this.deployRoleArn });
  }
}
