import type { z } from "zod";
import { describeProblems, expectedFor, isUnder, pathText, valueAt } from "./problems";
import { platformConfigSchema, type PlatformConfig, SECRET_CONFIG_PATHS } from "./schema";
import { PROJECT, PROVIDER_NAMESPACES, type RawConfig } from "./source";

export { configFromRuntime, configFromStackFile, PROJECT } from "./source";
export type { RawConfig } from "./source";
export { platformConfigSchema, ENVIRONMENTS } from "./schema";
export type { PlatformConfig, PlatformConfigInput, Environment } from "./schema";

/** A config that failed validation; `problems` holds one line per problem. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

export type ValidationResult = { ok: true; config: PlatformConfig } | { ok: false; problems: string[] };

export function validateConfig(raw: RawConfig): ValidationResult {
  const result = platformConfigSchema.safeParse(raw.values, { error: expectedFor });
  const problems = [...sourceProblems(raw), ...(result.success ? [] : problemLines(result.error.issues, raw))];
  if (problems.length === 0 && result.success) return { ok: true, config: result.data };
  return { ok: false, problems };
}

/**
 * A key under another namespace (`blackLake:postgres`) is not ours, and dropping it would
 * silently put defaults in its place (prod's off-site repository gone, volumes shrunk).
 */
function namespaceProblems(raw: RawConfig): string[] {
  return (raw.foreignKeys ?? []).map(
    (key) =>
      `${key}: found a key of namespace "${key.slice(0, key.indexOf(":"))}"; expected the project's namespace ${PROJECT}: ` +
      `(or a provider's: ${PROVIDER_NAMESPACES.map((n) => `${n}:`).join(", ")})`,
  );
}

/**
 * A credential in the stack file must be encrypted (`secure:`): in plain text it is in the
 * repository's history for good. The value is never printed. The program knows secrets per
 * top-level key (Pulumi marks a whole key secret when any value in it is), so it can only
 * tell a section with no secret at all; config:check reads the file and names each value.
 */
function plainTextSecretProblems(raw: RawConfig): string[] {
  return SECRET_CONFIG_PATHS.filter((path) => {
    const value = valueAt(raw.values, path);
    return typeof value === "string" && value !== "" && !raw.secretPaths.some((secret) => isUnder(path, secret));
  }).map(
    (path) =>
      `${pathText(path)}: found a plain-text value; expected a secret, as it carries a credential: ` + `pulumi config set --secret --path '${PROJECT}:${pathText(path)}' <value>`,
  );
}

/** Problems with where a value sits or how it is stored, beside what the schema judges. */
function sourceProblems(raw: RawConfig): string[] {
  return [...namespaceProblems(raw), ...plainTextSecretProblems(raw)];
}

function problemLines(issues: z.core.$ZodIssue[], raw: RawConfig): string[] {
  return describeProblems(issues, { input: raw.values, secretPaths: [...raw.secretPaths, ...SECRET_CONFIG_PATHS] });
}

/**
 * Problems in a stack file read offline. Encrypted values are placeholders there, so
 * problems under them are left to the program, which sees them decrypted.
 */
export function offlineProblems(raw: RawConfig): string[] {
  const result = platformConfigSchema.safeParse(raw.values, { error: expectedFor });
  if (result.success) return sourceProblems(raw);
  const readable = result.error.issues.filter((i) => !raw.secretPaths.some((secret) => isUnder(i.path, secret)));
  return [...sourceProblems(raw), ...problemLines(readable, raw)];
}

/** The validated config, or a ConfigError listing every problem at once. */
export function parseConfig(raw: RawConfig): PlatformConfig {
  const result = validateConfig(raw);
  if (!result.ok) throw new ConfigError(result.problems);
  return result.config;
}
