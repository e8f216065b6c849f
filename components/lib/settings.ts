import { z } from "zod";
import { binaryUnitBytes, parseQuantity, isByteQuantity } from "./quantity";
import { CronSyntaxError, parseCron } from "./cron";
import { imagePinProblem } from "./image";
import { isDnsLabel, isDnsSubdomain } from "./naming";
import { RESOURCE_PRESETS, type ResourcePreset, type ComputeResources } from "./resources";

// Field types every component's settings schema is built from. Every custom message is
// the "expected ..." half of an error line; stacks/config/problems.ts adds the path and
// what was found.

/** An object that rejects unknown keys and names the keys it does accept. */
export function strictSection<T extends z.ZodRawShape>(shape: T) {
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `expected one of the keys ${Object.keys(shape).join(", ")}` : undefined),
  });
}

export const dnsLabel = z.string().refine(isDnsLabel, { message: "expected a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters)" });

export const hostname = z.string().refine(isDnsSubdomain, {
  message: "expected a DNS name such as data.example.com",
});

export const positiveInt = (what = "a whole number") =>
  z
    .number({ error: `expected ${what} >= 1` })
    .int({ error: `expected ${what} >= 1` })
    .min(1, { error: `expected ${what} >= 1` });

/** A count with a ceiling: past it, a value is far more likely a typo (30 for 3) than a plan. */
export const boundedCount = (what: string, max: number) =>
  positiveInt(what).max(max, { error: `expected ${what} from 1 to ${max} (a larger one is more likely a typo than a plan)` });

export const percent = z
  .number()
  .int({ error: "expected a whole percentage from 1 to 100" })
  .min(1, { error: "expected a whole percentage from 1 to 100" })
  .max(100, { error: "expected a whole percentage from 1 to 100" });

/** A Kubernetes quantity greater than zero, e.g. "500m" or "2". */
export const cpuQuantity = z
  .string({ error: 'expected a CPU quantity such as "250m" or "2"' })
  .refine((s) => (parseQuantity(s) ?? 0) > 0, { message: 'expected a CPU quantity greater than zero such as "250m" or "2"' });

/** A byte quantity greater than zero, e.g. "512Mi" or "10Gi". */
export const byteQuantity = z.string({ error: 'expected a size such as "512Mi" or "10Gi"' }).refine((s) => isByteQuantity(s) && (parseQuantity(s) ?? 0) > 0, {
  message: 'expected a size greater than zero such as "512Mi" or "10Gi" (Ki, Mi, Gi, Ti or k, M, G, T)',
});

/** PostgreSQL memory settings use their own units ("256MB"), not Kubernetes ones. */
export const postgresMemory = z.string().regex(/^[1-9][0-9]*(kB|MB|GB|TB)$/, { message: 'expected a PostgreSQL size such as "256MB" (units kB, MB, GB, TB)' });

/** A postgresMemory value in bytes: PostgreSQL's units are powers of 1024. */
export const postgresBytes = (size: string) => binaryUnitBytes(size, ["kB", "MB", "GB", "TB"]);

/**
 * A "share of the memory limit" rule's problem: `value` (bytes) above `share` of the limit
 * `limit` (a quantity such as "1Gi"), with `why`, the bound in mebibytes written with the
 * server's own unit (`unit`: PostgreSQL's "MB", Redis' "mb"); undefined when it fits.
 */
export function beyondShareOfLimit(o: { value: number; share: number; limit: string; why: string; unit?: string }): string | undefined {
  const limitBytes = parseQuantity(o.limit) ?? 0;
  if (o.value <= limitBytes * o.share) return undefined;
  return `expected at most ${Math.floor((limitBytes * o.share) / 1024 ** 2)}${o.unit ?? "MB"}, ${Math.round(o.share * 100)}% of resources.limits.memory (${o.limit}): ${o.why}`;
}

/** Prometheus durations: "15d", "2h30m". */
export const promDuration = z
  .string()
  .regex(/^([0-9]+(ms|s|m|h|d|w|y))+$/, { message: 'expected a Prometheus duration such as "30s", "15d" or "1h30m"' })
  .refine((s) => !/^(0+(ms|s|m|h|d|w|y))+$/.test(s), { message: "expected a duration greater than zero" });

export const cronSchedule = z.string().superRefine((value, ctx) => {
  try {
    parseCron(value);
  } catch (error) {
    if (!(error instanceof CronSyntaxError)) throw error;
    ctx.addIssue({
      code: "custom",
      message: `expected a five-field cron schedule such as "0 2 * * *" (this one ${error.message})`,
    });
  }
});

export const imageRef = z.string().superRefine((value, ctx) => {
  const problem = imagePinProblem(value);
  if (problem) {
    ctx.addIssue({
      code: "custom",
      message: `expected a pinned image "repository:exact-tag" or "repository@sha256:<digest>" (this one ${problem})`,
    });
  }
});

export const httpsUrl = z.string().refine((s) => URL.canParse(s) && new URL(s).protocol === "https:", { message: "expected an https:// URL" });

export const email = z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, { message: "expected an e-mail address" });

const explicitResources = strictSection({
  requests: strictSection({ cpu: cpuQuantity, memory: byteQuantity }),
  limits: strictSection({ cpu: cpuQuantity, memory: byteQuantity }),
}).superRefine((r, ctx) => {
  for (const kind of ["cpu", "memory"] as const) {
    if ((parseQuantity(r.requests[kind]) ?? 0) > (parseQuantity(r.limits[kind]) ?? 0)) {
      ctx.addIssue({
        code: "custom",
        path: ["requests", kind],
        message: `expected a request no larger than the limit (${r.limits[kind]})`,
      });
    }
  }
});

const presetNames = Object.keys(RESOURCE_PRESETS) as [ResourcePreset, ...ResourcePreset[]];

/** Either a preset name or explicit requests and limits; always resolves to explicit values. */
export const computeResources = z
  .union([z.enum(presetNames), explicitResources], {
    error: `expected a preset (${presetNames.join(", ")}) or { requests: { cpu, memory }, limits: { cpu, memory } }`,
  })
  .transform((r): ComputeResources => (typeof r === "string" ? RESOURCE_PRESETS[r] : r));

export const storageClassName = z.string().refine(isDnsSubdomain, {
  message: "expected a StorageClass name (a DNS-1123 subdomain: lower-case letters, digits, '-' and '.')",
});

/** The largest single block volume the major clouds provision (EBS io2 Block Express, GCE Hyperdisk: 64 TiB). */
const MAX_VOLUME = "64Ti";
const MAX_VOLUME_BYTES = parseQuantity(MAX_VOLUME)!;

export const storage = (defaultSize: string) =>
  strictSection({
    size: byteQuantity
      .refine((s) => (parseQuantity(s) ?? 0) <= MAX_VOLUME_BYTES, { message: `expected at most ${MAX_VOLUME}, the largest single volume the major clouds provision` })
      .default(defaultSize)
      .describe("Volume size per replica."),
    storageClass: storageClassName.optional().describe("Storage class of the volume; defaults to kubernetes.storageClass."),
  }).prefault({});
