import { AWS, list, policyDocument, statementsOf } from "./aws";
import { type Props, resourcePolicy, stackPolicy, where } from "./lib";

// Who may do what in AWS, read from every document that grants it: identity policies that
// let a principal raise its own rights, trust policies anyone may assume, KMS key
// policies and bucket policies. The wildcard and web-identity rules are in aws.ts.

/** Actions that let a principal grant itself (or a principal it controls) more rights. */
export const ESCALATION_ACTIONS = [
  "iam:CreatePolicyVersion",
  "iam:SetDefaultPolicyVersion",
  "iam:AttachUserPolicy",
  "iam:AttachGroupPolicy",
  "iam:AttachRolePolicy",
  "iam:PutUserPolicy",
  "iam:PutGroupPolicy",
  "iam:PutRolePolicy",
  "iam:UpdateAssumeRolePolicy",
  "iam:PassRole",
  "iam:CreateAccessKey",
  "iam:CreateLoginProfile",
  "iam:UpdateLoginProfile",
  "iam:AddUserToGroup",
  "iam:DeleteRolePermissionsBoundary",
  "iam:DeleteUserPermissionsBoundary",
  "sts:AssumeRole",
];

/** IAM's wildcard matching: `*` any run of characters (across "/" and ":" too), `?` one. */
function iamGlob(pattern: string, value: string, flags: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    flags,
  );
  return re.test(value);
}

/** IAM's action matching: case-insensitive. */
export const actionMatches = (pattern: string, action: string): boolean => iamGlob(pattern, action, "i");

/** IAM's resource matching: an ARN pattern against an ARN, case-sensitive. */
export const arnMatches = (pattern: string, arn: string): boolean => iamGlob(pattern, arn, "");

interface DocumentAt {
  path: string;
  doc: Props | undefined;
  raw: unknown;
}

/** The identity policy documents a resource carries: `policy`, or a role's inline policies. */
function identityDocuments(type: string, props: Props): DocumentAt[] {
  if (AWS.iamRole.includes(type as never)) {
    return ((props.inlinePolicies ?? []) as Props[]).map((p, i) => ({ path: `inlinePolicies[${i}].policy`, doc: policyDocument(p.policy), raw: p.policy }));
  }
  return props.policy === undefined ? [] : [{ path: "policy", doc: policyDocument(props.policy), raw: props.policy }];
}

const noEscalation = resourcePolicy({
  name: "aws-iam-no-privilege-escalation",
  description:
    "No identity policy allows the actions that raise a principal's own rights (PutRolePolicy, AttachRolePolicy, CreatePolicyVersion, UpdateAssumeRolePolicy, PassRole, CreateAccessKey, sts:AssumeRole, ...), by name or by wildcard, unless the policy is listed in allowedPolicies with a reason.",
  enforcementLevel: "mandatory",
  types: [...AWS.iamPolicies, ...AWS.iamRole],
  configSchema: {
    properties: {
      allowedPolicies: {
        type: "array",
        items: { type: "string" },
        default: [],
        description: "Pulumi names of the policies that may hold these actions (a deploy role that manages the platform's roles); each needs its reason in docs/policies.md.",
      },
    },
  },
  validate: ({ type, name, props, getConfig }, report) => {
    if ((getConfig<{ allowedPolicies?: string[] }>().allowedPolicies ?? []).includes(name)) return;
    for (const { path, doc } of identityDocuments(type, props)) {
      statementsOf(doc).forEach((s, i) => {
        if (s.Effect !== "Allow") return;
        const granted =
          s.NotAction !== undefined
            ? ESCALATION_ACTIONS.filter((a) => !list(s.NotAction).some((p) => actionMatches(p, a)))
            : ESCALATION_ACTIONS.filter((a) => list(s.Action).some((p) => actionMatches(p, a)));
        if (granted.length === 0) return;
        report(
          `${where(type, name)}: ${path} Statement[${i}]${s.Sid ? ` (${s.Sid})` : ""} allows ${granted.join(", ")} on ${list(s.Resource).join(", ") || "(no resource)"}, ` +
            "which lets the principal raise its own rights. Remove these actions, or, for a deploy role that manages the platform's identities, " +
            "require a permissions boundary on what it creates and list the policy in aws-iam-no-privilege-escalation.allowedPolicies.",
        );
      });
    }
  },
});

/** True when a statement's Principal (or its absence under NotPrincipal) means anyone. */
export function anyonePrincipal(s: Props): boolean {
  if (s.NotPrincipal !== undefined) return true;
  const p = s.Principal;
  if (p === "*") return true;
  if (p && typeof p === "object") return list((p as Props).AWS).includes("*") || list((p as Props).CanonicalUser).includes("*");
  return false;
}

/** Conditions that tie a statement to one account or organization, which keeps "anyone" inside it. */
const SCOPING_KEYS = ["aws:principalaccount", "aws:principalorgid", "aws:sourceaccount", "aws:sourcearn", "kms:calleraccount", "aws:sourcevpce", "aws:sourcevpc"];
const scopedToAccount = (s: Props) =>
  Object.values((s.Condition ?? {}) as Record<string, Props>).some((test) => Object.keys(test ?? {}).some((k) => SCOPING_KEYS.includes(k.toLowerCase())));

const trustPolicy = resourcePolicy({
  name: "aws-iam-trust-policy",
  description:
    'Role trust policies name who may assume the role: no Principal "*" (or AWS "*", or NotPrincipal) and no account root without sts:ExternalId or an organization condition.',
  enforcementLevel: "mandatory",
  types: AWS.iamRole,
  validate: ({ type, name, props }, report) => {
    statementsOf(policyDocument(props.assumeRolePolicy)).forEach((s, i) => {
      if (s.Effect !== "Allow") return;
      const at = `${where(type, name)}: assumeRolePolicy.Statement[${i}]`;
      if (anyonePrincipal(s)) {
        report(
          `${at} lets any principal (${JSON.stringify(s.Principal ?? { NotPrincipal: s.NotPrincipal })}) call ${list(s.Action).join(", ")}. Name the service, role or OIDC provider that assumes it.`,
        );
        return;
      }
      const roots = list((s.Principal as Props | undefined)?.AWS).filter((a) => /^\d{12}$|:root$/.test(a));
      const conditioned =
        scopedToAccount(s) || Object.values((s.Condition ?? {}) as Record<string, Props>).some((t) => Object.keys(t ?? {}).some((k) => k.toLowerCase() === "sts:externalid"));
      if (roots.length > 0 && !conditioned) {
        report(`${at} trusts the whole account ${roots.join(", ")}: every user and role in it may assume the role. Name the role that assumes it, or require sts:ExternalId.`);
      }
    });
  },
});

const KEY_POLICY_TYPES = ["aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy", "aws:kms/replicaKey:ReplicaKey"];
const keyPolicy = resourcePolicy({
  name: "aws-kms-key-policy",
  description:
    'KMS key policies grant nothing to any principal ("*") unless a condition keeps it in one account, and never kms:PutKeyPolicy or kms:* to a principal other than the account root.',
  enforcementLevel: "mandatory",
  types: KEY_POLICY_TYPES,
  validate: ({ type, name, props }, report) => {
    if (props.policy === undefined) return; // the default key policy: the account root, through IAM
    const doc = policyDocument(props.policy);
    if (!doc) {
      report(`${where(type, name)}: policy is not a JSON policy document. Build it with aws.iam.getPolicyDocument or JSON.stringify.`);
      return;
    }
    statementsOf(doc).forEach((s, i) => {
      if (s.Effect !== "Allow") return;
      const at = `${where(type, name)}: policy Statement[${i}]${s.Sid ? ` (${s.Sid})` : ""}`;
      if (anyonePrincipal(s) && !scopedToAccount(s)) {
        report(`${at} allows ${list(s.Action).join(", ")} to any principal. Name the roles that use the key, or add a kms:CallerAccount condition.`);
        return;
      }
      const principals = list((s.Principal as Props | undefined)?.AWS);
      const nonRoot = principals.filter((p) => !/:root$/.test(p) && !/^\d{12}$/.test(p));
      const admin = list(s.Action).filter((a) => actionMatches(a, "kms:PutKeyPolicy") || actionMatches(a, "kms:ScheduleKeyDeletion"));
      if (nonRoot.length > 0 && admin.length > 0) {
        report(
          `${at} lets ${nonRoot.join(", ")} ${admin.join(", ")} (rewrite the key's policy or delete it). Keep key administration with the account root and the break-glass role.`,
        );
      }
    });
  },
});

const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";
const deniesInsecureTransport = (s: Props) =>
  s.Effect === "Deny" && anyonePrincipal({ ...s, NotPrincipal: undefined }) && String(s.Condition?.Bool?.["aws:SecureTransport"]) === "false";

const bucketPolicyGuards = resourcePolicy({
  name: "aws-s3-bucket-policy",
  description: 'Bucket policies deny every request without TLS (Deny "*" when aws:SecureTransport is false) and allow nothing to any principal.',
  enforcementLevel: "mandatory",
  types: [BUCKET_POLICY],
  validate: ({ type, name, props }, report) => {
    const doc = policyDocument(props.policy);
    if (!doc) {
      report(`${where(type, name)}: policy is not a JSON policy document. Build it with aws.iam.getPolicyDocument or JSON.stringify.`);
      return;
    }
    const statements = statementsOf(doc);
    if (!statements.some(deniesInsecureTransport)) {
      report(
        `${where(type, name)}: policy has no statement denying requests without TLS. Keep the DenyInsecureTransport statement (Deny, Principal "*", s3:*, Bool aws:SecureTransport false).`,
      );
    }
    statements.forEach((s, i) => {
      if (s.Effect === "Allow" && anyonePrincipal(s) && !scopedToAccount(s)) {
        report(
          `${where(type, name)}: policy Statement[${i}]${s.Sid ? ` (${s.Sid})` : ""} allows ${list(s.Action).join(", ")} to any principal. Grant access through IAM roles instead.`,
        );
      }
    });
  },
});

/**
 * The Deny statements that keep a bucket to its own principals (aws:PrincipalArn or
 * NotPrincipal) for every use of it: reading, writing and listing, not only some actions
 * (a deny of reconfiguring to non-administrators is no fence around the data).
 */
const limitsPrincipals = (s: Props) =>
  s.Effect === "Deny" &&
  ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"].every((a) => list(s.Action).some((p) => actionMatches(p, a))) &&
  (s.NotPrincipal !== undefined ||
    Object.values((s.Condition ?? {}) as Record<string, Props>).some((t) => Object.keys(t ?? {}).some((k) => k.toLowerCase() === "aws:principalarn")));

const bucketPolicyPresent = stackPolicy({
  name: "aws-s3-bucket-policy-present",
  description: "Every S3 bucket has a bucket policy that denies requests without TLS and denies principals outside the platform (a Deny on aws:PrincipalArn or NotPrincipal).",
  enforcementLevel: "mandatory",
  validate: ({ resources }, report) => {
    const policies = resources.filter((r) => r.type === BUCKET_POLICY);
    for (const bucket of resources.filter((r) => AWS.bucket.includes(r.type as never))) {
      const mine = policies.filter(
        (p) => p.props.bucket === bucket.props.bucket || p.props.bucket === `${bucket.name}-id` || (p.propertyDependencies?.bucket ?? []).some((d) => d.urn === bucket.urn),
      );
      const statements = mine.flatMap((p) => statementsOf(policyDocument(p.props.policy)));
      const missing = [
        ...(statements.some(deniesInsecureTransport) ? [] : ["a Deny of requests without TLS"]),
        ...(statements.some(limitsPrincipals) ? [] : ["a Deny of principals outside the platform"]),
      ];
      if (missing.length > 0) {
        report(
          `Bucket "${bucket.name}": ${mine.length === 0 ? "no BucketPolicy refers to it" : `its BucketPolicy lacks ${missing.join(" and ")}`}. Declare aws.s3.BucketPolicy with both (components/aws/bucket.ts).`,
          bucket.urn,
        );
      }
    }
  },
});

export const iamPolicies = [noEscalation, trustPolicy, keyPolicy, bucketPolicyGuards];
export const iamStackPolicies = [bucketPolicyPresent];
