import { z } from "zod";
import { positiveInt, strictSection } from "../lib/settings";

// The off-site backup bucket's and the CI access roles' settings.

export const awsRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-[0-9]$/, { message: 'expected an AWS region such as "eu-west-1"' });

const writerCredentials = z
  .discriminatedUnion(
    "kind",
    [
      strictSection({ kind: z.literal("accessKeys") }),
      strictSection({
        kind: z.literal("irsa"),
        oidcProviderArn: z
          .string()
          .regex(/^arn:aws:iam::[0-9]{12}:oidc-provider\/.+$/, { message: "expected an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer>)" })
          .describe("The cluster's IAM OIDC provider."),
        oidcIssuer: z
          .string()
          .regex(/^[a-z0-9.-]+(\/[A-Za-z0-9._-]+)*$/, { message: 'expected the issuer without "https://", e.g. oidc.eks.eu-west-1.amazonaws.com/id/ABC123' })
          .describe("The cluster's service-account token issuer, without https://."),
      }),
    ],
    { error: 'expected { kind: "accessKeys" } or { kind: "irsa", oidcProviderArn, oidcIssuer }' },
  )
  .superRefine((w, ctx) => {
    // The provider's ARN ends in the issuer it trusts: two clusters' values make a role no token can assume.
    if (w.kind === "irsa" && !w.oidcProviderArn.endsWith(`:oidc-provider/${w.oidcIssuer}`)) {
      ctx.addIssue({
        code: "custom",
        path: ["oidcIssuer"],
        message: `expected the issuer oidcProviderArn names (${w.oidcProviderArn.slice(w.oidcProviderArn.indexOf(":oidc-provider/") + 15)}): the two must be the same cluster's`,
      });
    }
  })
  .prefault({ kind: "accessKeys" })
  .describe(
    "How off-site writers authenticate. irsa: an IAM role per writer, trusted for its Kubernetes service account only (no stored key); accessKeys: an IAM user whose key reaches the cluster as a Secret. The MinIO mirror always uses a key: mc cannot take a web identity.",
  );

const githubEnvironment = z.string().regex(/^[A-Za-z0-9_.-]{1,255}$/, { message: "expected a GitHub environment name (letters, digits, _ . -)" });

const kmsAlias = z.string().regex(/^alias\/[A-Za-z0-9/_-]+$/, { message: 'expected a KMS alias such as "alias/blacklake-pulumi"' });

export const ciAccessSettings = strictSection({
  enabled: z.boolean().default(false).describe("Declare the IAM roles GitHub Actions assumes by OIDC to preview and deploy this stack."),
  githubRepository: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { message: 'expected "<owner>/<repository>"' })
    .default("blacklake/platform"),
  deployEnvironment: githubEnvironment.default("production").describe("The GitHub environment whose jobs may deploy (pulumi up) this stack."),
  previewEnvironment: githubEnvironment.default("preview").describe("The GitHub environment whose jobs may preview this stack (read-only)."),
  oidcProviderArn: z
    .string()
    .regex(/^arn:aws:iam::[0-9]{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/, {
      message: "expected the ARN of the account's token.actions.githubusercontent.com OIDC provider",
    })
    .optional()
    .describe(
      "The account's GitHub OIDC provider, made once per account by an administrator (docs/ci.md); required when enabled. A stack does not declare it: the second stack to do so would fail with EntityAlreadyExists.",
    ),
  stateBucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: "expected an S3 bucket name" })
    .default("blacklake-pulumi-state")
    .describe("The Pulumi state backend bucket (s3://<bucket>), made once by an administrator: see docs/ci.md."),
  stateKeyAlias: kmsAlias.default("alias/blacklake-pulumi-state").describe("The KMS key the state bucket is encrypted with."),
  secretsKeyAlias: kmsAlias.default("alias/blacklake-pulumi").describe("The KMS key of the stack's secrets provider (awskms://<alias>)."),
})
  .superRefine((c, ctx) => {
    if (c.enabled && c.oidcProviderArn === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["oidcProviderArn"],
        message:
          "expected the ARN of the account's token.actions.githubusercontent.com OIDC provider: it is made once per account (docs/ci.md), since two stacks declaring it would collide",
      });
    }
    // One environment for both would let every preview job, which runs on pull requests, assume the deploy role.
    if (c.previewEnvironment === c.deployEnvironment) {
      ctx.addIssue({
        code: "custom",
        path: ["previewEnvironment"],
        message: `expected an environment other than deployEnvironment (${c.deployEnvironment}): a pull request's preview job would get the deploy role`,
      });
    }
  })
  .prefault({});

const objectLock = strictSection({
  mode: z
    .enum(["COMPLIANCE", "GOVERNANCE"])
    .default("COMPLIANCE")
    .describe(
      "COMPLIANCE: no one, the account root included, deletes a locked version before its time. GOVERNANCE: only a principal with s3:BypassGovernanceRetention can; the bucket policy denies it to all but the break-glass administrator.",
    ),
  days: positiveInt("a number of days")
    .default(35)
    .describe("How long each object version is locked; at least the longest a pgBackRest repository on AWS keeps a full backup and its WAL."),
  replica: z.boolean().default(true).describe("Lock the cross-region replica: deletes on the primary (a compromised writer's too) never erase its versions."),
  primary: z
    .boolean()
    .default(false)
    .describe(
      "Lock the primary bucket too. Off by default: every upload into a locked bucket must carry Content-MD5 or an SDK checksum; check the writers' versions send one before turning it on. Turned on, the replica must be locked as well (S3 refuses to replicate locked objects into an unlocked bucket).",
    ),
}).prefault({});

/** An access key's generation: the date it was issued, which the key-age alert counts from. */
const keyGeneration = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected the date the key was issued, "YYYY-MM-DD"' })
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), { message: "expected a real calendar date" });

const accessKeys = strictSection({
  generations: z
    .array(keyGeneration)
    .min(1, { error: "expected one or two generations: the writers use the last" })
    .max(2, { error: "expected at most two generations: IAM allows two access keys per user" })
    .refine((g) => new Set(g).size === g.length, { message: "expected each generation once: a generation names one key" })
    .default(["2026-12-01"])
    .describe(
      "The access keys of the writers that take one (the MinIO mirror always; pgBackRest under writerCredentials accessKeys), one per issue date; the writers use the last. Rotate by appending today's date (both keys exist while the writers move to the new one), then removing the old one: docs/runbooks/offsite-key-rotation.md.",
    ),
  maxAgeDays: positiveInt("a number of days").default(90).describe("OffsiteAccessKeyOld fires when the key in use is older than this."),
}).prefault({});

export const offsiteSettings = strictSection({
  enabled: z.boolean().default(false).describe("Create the off-site backup bucket (needs AWS credentials)."),
  region: awsRegion.default("eu-west-1"),
  replicaRegion: awsRegion.optional().describe("Cross-region replica of the off-site bucket."),
  transitionToInfrequentAccessDays: positiveInt("a number of days").min(30, { error: "expected at least 30: S3 refuses an earlier transition to STANDARD_IA" }).default(90),
  transitionToArchiveDays: positiveInt("a number of days").default(365),
  archiveStorageClass: z.enum(["GLACIER", "DEEP_ARCHIVE"]).default("GLACIER"),
  expireDays: positiveInt("a number of days").default(2555).describe("Delete after 7 years."),
  noncurrentVersionExpirationDays: positiveInt("a number of days").default(90).describe("Overwritten or deleted versions are kept this long."),
  adminPrincipalArns: z
    // IAM's name characters only: a "*" would admit every role the pattern matches.
    .array(z.string().regex(/^arn:aws:iam::[0-9]{12}:(role|user)\/([\w+=,.@-]+\/)*[\w+=,.@-]+$/, { message: "expected an IAM role or user ARN, without wildcards" }))
    .default([])
    .describe(
      "Operators allowed to use the bucket besides the writers and the deploying identities; the first is the break-glass administrator, required when enabled (it alone can repair the bucket policy if every other principal is locked out).",
    ),
  writerCredentials,
  objectLock,
  accessLogs: strictSection({
    expireDays: positiveInt("a number of days").default(365).describe("Server access logs of the backup buckets are kept this long, in a log bucket per region."),
  }).prefault({}),
  cloudTrailDataEvents: z
    .boolean()
    .default(false)
    .describe("Record every object-level API call on the backup buckets (who read or deleted what) with a CloudTrail trail into the log bucket. Billed per event."),
  accessKeys,
})
  .superRefine((o, ctx) => {
    if (o.enabled && o.adminPrincipalArns.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["adminPrincipalArns"],
        message: "expected at least one IAM role ARN: the off-site buckets deny every principal not listed, so name a break-glass administrator role",
      });
    }
    if (o.transitionToArchiveDays <= o.transitionToInfrequentAccessDays) {
      ctx.addIssue({
        code: "custom",
        path: ["transitionToArchiveDays"],
        message: `expected more than transitionToInfrequentAccessDays (${o.transitionToInfrequentAccessDays})`,
      });
    }
    if (o.expireDays <= o.transitionToArchiveDays) {
      ctx.addIssue({
        code: "custom",
        path: ["expireDays"],
        message: `expected more than transitionToArchiveDays (${o.transitionToArchiveDays})`,
      });
    }
    if (o.objectLock.primary && !o.objectLock.replica && o.replicaRegion !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["objectLock", "replica"],
        message: "expected true while objectLock.primary is true: S3 replicates locked objects only into a locked bucket",
      });
    }
    if ((o.objectLock.primary || o.objectLock.replica) && o.noncurrentVersionExpirationDays < o.objectLock.days) {
      ctx.addIssue({
        code: "custom",
        path: ["noncurrentVersionExpirationDays"],
        message: `expected at least objectLock.days (${o.objectLock.days}): a locked version outlives the lifecycle rule that would expire it`,
      });
    }
    if (o.replicaRegion !== undefined && o.replicaRegion === o.region) {
      ctx.addIssue({ code: "custom", path: ["replicaRegion"], message: `expected a region other than ${o.region}` });
    }
  })
  .prefault({});

export type OffsiteSettings = z.output<typeof offsiteSettings>;
export type CiAccessSettings = z.output<typeof ciAccessSettings>;
