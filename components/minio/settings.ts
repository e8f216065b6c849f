import { z } from "zod";
import { longestIntervalMinutes } from "../lib/cron";
import { BUCKETS } from "../lib/names";
import { computeResources, cronSchedule, dnsLabel, boundedCount, positiveInt, storage, strictSection } from "../lib/settings";

// The MinIO tenant's settings (distributed erasure coding by default).

export const minioSettings = strictSection({
  mode: z.enum(["distributed", "standalone"]).default("distributed"),
  replicas: boundedCount("a replica count", 32).default(4),
  drivesPerReplica: boundedCount("a drive count", 16).default(1),
  storage: storage("100Gi"),
  resources: computeResources.prefault("medium"),
  console: strictSection({
    enabled: z.boolean().default(false).describe("The web console; off unless asked for."),
  }).prefault({}),
  tlsSecretName: dnsLabel
    .default("minio-tls")
    .describe(
      "The kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt) the stack's cert-manager Certificate writes for minio.<namespace>.svc and *.minio-pods.<namespace>.svc (issuer: tls.issuer). pgBackRest speaks only TLS to S3.",
    ),
  noncurrentVersionExpirationDays: positiveInt("a number of days").default(30).describe("Overwritten or deleted object versions are kept this long."),
  mirror: strictSection({
    enabled: z.boolean().default(false).describe("Mirror buckets to the off-site bucket (the object-storage backup)."),
    schedule: cronSchedule.default("0 * * * *").describe("Hourly: the object-storage RPO is 1 hour."),
    rpoSeconds: z
      .number()
      .int()
      .min(300)
      .max(86400)
      .default(3600)
      .describe(
        "The object store's recovery point objective (the operations guide: 1 hour). ObjectStorageMirrorStale fires when the off-site copy is older; the schedule must run at least this often.",
      ),
    buckets: z
      // Only the data buckets: pgBackRest copies its own bucket off-site itself (repo2).
      .array(z.enum([BUCKETS.data, BUCKETS.exports]))
      .min(1)
      .refine((b) => new Set(b).size === b.length, { message: "expected each bucket once" })
      .default([BUCKETS.data, BUCKETS.exports])
      .describe("The buckets copied off-site: the platform's data buckets."),
  })
    .superRefine((mirror, ctx) => {
      const gap = longestIntervalMinutes(mirror.schedule) * 60;
      if (gap > mirror.rpoSeconds) {
        ctx.addIssue({
          code: "custom",
          path: ["schedule"],
          message: `expected a schedule that runs at least every ${mirror.rpoSeconds / 60} minutes (rpoSeconds); this one can leave ${gap / 60} minutes between runs`,
        });
      }
    })
    .prefault({}),
})
  .superRefine((m, ctx) => {
    if (m.mode === "distributed" && m.replicas * m.drivesPerReplica < 4) {
      ctx.addIssue({
        code: "custom",
        path: ["replicas"],
        message: `expected replicas x drivesPerReplica >= 4 for distributed erasure coding (drivesPerReplica is ${m.drivesPerReplica})`,
      });
    }
    if (m.mode === "standalone" && m.replicas !== 1) {
      ctx.addIssue({ code: "custom", path: ["replicas"], message: "expected 1 in standalone mode" });
    }
  })
  .prefault({});

export type MinioSettings = z.output<typeof minioSettings>;

/** The images a tenant runs unless the stack pins others. */
export const MINIO_DEFAULT_IMAGES = {
  minio: "quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z",
  mc: "quay.io/minio/mc:RELEASE.2025-04-16T18-13-26Z",
} as const;
