import type { CiAccessSettings } from "./settings";
import { iamArn, STACK_TAG, STATE_PROJECT, type StackScope } from "./scope";

// The CI roles' permissions and the boundary of what they create, as IAM documents.
// Everything is scoped to one stack (scope.ts): a staging role's statements match no
// prod ARN (test/unit/aws-isolation.test.ts checks it with IAM's matching rules).

export interface CiPolicyInputs {
  settings: CiAccessSettings;
  scope: StackScope;
  account: string;
  /** Names the platform's resources start with (the namespace): ECR repositories <prefix>/*. */
  resourcePrefix: string;
  /** The stack's S3 buckets, by exact name: the deploy role manages these and no other. */
  bucketNames: string[];
  /** The regions the stack's KMS keys live in. */
  keyRegions: string[];
  /** The stack's CloudTrail trail (cloudTrailDataEvents), by name. */
  trailName?: string;
}

export type Statement = Record<string, unknown> & { Sid: string; Effect: "Allow" | "Deny" };

/** The CI roles' names and ARNs, and the boundary's: known before they exist, so the policies can name them. */
export function ciIdentities(i: Pick<CiPolicyInputs, "scope" | "account" | "resourcePrefix">) {
  const name = (what: string) => `${i.resourcePrefix}-ci-${what}`;
  const boundaryName = `${i.resourcePrefix}-workload-boundary`;
  return {
    previewName: name("preview"),
    deployName: name("deploy"),
    boundaryName,
    previewArn: iamArn(i.account, "role", i.scope.ciPath, name("preview")),
    deployArn: iamArn(i.account, "role", i.scope.ciPath, name("deploy")),
    boundaryArn: iamArn(i.account, "policy", i.scope.ciPath, boundaryName),
  };
}

/** The statement when it has resources to name (IAM refuses an empty Resource). */
const onlyWith = (resources: string[], statement: Statement): Statement[] => (resources.length > 0 ? [statement] : []);

/** The state bucket's objects of this stack: its checkpoint (and .bak), history, backups and lock. */
function stateObjects(bucket: string, stack: string) {
  const of = (kind: string) => `${bucket}/.pulumi/${kind}/${STATE_PROJECT}/${stack}`;
  return { checkpoint: `${of("stacks")}.json*`, history: `${of("history")}/*`, backups: `${of("backups")}/*`, lock: `${of("locks")}/*`, meta: `${bucket}/.pulumi/meta.yaml` };
}

const keysOfThisStack = (i: Pick<CiPolicyInputs, "scope" | "account" | "keyRegions">) => ({
  Resource: i.keyRegions.map((region) => `arn:aws:kms:${region}:${i.account}:key/*`),
  Condition: { StringEquals: { [`aws:ResourceTag/${STACK_TAG}`]: i.scope.stack } },
});

/**
 * readState (preview: read this stack's state, take its lock, decrypt its secrets) and
 * manage (deploy: that, plus writing this stack's state and managing this stack's own
 * buckets, identities, keys and repositories), followed by the deploy role's denies.
 */
export function ciPolicyStatements(i: CiPolicyInputs): { readState: Statement[]; manage: Statement[] } {
  const s = i.settings;
  const stateBucket = `arn:aws:s3:::${s.stateBucket}`;
  const state = stateObjects(stateBucket, i.scope.stack);
  const me = ciIdentities(i);
  // KMS keys made by an administrator are named by alias: the grant applies to whichever key carries it.
  const keyWithAlias = (alias: string) => ({
    Resource: `arn:aws:kms:*:${i.account}:key/*`,
    Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": alias } },
  });
  const secretsKey = keyWithAlias(s.secretsKeyAlias);
  const ownObjects = (o: typeof state) => [o.checkpoint, o.history, o.backups];
  const readState: Statement[] = [
    // GetBucketLocation takes no s3:prefix, so it stands alone (under a prefix condition it is never granted).
    { Sid: "LocateState", Effect: "Allow", Action: "s3:GetBucketLocation", Resource: stateBucket },
    {
      Sid: "ListOwnState",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: stateBucket,
      Condition: {
        StringLike: { "s3:prefix": [`.pulumi/stacks/${STATE_PROJECT}/`, ...[...ownObjects(state), state.lock, state.meta].map((o) => o.slice(stateBucket.length + 1))] },
      },
    },
    { Sid: "ReadOwnState", Effect: "Allow", Action: "s3:GetObject", Resource: [state.meta, ...ownObjects(state), state.lock] },
    { Sid: "TakeStackLock", Effect: "Allow", Action: ["s3:PutObject", "s3:DeleteObject"], Resource: state.lock },
    // The state bucket is SSE-KMS: reading needs Decrypt, writing (the lock too) a data key.
    { Sid: "StateBucketKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], ...keyWithAlias(s.stateKeyAlias) },
    { Sid: "DecryptStackSecrets", Effect: "Allow", Action: "kms:Decrypt", ...secretsKey },
    // aws.iam.getSessionContext looks the role of an assumed-role session up (the program names its deployer).
    { Sid: "ReadOwnRole", Effect: "Allow", Action: "iam:GetRole", Resource: [me.previewArn, me.deployArn] },
    // The registry login takes no resource; what it pushes or pulls is granted per repository.
    { Sid: "RegistryLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
    { Sid: "FindTheCluster", Effect: "Allow", Action: "eks:DescribeCluster", Resource: `arn:aws:eks:*:${i.account}:cluster/*` },
  ];
  const roles = iamArn(i.account, "role", i.scope.workloadPath, "*");
  const users = iamArn(i.account, "user", i.scope.workloadPath, "*");
  const withBoundary = { ArnEquals: { "iam:PermissionsBoundary": me.boundaryArn } };
  const buckets = i.bucketNames.map((b) => `arn:aws:s3:::${b}`);
  const manage: Statement[] = [
    { Sid: "WriteOwnState", Effect: "Allow", Action: ["s3:PutObject", "s3:DeleteObject"], Resource: ownObjects(state) },
    { Sid: "EncryptStackSecrets", Effect: "Allow", Action: ["kms:Encrypt", "kms:GenerateDataKey"], ...secretsKey },
    // The buckets are read, never reconfigured: their policy, lifecycle, versioning, lock and
    // replication decide whether backups survive, and only an administrator changes those
    // (each bucket's policy denies it to everyone else). Rewriting the policy would let the
    // deploy role grant itself the objects; a lifecycle rule would expire them.
    ...onlyWith(buckets, {
      Sid: "ReadStackBuckets",
      Effect: "Allow",
      Action: ["s3:GetBucket*", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration", "s3:GetEncryptionConfiguration"],
      Resource: buckets,
    }),
    // Roles and users are created, and given policies, only with the stack's boundary:
    // whatever the deploy role writes into them, they can do no more than the boundary.
    {
      Sid: "CreateBoundedIdentities",
      Effect: "Allow",
      Action: [
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:CreateUser",
        "iam:PutUserPolicy",
        "iam:DeleteUserPolicy",
        "iam:PutUserPermissionsBoundary",
      ],
      Resource: [roles, users],
      Condition: withBoundary,
    },
    {
      Sid: "ManageStackIdentities",
      Effect: "Allow",
      Action: [
        "iam:GetRole",
        "iam:DeleteRole",
        "iam:UpdateRole",
        "iam:UpdateAssumeRolePolicy",
        "iam:GetRolePolicy",
        "iam:ListRolePolicies",
        "iam:ListAttachedRolePolicies",
        "iam:ListInstanceProfilesForRole",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:GetUser",
        "iam:DeleteUser",
        "iam:GetUserPolicy",
        "iam:ListUserPolicies",
        "iam:ListAttachedUserPolicies",
        "iam:ListGroupsForUser",
        "iam:TagUser",
        "iam:UntagUser",
        "iam:CreateAccessKey",
        "iam:DeleteAccessKey",
        "iam:UpdateAccessKey",
        "iam:ListAccessKeys",
      ],
      Resource: [roles, users],
    },
    // The replication role is the only one passed, and only to S3.
    { Sid: "PassReplicationRole", Effect: "Allow", Action: "iam:PassRole", Resource: roles, Condition: { StringEquals: { "iam:PassedToService": "s3.amazonaws.com" } } },
    // CreateKey has no resource ARN: it is granted on "*" for a request that tags the key with this stack.
    { Sid: "CreateStackKeys", Effect: "Allow", Action: "kms:CreateKey", Resource: "*", Condition: { StringEquals: { [`aws:RequestTag/${STACK_TAG}`]: i.scope.stack } } },
    // Tagging a new key as it is created; a key that already carries a stack tag (another stack's) cannot be re-tagged.
    {
      Sid: "TagNewStackKeys",
      Effect: "Allow",
      Action: "kms:TagResource",
      Resource: keysOfThisStack(i).Resource,
      Condition: { StringEquals: { [`aws:RequestTag/${STACK_TAG}`]: i.scope.stack }, Null: { [`aws:ResourceTag/${STACK_TAG}`]: "true" } },
    },
    {
      Sid: "ManageStackKeys",
      Effect: "Allow",
      Action: ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:EnableKeyRotation", "kms:ListResourceTags", "kms:UpdateKeyDescription"],
      ...keysOfThisStack(i),
    },
    // Other tags of the stack's keys may change; the stack tag, which the grants hang on, may not.
    {
      Sid: "TagStackKeys",
      Effect: "Allow",
      Action: ["kms:TagResource", "kms:UntagResource"],
      Resource: keysOfThisStack(i).Resource,
      Condition: { ...keysOfThisStack(i).Condition, "ForAllValues:StringNotEquals": { "aws:TagKeys": STACK_TAG } },
    },
    {
      Sid: "StackRepositories",
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
      Resource: `arn:aws:ecr:*:${i.account}:repository/${i.resourcePrefix}/*`,
    },
    // The stack's own trail: made and kept running; stopping or deleting it is the administrator's.
    ...(i.trailName
      ? [
          {
            Sid: "StackTrail",
            Effect: "Allow" as const,
            Action: [
              "cloudtrail:CreateTrail",
              "cloudtrail:UpdateTrail",
              "cloudtrail:StartLogging",
              "cloudtrail:PutEventSelectors",
              "cloudtrail:GetEventSelectors",
              "cloudtrail:GetTrail",
              "cloudtrail:GetTrailStatus",
              "cloudtrail:ListTags",
              "cloudtrail:AddTags",
              "cloudtrail:RemoveTags",
            ],
            Resource: `arn:aws:cloudtrail:*:${i.account}:trail/${i.trailName}`,
          },
          // DescribeTrails takes no resource (parliament's RESOURCE_MISMATCH: on the trail's ARN it is never granted); it only reads.
          { Sid: "ListTrails", Effect: "Allow" as const, Action: "cloudtrail:DescribeTrails", Resource: "*" },
        ]
      : []),
    // Whatever the grants above come to match, the CI roles and boundaries of every stack stay out of reach.
    {
      Sid: "DenyCiIdentityChanges",
      Effect: "Deny",
      Action: ["iam:Create*", "iam:Delete*", "iam:Put*", "iam:Update*", "iam:Attach*", "iam:Detach*", "iam:Tag*", "iam:Untag*", "iam:SetDefaultPolicyVersion", "iam:PassRole"],
      Resource: [iamArn(i.account, "role", "/blacklake-ci/", "*"), iamArn(i.account, "policy", "/blacklake-ci/", "*"), me.previewArn, me.deployArn, me.boundaryArn],
    },
    { Sid: "DenyBoundaryRemoval", Effect: "Deny", Action: ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"], Resource: "*" },
  ];
  return { readState, manage };
}

/**
 * The permissions boundary of every role and user the deploy role creates: at most the
 * stack's buckets' objects, replication, and the stack's keys. Nothing in IAM, STS or KMS
 * administration, whatever their own policies say.
 */
export function workloadBoundary(i: Pick<CiPolicyInputs, "scope" | "account" | "bucketNames" | "keyRegions">) {
  const buckets = i.bucketNames.map((b) => `arn:aws:s3:::${b}`);
  return {
    Version: "2012-10-17",
    Statement: [
      ...onlyWith(buckets, { Sid: "StackBuckets", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetReplicationConfiguration"], Resource: buckets }),
      ...onlyWith(buckets, {
        Sid: "StackObjects",
        Effect: "Allow",
        Action: [
          "s3:GetObject",
          "s3:PutObject",
          "s3:DeleteObject",
          "s3:GetObjectVersionForReplication",
          "s3:GetObjectVersionAcl",
          "s3:GetObjectVersionTagging",
          "s3:ReplicateObject",
          "s3:ReplicateDelete",
          "s3:ReplicateTags",
        ],
        Resource: buckets.map((b) => `${b}/*`),
      }),
      { Sid: "StackKeys", Effect: "Allow", Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], ...keysOfThisStack(i) },
    ],
  };
}
