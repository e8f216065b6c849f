import type { CapturedResource } from "./mockRuntime";

// Every AWS policy document a program run declares, as the account would receive it:
// identity policies (inline role and user policies, managed policies, permissions
// boundaries), role trust policies, and resource policies (buckets, KMS keys). The IAM
// judges (cloudsplaining, parliament) read these; so can a reviewer.

export type PolicyKind = "identity" | "trust" | "resource";

export interface DeclaredPolicyDocument {
  /** The resource's Pulumi type and name, and the input that holds the document. */
  resource: string;
  kind: PolicyKind;
  /** For resource policies, what they sit on: "s3" or "kms". */
  service?: "s3" | "kms";
  document: Record<string, unknown>;
}

const SOURCES: { type: string; input: string; kind: PolicyKind; service?: "s3" | "kms" }[] = [
  { type: "aws:iam/rolePolicy:RolePolicy", input: "policy", kind: "identity" },
  { type: "aws:iam/userPolicy:UserPolicy", input: "policy", kind: "identity" },
  { type: "aws:iam/policy:Policy", input: "policy", kind: "identity" },
  { type: "aws:iam/role:Role", input: "assumeRolePolicy", kind: "trust" },
  { type: "aws:s3/bucketPolicy:BucketPolicy", input: "policy", kind: "resource", service: "s3" },
  { type: "aws:kms/key:Key", input: "policy", kind: "resource", service: "kms" },
];

export function awsPolicyDocuments(resources: CapturedResource[]): DeclaredPolicyDocument[] {
  const found: DeclaredPolicyDocument[] = [];
  for (const r of resources) {
    for (const source of SOURCES.filter((s) => s.type === r.type)) {
      const value = r.inputs[source.input];
      if (value === undefined) continue;
      const document = typeof value === "string" ? (JSON.parse(value) as Record<string, unknown>) : (value as Record<string, unknown>);
      found.push({ resource: `${r.type}::${r.name}.${source.input}`, kind: source.kind, ...(source.service ? { service: source.service } : {}), document });
    }
  }
  return found;
}
