import * as pulumi from "@pulumi/pulumi";
import type { CiAccessSettings } from "./settings";

/**
 * The CI roles' permissions as IAM statements: readState (preview: read the state, take
 * the lock, decrypt the stack's secrets) and manage (deploy: write the state, and the
 * platform's own buckets, identities, keys and repositories, by name prefix).
 */
export function ciPolicyStatements(s: CiAccessSettings, account: pulumi.Output<string>, resourcePrefix: string) {
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
  const p = resourcePrefix;
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
  return { readState, manage };
}
