import type { PolicyResource } from "@pulumi/policy";
import { asArray, ofType, type Props, refersTo, resourcePolicy, type ResourcePolicy, type StackPolicy, stackPolicy, where } from "./lib";

// AWS rules. @pulumi/aws 7.x registers both the current S3 types and the deprecated *V2
// aliases; both are covered. Bucket-level companions (every bucket HAS versioning,
// encryption, a public access block, a lifecycle) need the whole stack: see stack.ts.

export const AWS = {
  bucket: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
  versioning: ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"],
  encryption: [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  ],
  publicAccessBlock: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
  lifecycle: ["aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"],
  acl: ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"],
  logging: ["aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"],
  kmsKey: ["aws:kms/key:Key"],
  iamPolicies: ["aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy"],
  iamRole: ["aws:iam/role:Role"],
  ecrRepository: ["aws:ecr/repository:Repository"],
} as const;

const versioningEnabled = resourcePolicy({
  name: "aws-s3-versioning-enabled",
  description: "S3 bucket versioning resources set versioningConfiguration.status to Enabled.",
  enforcementLevel: "mandatory",
  types: AWS.versioning,
  validate: ({ type, name, props }, report) => {
    const status = props.versioningConfiguration?.status;
    if (status !== "Enabled") {
      report(`${where(type, name)}: versioningConfiguration.status is ${status ?? "unset"}. Set it to "Enabled" so overwritten and deleted objects stay recoverable.`);
    }
  },
});

/**
 * A bucket that only receives server access logs: some BucketLogging targets it, and it
 * logs nowhere itself (a data bucket logs to its log bucket). S3 delivers no server
 * access log into an SSE-KMS bucket, so such a bucket may be SSE-S3.
 */
export function isAccessLogTarget(bucket: PolicyResource, resources: PolicyResource[]): boolean {
  const loggings = ofType(resources, ...AWS.logging);
  return loggings.some((l) => refersTo(l, "targetBucket", bucket, "bucket")) && !loggings.some((l) => refersTo(l, "bucket", bucket, "bucket"));
}

const sseKms = stackPolicy({
  name: "aws-s3-sse-kms",
  description:
    "S3 server-side encryption rules use aws:kms (SSE-KMS) with a customer key. SSE-S3 (AES256) is accepted only on a bucket that receives server access logs and logs nowhere itself, since S3 delivers no access log into an SSE-KMS bucket.",
  enforcementLevel: "mandatory",
  validate: ({ resources }, report) => {
    const buckets = ofType(resources, ...AWS.bucket);
    for (const encryption of ofType(resources, ...AWS.encryption)) {
      const { type, name, props, urn } = encryption;
      const logTarget = buckets.some((b) => refersTo(encryption, "bucket", b, "bucket") && isAccessLogTarget(b, resources));
      const rules = asArray(props.rules);
      if (rules.length === 0) report(`${where(type, name)}: rules is empty. Add a rule with applyServerSideEncryptionByDefault.sseAlgorithm "aws:kms".`, urn);
      rules.forEach((rule, i) => {
        const algorithm = rule.applyServerSideEncryptionByDefault?.sseAlgorithm;
        if (algorithm === "aws:kms" || algorithm === "aws:kms:dsse" || (logTarget && algorithm === "AES256")) return;
        report(
          `${where(type, name)}: rules[${i}].applyServerSideEncryptionByDefault.sseAlgorithm is ${algorithm ?? "unset"}. ` +
            `Use "aws:kms" with kmsMasterKeyId set to the platform's KMS key.`,
          urn,
        );
      });
    }
  },
});

const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
const publicAccessBlock = resourcePolicy({
  name: "aws-s3-public-access-block",
  description: "S3 public access blocks set all four flags (blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets) to true.",
  enforcementLevel: "mandatory",
  types: AWS.publicAccessBlock,
  validate: ({ type, name, props }, report) => {
    const off = PUBLIC_ACCESS_FLAGS.filter((f) => props[f] !== true);
    if (off.length > 0) report(`${where(type, name)}: ${off.join(", ")} ${off.length === 1 ? "is" : "are"} not true. Set all four public access block flags to true.`);
  },
});

const PUBLIC_ACLS = ["public-read", "public-read-write", "authenticated-read"];
const noPublicAcl = resourcePolicy({
  name: "aws-s3-no-public-acl",
  description: "Buckets and bucket ACLs use no public canned ACL (public-read, public-read-write, authenticated-read).",
  enforcementLevel: "mandatory",
  types: [...AWS.bucket, ...AWS.acl],
  validate: ({ type, name, props }, report) => {
    const acl = props.acl;
    if (typeof acl === "string" && PUBLIC_ACLS.includes(acl)) {
      report(`${where(type, name)}: acl is "${acl}", which exposes the bucket. Remove the ACL (buckets are private by default) and grant access through IAM.`);
    }
  },
});

const kmsRotation = resourcePolicy({
  name: "aws-kms-key-rotation",
  description: "Symmetric KMS keys rotate automatically (enableKeyRotation: true).",
  enforcementLevel: "mandatory",
  types: AWS.kmsKey,
  validate: ({ type, name, props }, report) => {
    const spec = props.customerMasterKeySpec ?? props.keySpec ?? "SYMMETRIC_DEFAULT";
    if (spec !== "SYMMETRIC_DEFAULT") return; // AWS cannot rotate asymmetric or HMAC keys.
    if (props.enableKeyRotation !== true) {
      report(`${where(type, name)}: enableKeyRotation is ${props.enableKeyRotation ?? "unset (false)"}. Set enableKeyRotation: true.`);
    }
  },
});

/** A policy document as an object, whether given as JSON text or as an object. */
export function policyDocument(value: unknown): Props | undefined {
  if (typeof value === "string") {
    try {
      return JSON.parse(value) as Props;
    } catch {
      return undefined;
    }
  }
  return value && typeof value === "object" ? (value as Props) : undefined;
}

/** A policy document's statements: `Statement` may be one object or a list. */
export const statementsOf = (doc: Props | undefined): Props[] =>
  (doc === undefined ? [] : Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : []) as Props[];

export const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);

/**
 * Allow statements that grant every action (`*`) or every action of a service (`s3:*`),
 * on any resource: `s3:*` on the backup bucket alone still deletes it and rewrites its
 * policy. Allow + NotAction is the same grant in disguise.
 */
export function wildcardGrants(doc: Props): { index: number; actions: string[]; resources: string[] }[] {
  const found: { index: number; actions: string[]; resources: string[] }[] = [];
  statementsOf(doc).forEach((s, index) => {
    if (s.Effect !== "Allow") return;
    const actions = list(s.Action).filter((a) => a === "*" || /^[\w-]+:\*$/.test(a));
    const notAction = s.NotAction !== undefined;
    const resources = s.NotResource !== undefined ? [`NotResource ${list(s.NotResource).join(", ")}`] : list(s.Resource);
    if (actions.length > 0 || notAction) found.push({ index, actions: notAction ? ["NotAction"] : actions, resources });
  });
  return found;
}

const iamNoWildcards = resourcePolicy({
  name: "aws-iam-no-wildcard-admin",
  description: 'IAM policy documents grant no "*" or "<service>:*" actions (or Allow+NotAction), on any resource.',
  enforcementLevel: "mandatory",
  types: [...AWS.iamPolicies, ...AWS.iamRole],
  validate: ({ type, name, props }, report) => {
    const documents: { path: string; value: unknown }[] = AWS.iamRole.includes(type as never)
      ? asArray(props.inlinePolicies).map((p, i) => ({ path: `inlinePolicies[${i}].policy`, value: p.policy }))
      : [{ path: "policy", value: props.policy }];
    for (const { path, value } of documents) {
      if (value === undefined) continue;
      const doc = policyDocument(value);
      if (!doc) {
        report(`${where(type, name)}: ${path} is not a JSON policy document. Build it with aws.iam.getPolicyDocument or JSON.stringify.`);
        continue;
      }
      for (const { index, actions, resources } of wildcardGrants(doc)) {
        report(
          `${where(type, name)}: ${path} Statement[${index}] allows ${actions.join(", ")} on ${resources.map((r) => `"${r}"`).join(", ") || "(no resource)"}. ` +
            `Grant the specific actions the principal needs on the specific resource ARNs.`,
        );
      }
    }
  },
});

const ecrScanOnPush = resourcePolicy({
  name: "aws-ecr-scan-on-push",
  description: "ECR repositories scan every pushed image for known vulnerabilities.",
  enforcementLevel: "mandatory",
  types: AWS.ecrRepository,
  validate: ({ type, name, props }, report) => {
    if (props.imageScanningConfiguration?.scanOnPush !== true) {
      report(`${where(type, name)}: imageScanningConfiguration.scanOnPush is ${props.imageScanningConfiguration?.scanOnPush ?? "unset"}. Set it to true.`);
    }
  },
});

const ecrImmutableTags = resourcePolicy({
  name: "aws-ecr-immutable-tags",
  description: "ECR repositories have immutable tags: a tag that was deployed always names the same image.",
  enforcementLevel: "mandatory",
  types: AWS.ecrRepository,
  validate: ({ type, name, props }, report) => {
    if (props.imageTagMutability !== "IMMUTABLE") {
      report(`${where(type, name)}: imageTagMutability is ${props.imageTagMutability ?? "unset (MUTABLE)"}. Set it to "IMMUTABLE" so a pushed tag can never be overwritten.`);
    }
  },
});

/**
 * A role federated to an OIDC provider (IRSA, GitHub Actions) must pin the token's
 * subject exactly: without it, any service account of the cluster (or any repository
 * of GitHub) could assume the role.
 */
const webIdentityScoped = resourcePolicy({
  name: "aws-iam-web-identity-subject",
  description: "Roles assumed with a web identity require an exact token subject (StringEquals on <issuer>:sub) and audience.",
  enforcementLevel: "mandatory",
  types: AWS.iamRole,
  validate: ({ type, name, props }, report) => {
    statementsOf(policyDocument(props.assumeRolePolicy)).forEach((s, i) => {
      if (s?.Effect !== "Allow" || !list(s.Action).includes("sts:AssumeRoleWithWebIdentity")) return;
      const equals = (s.Condition?.StringEquals ?? {}) as Record<string, unknown>;
      const subject = Object.entries(equals).find(([key]) => key.endsWith(":sub"));
      const audience = Object.entries(equals).find(([key]) => key.endsWith(":aud"));
      const exact = (v: unknown) => list(v).length > 0 && list(v).every((x) => !x.includes("*"));
      if (!subject || !exact(subject[1]) || !audience) {
        report(
          `${where(type, name)}: assumeRolePolicy.Statement[${i}] lets a web identity assume the role without an exact StringEquals on "<issuer>:sub" and "<issuer>:aud". ` +
            "Pin the subject (system:serviceaccount:<namespace>:<name>, or repo:<org>/<repo>:environment:<env>) and the audience.",
        );
      }
    });
  },
});

export const awsStackPolicies: StackPolicy[] = [sseKms];

export const awsPolicies: ResourcePolicy[] = [versioningEnabled, publicAccessBlock, noPublicAcl, kmsRotation, iamNoWildcards, ecrScanOnPush, ecrImmutableTags, webIdentityScoped];
