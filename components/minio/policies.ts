import { createHmac } from "node:crypto";
import { BUCKETS, SERVICES } from "../lib/names";

// What the MinIO bootstrap Job applies, as pure renderers (no Pulumi): the buckets,
// their lifecycle rules, one least-privilege IAM policy per consumer, and the files the
// bootstrap script (./bootstrap.sh) reads from BOOTSTRAP_DIR.
//
// BOOTSTRAP_DIR layout (flat, so one projected volume of a ConfigMap and the consumers'
// Secrets can provide it):
//
//   buckets                          one bucket name per line
//   lifecycle.<bucket>.json          the bucket's lifecycle configuration (mc ilm import)
//   policy.<policy>.json             an IAM policy document (mc admin policy create)
//   users                            "<consumer> <policy>" per line
//   user.<consumer>.access-key       from the consumer's Secret, never rendered here
//   user.<consumer>.secret-key       from the consumer's Secret, never rendered here

/** What a bucket holds; each purpose has exactly one bucket. */
export type BucketPurpose = "data" | "pgbackrest" | "exports";

export interface LifecycleSettings {
  /** Overwritten or deleted object versions are removed this many days after they stop being current. */
  noncurrentVersionExpirationDays: number;
  /** Current objects are deleted (a delete marker is written) this many days after creation. */
  expirationDays?: number;
}

export interface BucketSpec {
  name: string;
  purpose: BucketPurpose;
  /** Always on: noncurrent versions are what make deletes and overwrites recoverable. */
  versioning: "Enabled";
  /** Default server-side encryption (SSE-S3, keys from MinIO's KMS). */
  encryption: "sse-s3";
  lifecycle: LifecycleSettings;
}

/** Seven years of 365 days, the retention of the off-site backups (aws.offsite.expireDays). */
export const SEVEN_YEARS_DAYS = 2555;
export const DEFAULT_NONCURRENT_VERSION_EXPIRATION_DAYS = 30;

export const BUCKET_NAMES: Record<BucketPurpose, string> = BUCKETS;

export interface BucketOptions {
  noncurrentVersionExpirationDays?: number;
  /**
   * Expiry of current objects, per bucket. pgbackrest cannot have one: pgBackRest
   * expires its own backups (retention-full) and an object store rule that deleted
   * WAL or backup files under it would silently break restores.
   */
  expirationDays?: { data?: number; exports?: number };
}

/** The platform's buckets: application data, the pgBackRest repository, exports. */
export function platformBuckets(o: BucketOptions = {}): BucketSpec[] {
  const noncurrent = o.noncurrentVersionExpirationDays ?? DEFAULT_NONCURRENT_VERSION_EXPIRATION_DAYS;
  const bucket = (purpose: BucketPurpose, expirationDays?: number): BucketSpec => ({
    name: BUCKET_NAMES[purpose],
    purpose,
    versioning: "Enabled",
    encryption: "sse-s3",
    lifecycle: { noncurrentVersionExpirationDays: noncurrent, ...(expirationDays !== undefined ? { expirationDays } : {}) },
  });
  const buckets = [bucket("data", o.expirationDays?.data ?? SEVEN_YEARS_DAYS), bucket("pgbackrest"), bucket("exports", o.expirationDays?.exports)];
  buckets.forEach(validateBucket);
  return buckets;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

function positiveDays(what: string, days: number): void {
  if (!Number.isInteger(days) || days < 1) throw new Error(`${what}: expected a whole number of days >= 1, found ${days}`);
}

export function validateBucket(b: BucketSpec): void {
  if (!BUCKET_NAME.test(b.name) || b.name.includes("..")) throw new Error(`bucket "${b.name}": not a valid S3 bucket name`);
  if (b.versioning !== "Enabled") throw new Error(`bucket "${b.name}": versioning must be Enabled`);
  positiveDays(`bucket "${b.name}" noncurrentVersionExpirationDays`, b.lifecycle.noncurrentVersionExpirationDays);
  if (b.lifecycle.expirationDays !== undefined) {
    positiveDays(`bucket "${b.name}" expirationDays`, b.lifecycle.expirationDays);
    if (b.purpose === "pgbackrest") {
      throw new Error(`bucket "${b.name}": pgBackRest expires its own backups; an expiration rule would delete files a restore needs`);
    }
  }
}

// --- lifecycle ---------------------------------------------------------------------

/**
 * S3 lifecycle configuration in the JSON shape `mc ilm rule import` reads and `mc ilm
 * rule export` prints (minio-go's lifecycle.Configuration). Rules have no Filter: the
 * whole bucket (mc drops an empty Filter on export). Keys are in mc's export order so
 * that the bootstrap can tell "already applied" by comparing text.
 */
export interface LifecycleRule {
  Expiration?: { Days: number };
  ID: string;
  NoncurrentVersionExpiration?: { NoncurrentDays: number };
  Status: "Enabled";
}

export interface LifecycleConfiguration {
  Rules: LifecycleRule[];
}

export function lifecycleConfiguration(b: BucketSpec): LifecycleConfiguration {
  validateBucket(b);
  const rules: LifecycleRule[] = [
    {
      ID: "expire-noncurrent-versions",
      NoncurrentVersionExpiration: { NoncurrentDays: b.lifecycle.noncurrentVersionExpirationDays },
      Status: "Enabled",
    },
  ];
  if (b.lifecycle.expirationDays !== undefined) {
    rules.push({ Expiration: { Days: b.lifecycle.expirationDays }, ID: "expire-current-objects", Status: "Enabled" });
  }
  return { Rules: rules };
}

export function renderLifecycle(b: BucketSpec): string {
  return `${JSON.stringify(lifecycleConfiguration(b), null, 2)}\n`;
}

// --- IAM policies ------------------------------------------------------------------

/** Listing and locating a bucket: what every S3 client (pgBackRest included) needs on it. */
export const BUCKET_ACTIONS = ["s3:GetBucketLocation", "s3:ListBucket"] as const;
/** Reading, writing and deleting objects; PutObject also covers multipart uploads. */
export const OBJECT_ACTIONS = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"] as const;

/**
 * Denied explicitly: MinIO authorises a DeleteObject that names a version (which
 * destroys that version for good) with s3:DeleteObject alone, unless a Deny on
 * s3:DeleteObjectVersion matches. Without it versioning would not protect against a
 * leaked consumer key.
 */
export const DENIED_OBJECT_ACTIONS = ["s3:DeleteObjectVersion"] as const;

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Action: string[];
  /** S3 statements name their buckets; admin statements (admin:*) have none. */
  Resource?: string[];
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** A consumer of the object store: one MinIO user with one policy on its own buckets. */
export interface Consumer {
  /** User and policy name suffix, e.g. "pgbackrest". */
  name: string;
  /** Bucket names, each from platformBuckets(). */
  buckets: string[];
  /** readOnly: list and read objects, nothing else (the off-site mirror). Default readWrite. */
  access?: "readWrite" | "readOnly";
}

/** The consumer the off-site mirror reads as, when the mirror is on. */
export const MIRROR_CONSUMER = "mirror";

export const policyName = (consumer: Consumer | string) => `blacklake-${typeof consumer === "string" ? consumer : consumer.name}`;
export const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;
export const objectsArn = (bucket: string) => `arn:aws:s3:::${bucket}/*`;

/**
 * pgBackRest owns the pgbackrest bucket; the API owns data and exports; the off-site
 * mirror (when given the buckets it copies) may only read those.
 */
export function platformConsumers(buckets: BucketSpec[] = platformBuckets(), o: { mirroredBuckets?: string[] } = {}): Consumer[] {
  const name = (p: BucketPurpose) => {
    const b = buckets.find((x) => x.purpose === p);
    if (!b) throw new Error(`no ${p} bucket`);
    return b.name;
  };
  return [
    { name: "pgbackrest", buckets: [name("pgbackrest")] },
    { name: SERVICES.api, buckets: [name("data"), name("exports")] },
    ...(o.mirroredBuckets?.length ? [{ name: MIRROR_CONSUMER, buckets: o.mirroredBuckets, access: "readOnly" as const }] : []),
  ];
}

export function consumerPolicy(c: Consumer): PolicyDocument {
  if (!NAME.test(c.name)) throw new Error(`consumer "${c.name}": expected lower-case letters, digits and dashes`);
  if (c.buckets.length === 0) throw new Error(`consumer "${c.name}": no buckets`);
  for (const b of c.buckets) {
    if (!BUCKET_NAME.test(b)) throw new Error(`consumer "${c.name}": "${b}" is not a bucket name`);
  }
  // Actions and resources sorted, as MinIO stores and prints them (`mc admin policy
  // info`), so that the bootstrap can tell "unchanged" by comparing text.
  const buckets = [...new Set(c.buckets)].sort();
  if (c.access === "readOnly") {
    return {
      Version: "2012-10-17",
      Statement: [
        { Sid: "ListOwnBuckets", Effect: "Allow", Action: [...BUCKET_ACTIONS].sort(), Resource: buckets.map(bucketArn) },
        { Sid: "ReadObjectsInOwnBuckets", Effect: "Allow", Action: ["s3:GetObject"], Resource: buckets.map(objectsArn) },
      ],
    };
  }
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "ListOwnBuckets", Effect: "Allow", Action: [...BUCKET_ACTIONS].sort(), Resource: buckets.map(bucketArn) },
      { Sid: "ObjectsInOwnBuckets", Effect: "Allow", Action: [...OBJECT_ACTIONS].sort(), Resource: buckets.map(objectsArn) },
      { Sid: "KeepOldVersions", Effect: "Deny", Action: [...DENIED_OBJECT_ACTIONS].sort(), Resource: buckets.map(objectsArn) },
    ],
  };
}

export function renderPolicy(c: Consumer): string {
  return `${JSON.stringify(consumerPolicy(c), null, 2)}\n`;
}

// --- the Prometheus scrape user ------------------------------------------------------

/**
 * MinIO's metrics endpoints want a bearer token (MINIO_PROMETHEUS_AUTH_TYPE=jwt): a JWT
 * signed with the secret key of a user allowed admin:Prometheus. This user has that and
 * nothing else, so the token (which sits in Prometheus' config) cannot read or write data.
 */
export const PROMETHEUS_CONSUMER = "prometheus";

export function prometheusPolicy(): PolicyDocument {
  return { Version: "2012-10-17", Statement: [{ Sid: "ScrapeMetrics", Effect: "Allow", Action: ["admin:Prometheus"] }] };
}

const base64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

/**
 * The token `mc admin prometheus generate` prints, computed here so that the stack can
 * put it in a Secret without running mc: HS512 over {iss: "prometheus", sub: <access
 * key>, exp}, keyed with the secret key. It stops working when the user's secret key
 * changes; mc's default lifetime is 100 years.
 */
export function prometheusBearerToken(accessKey: string, secretKey: string, expiresAt: Date): string {
  const header = base64url(JSON.stringify({ alg: "HS512", typ: "JWT" }));
  const payload = base64url(JSON.stringify({ iss: "prometheus", sub: accessKey, exp: Math.floor(expiresAt.getTime() / 1000) }));
  const signature = createHmac("sha512", secretKey).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${signature}`;
}

// --- bootstrap input ---------------------------------------------------------------

/** The Secret-provided files of a consumer (projected into BOOTSTRAP_DIR under these names). */
export function credentialFiles(consumer: Consumer | string): { accessKey: string; secretKey: string } {
  const n = typeof consumer === "string" ? consumer : consumer.name;
  return { accessKey: `user.${n}.access-key`, secretKey: `user.${n}.secret-key` };
}

/**
 * Every non-secret file of BOOTSTRAP_DIR, name -> content (a ConfigMap's data). The
 * credential files of credentialFiles() must be added from the consumers' Secrets
 * (with prometheusUser, also credentialFiles(PROMETHEUS_CONSUMER)).
 */
export function renderBootstrapFiles(buckets: BucketSpec[], consumers: Consumer[], o: { prometheusUser?: boolean } = {}): Record<string, string> {
  const names = new Set(buckets.map((b) => b.name));
  if (names.size !== buckets.length) throw new Error("bucket names must be unique");
  const consumerNames = new Set(consumers.map((c) => c.name));
  if (consumerNames.size !== consumers.length) throw new Error("consumer names must be unique");
  const files: Record<string, string> = {};
  files.buckets = buckets.map((b) => `${b.name}\n`).join("");
  for (const b of buckets) files[`lifecycle.${b.name}.json`] = renderLifecycle(b);
  for (const c of consumers) {
    for (const b of c.buckets) {
      if (!names.has(b)) throw new Error(`consumer "${c.name}": bucket "${b}" is not created by the bootstrap`);
    }
    files[`policy.${policyName(c)}.json`] = renderPolicy(c);
  }
  const users = consumers.map((c) => `${c.name} ${policyName(c)}\n`);
  if (o.prometheusUser) {
    if (consumerNames.has(PROMETHEUS_CONSUMER)) throw new Error(`consumer name "${PROMETHEUS_CONSUMER}" is taken by the scrape user`);
    files[`policy.${policyName(PROMETHEUS_CONSUMER)}.json`] = `${JSON.stringify(prometheusPolicy(), null, 2)}\n`;
    users.push(`${PROMETHEUS_CONSUMER} ${policyName(PROMETHEUS_CONSUMER)}\n`);
  }
  files.users = users.join("");
  return files;
}
