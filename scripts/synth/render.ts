import { stringify } from "yaml";
import type { CapturedResource } from "./mockRuntime";

// Turns captured resources into the synth tree: one YAML file per Kubernetes object,
// one file per ConfigMap key (the rendered configuration files), and an inventory.
// Output is canonical (sorted keys, sorted entries) so the same input gives the same bytes.

export const REDACTED = "[redacted]";

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface InventoryEntry {
  type: string;
  name: string;
  parent: string | null;
  provider: string | null;
}

const TOP_LEVEL_ORDER = ["apiVersion", "kind", "metadata"];

function canonical(value: unknown, topLevel = false): unknown {
  if (Array.isArray(value)) return value.map((v) => canonical(v));
  if (value === null || typeof value !== "object") return value;
  const rank = (key: string) => (topLevel && TOP_LEVEL_ORDER.includes(key) ? TOP_LEVEL_ORDER.indexOf(key) : TOP_LEVEL_ORDER.length);
  const keys = Object.keys(value).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return Object.fromEntries(keys.map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
}

/** Secret values never reach disk: every key of data and stringData is kept, its value is not. */
function redactSecret(object: KubernetesObject): KubernetesObject {
  if (object.kind !== "Secret") return object;
  const redact = (map: unknown) => (map && typeof map === "object" ? Object.fromEntries(Object.keys(map).map((k) => [k, REDACTED])) : map);
  return { ...object, data: redact(object.data), stringData: redact(object.stringData) };
}

export function isKubernetesObject(r: CapturedResource): boolean {
  return r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers:");
}

export function kubernetesObjects(resources: CapturedResource[]): KubernetesObject[] {
  return resources
    .filter(isKubernetesObject)
    .map((r) => redactSecret(r.inputs as unknown as KubernetesObject))
    .sort((a, b) => objectPath(a).localeCompare(objectPath(b)));
}

/** Stable, readable path of an object: manifests/<namespace or _cluster>/<kind>-<name>.yaml. */
export function objectPath(o: KubernetesObject): string {
  return `manifests/${o.metadata.namespace ?? "_cluster"}/${o.kind.toLowerCase()}-${o.metadata.name}.yaml`;
}

export function toYaml(o: unknown): string {
  // YAML 1.1 quoting: kubectl reads "on", "off", "yes" and "no" unquoted as booleans.
  return stringify(canonical(o, true), { lineWidth: 0, aliasDuplicateObjects: false, version: "1.1" });
}

/** ConfigMap keys are the rendered configuration files servers read. */
export function renderedFiles(objects: KubernetesObject[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const o of objects.filter((o) => o.kind === "ConfigMap")) {
    for (const [key, content] of Object.entries((o.data ?? {}) as Record<string, string>)) {
      files.set(`files/${o.metadata.namespace ?? "_cluster"}/${o.metadata.name}/${key}`, content);
    }
  }
  return files;
}

export function inventory(resources: CapturedResource[]): InventoryEntry[] {
  return resources
    .map((r) => ({ type: r.type, name: r.name, parent: r.parent ?? null, provider: r.provider ?? null }))
    .sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
}

/** Every file of the synth tree, path -> content. */
export function synthTree(resources: CapturedResource[]): Map<string, string> {
  const objects = kubernetesObjects(resources);
  const tree = new Map<string, string>();
  for (const o of objects) {
    const path = objectPath(o);
    if (tree.has(path)) throw new Error(`two objects would be written to ${path}: kind and name must be unique per namespace`);
    tree.set(path, toYaml(o));
  }
  for (const [path, content] of renderedFiles(objects)) tree.set(path, content);
  tree.set("inventory.json", `${JSON.stringify(inventory(resources), null, 2)}\n`);
  return tree;
}
