// Kubernetes object names are DNS-1123 labels; building them in one place keeps them
// predictable (synth output, runbook commands and alerts all refer to them) and fails
// early instead of at the API server.

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isDnsLabel(text: string): boolean {
  return text.length <= 63 && DNS_LABEL.test(text);
}

/** A DNS-1123 subdomain: dot-separated labels, at most 253 characters (host names, StorageClass names). */
export function isDnsSubdomain(text: string): boolean {
  return text.length <= 253 && text.split(".").every(isDnsLabel);
}

/** Joins parts with "-" and checks the result is a valid object name. */
export function objectName(...parts: string[]): string {
  const name = parts.filter((p) => p !== "").join("-");
  if (!isDnsLabel(name)) {
    throw new Error(`object name "${name}" is not a DNS-1123 label of at most 63 characters`);
  }
  return name;
}
