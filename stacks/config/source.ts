import * as fs from "node:fs";
import { parseStackYaml } from "./stackYaml";

// Where config comes from: the Pulumi runtime (values arrive as strings, structured
// ones JSON-encoded) or a Pulumi.<stack>.yaml read offline. Both produce the same
// plain object, keyed without the project prefix, for the one schema.

export const PROJECT = "blacklake";
const SECRET_PLACEHOLDER = "[secret]";

export interface RawConfig {
  values: Record<string, unknown>;
  /** Paths (from the top of the config) holding encrypted values. */
  secretPaths: PropertyKey[][];
  /** Full keys in a namespace that is neither the project's nor a provider's: a mistyped prefix. */
  foreignKeys?: string[];
}

/** Namespaces whose keys belong to someone else: the providers the program uses, and Pulumi's own. */
export const PROVIDER_NAMESPACES = ["aws", "kubernetes", "docker", "random", "pulumi"];

/** The key without the project prefix; undefined for a provider's key; a foreign key is recorded. */
function projectKey(key: string, foreign: string[]): string | undefined {
  const colon = key.indexOf(":");
  if (colon < 0) return key;
  const namespace = key.slice(0, colon);
  if (namespace === PROJECT) return key.slice(colon + 1);
  if (!PROVIDER_NAMESPACES.includes(namespace)) foreign.push(key);
  return undefined;
}

/**
 * A top-level value as the program reads it. Pulumi keeps a top-level scalar as text,
 * quoted or not (`true` and `"true"` are both the text true), and the program reads text
 * that parses as JSON as that JSON: both readers go through here, so they agree.
 */
function fromConfigText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A top-level value of a stack file as the engine hands it to the program: a scalar as its
 * text, an object as JSON, nothing (`key:` alone, `~`) as the empty text.
 */
export function engineText(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/**
 * From `pulumi.runtime.allConfig()`: scalars and JSON-encoded objects, all as strings.
 * `isSecret` says which full keys hold a secret (the runtime knows it per key, not per path).
 */
export function configFromRuntime(all: Record<string, string>, isSecret: (fullKey: string) => boolean = () => false): RawConfig {
  const values: Record<string, unknown> = {};
  const foreignKeys: string[] = [];
  const secretPaths: PropertyKey[][] = [];
  for (const [fullKey, text] of Object.entries(all)) {
    const key = projectKey(fullKey, foreignKeys);
    if (key === undefined) continue;
    if (isSecret(fullKey)) secretPaths.push([key]);
    values[key] = fromConfigText(text);
  }
  return { values, secretPaths, foreignKeys };
}

function replaceSecure(node: unknown, path: PropertyKey[], secretPaths: PropertyKey[][]): unknown {
  if (Array.isArray(node)) return node.map((item, i) => replaceSecure(item, [...path, i], secretPaths));
  if (node !== null && typeof node === "object") {
    const entries = Object.entries(node as Record<string, unknown>);
    if (entries.length === 1 && entries[0]?.[0] === "secure") {
      secretPaths.push(path);
      return SECRET_PLACEHOLDER;
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, replaceSecure(v, [...path, k], secretPaths)]));
  }
  return node;
}

/**
 * From a Pulumi.<stack>.yaml, offline, its scalars read as the Pulumi CLI reads them
 * (stackYaml.ts): encrypted values cannot be read and become placeholders.
 */
export function configFromStackFile(file: string): RawConfig {
  const document = parseStackYaml(fs.readFileSync(file, "utf8")) ?? {};
  const config = (document as { config?: Record<string, unknown> }).config ?? {};
  const values: Record<string, unknown> = {};
  const secretPaths: PropertyKey[][] = [];
  const foreignKeys: string[] = [];
  for (const [fullKey, value] of Object.entries(config)) {
    const key = projectKey(fullKey, foreignKeys);
    if (key === undefined) continue;
    // Nested values keep their YAML types under Pulumi too; a top-level scalar is text.
    const scalar = value === null || typeof value !== "object";
    values[key] = scalar ? fromConfigText(engineText(value)) : replaceSecure(value, [key], secretPaths);
  }
  return { values, secretPaths, foreignKeys };
}
