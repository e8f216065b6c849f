import { isNamed } from "./fixtures";
import type { InputResource } from "./harness";

// The edit helpers of the mutation tables: each finds a resource of the prod stack as the
// program registers it and changes one thing in a copy.

// An edit either changes the list in place (returns nothing) or returns a new one.
// biome-ignore lint/suspicious/noConfusingVoidType: in-place edits are arrow bodies that return nothing.
export type Edit = (resources: InputResource[]) => InputResource[] | void;
export interface Mutation {
  what: string;
  policy: string;
  /** The resource name the violation must mention. */
  mentions: string;
  edit: Edit;
}

export const one = (rs: InputResource[], kind: string, name: string): any => {
  const found = rs.filter((r) => r.type.includes("/") && r.type.endsWith(`:${kind}`) && isNamed(r, name)); // not the component of that name
  if (found.length !== 1) throw new Error(`prod has ${found.length} ${kind} named ${name}`);
  return found[0]!.inputs;
};
export const pod = (rs: InputResource[], kind: string, name: string): any => {
  const i = one(rs, kind, name);
  return kind === "CronJob" ? i.spec.jobTemplate.spec.template.spec : i.spec.template.spec;
};
export const main = (rs: InputResource[], kind: string, name: string): any => pod(rs, kind, name).containers[0];
export const drop =
  (kind: string, name: string): Edit =>
  (rs) =>
    rs.filter((r) => !(r.type.endsWith(`:${kind}`) && isNamed(r, name)));
export const conf =
  (file: string, change: (text: string) => string): Edit =>
  (rs) => {
    const data = one(rs, "ConfigMap", "postgres-config").data;
    const before = data[file];
    data[file] = change(before);
    if (data[file] === before) throw new Error(`edit of ${file} changed nothing`);
  };
export const rules =
  (change: (text: string) => string): Edit =>
  (rs) => {
    const data = one(rs, "ConfigMap", "prometheus-rules").data;
    const before = data["postgres.rules.yml"];
    data["postgres.rules.yml"] = change(before);
    if (data["postgres.rules.yml"] === before) throw new Error("rules edit changed nothing");
  };
export const add =
  (...added: InputResource[]): Edit =>
  (rs) => [...rs, ...added];

/** An S3 bucket with all four companions, minus the ones named. */
export function bucket(name: string, omit: string[] = [], override: Record<string, Record<string, unknown>> = {}): InputResource[] {
  const ref = `${name}-id`;
  const all: Record<string, InputResource> = {
    versioning: { type: "aws:s3/bucketVersioning:BucketVersioning", name: `${name}-versioning`, inputs: { bucket: ref, versioningConfiguration: { status: "Enabled" } } },
    encryption: {
      type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      name: `${name}-sse`,
      inputs: { bucket: ref, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "k" } }] },
    },
    publicAccessBlock: {
      type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      name: `${name}-pab`,
      inputs: { bucket: ref, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    },
    lifecycle: {
      type: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      name: `${name}-lifecycle`,
      inputs: { bucket: ref, rules: [{ id: "noncurrent", status: "Enabled", noncurrentVersionExpiration: { noncurrentDays: 30 } }] },
    },
  };
  for (const [k, v] of Object.entries(override)) {
    const companion = all[k];
    if (!companion) throw new Error(`no bucket companion named ${k}`);
    Object.assign(companion.inputs, v);
  }
  return [
    { type: "aws:s3/bucket:Bucket", name, inputs: { bucket: `blacklake-${name}` } },
    ...Object.entries(all)
      .filter(([k]) => !omit.includes(k))
      .map(([, r]) => r),
  ];
}
export const adminPolicy = (action: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: "*" }] });
