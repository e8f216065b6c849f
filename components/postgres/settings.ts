import { z } from "zod";
import { isValidCron, longestIntervalMinutes } from "../lib/cron";
import { beyondShareOfLimit, computeResources, cronSchedule, boundedCount, positiveInt, postgresBytes, postgresMemory, storage, strictSection } from "../lib/settings";

// The PostgreSQL cluster's settings: defaults are the production numbers of the
// operations guide; a stack scales them down in its Pulumi.<stack>.yaml.

const MINUTES_PER_DAY = 24 * 60;
/** Upper bounds, as shares of the memory limit (the usual advice is 25% and 50-75%). */
const POSTGRES_SHARED_BUFFERS_SHARE = 0.4;
const POSTGRES_CACHE_SHARE = 0.75;

const retention = strictSection({
  fullDays: positiveInt("a number of days").default(30).describe("Keep full backups this many days."),
  incrementalDays: positiveInt("a number of days")
    .default(7)
    .describe(
      "Incremental backups must stay restorable this long. pgBackRest keeps an incremental as long as the full it builds on, so this is a floor checked against the schedules, not a separate expiry.",
    ),
})
  .superRefine((r, ctx) => {
    if (r.incrementalDays > r.fullDays) {
      ctx.addIssue({
        code: "custom",
        path: ["incrementalDays"],
        message: `expected at most fullDays (${r.fullDays}): an incremental expires with the full it builds on`,
      });
    }
  })
  .prefault({});

const backupRepo = strictSection({
  name: z
    .string()
    .regex(/^repo[1-4]$/, { message: "expected repo1, repo2, repo3 or repo4" })
    .describe("repo1, repo2, ... in list order: the repository's pgBackRest index."),
  storage: z.enum(["minio", "aws"]).describe("minio: the in-cluster object store; aws: the off-site bucket."),
  schedules: strictSection({
    full: cronSchedule.default("0 2 * * *").describe("Full backup."),
    diff: cronSchedule.optional().describe("Differential backup (optional)."),
    incr: cronSchedule.default("0 */4 * * *").describe("Incremental backup."),
  }).prefault({}),
  retention,
}).superRefine((repo, ctx) => {
  // A backup set must outlive the gap to the next one of its kind, or there are moments
  // with no backup of that kind at all.
  const checks = [
    { schedule: repo.schedules.full, days: repo.retention.fullDays, path: ["retention", "fullDays"], kind: "full" },
    {
      schedule: repo.schedules.incr,
      days: repo.retention.incrementalDays,
      path: ["retention", "incrementalDays"],
      kind: "incremental",
    },
  ];
  for (const { schedule, days, path, kind } of checks) {
    if (!isValidCron(schedule)) continue; // already reported on the schedule itself
    const gapMinutes = longestIntervalMinutes(schedule);
    if (days * MINUTES_PER_DAY < gapMinutes) {
      const gap = Number.isFinite(gapMinutes) ? `${(gapMinutes / MINUTES_PER_DAY).toFixed(1)} days` : "forever";
      ctx.addIssue({
        code: "custom",
        path,
        message: `expected at least the longest gap between ${kind} backups of "${schedule}" (${gap})`,
      });
    }
  }
});

const sqlIdentifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: "expected a lower-case SQL identifier (letters, digits, _; at most 63)" });

export const postgresSettings = strictSection({
  instances: boundedCount("an instance count", 9).default(2).describe("Primary plus streaming read replicas."),
  appDatabase: sqlIdentifier.default("blacklake").describe("The application's database."),
  appUser: sqlIdentifier.default("blacklake_app").describe("The application's least-privilege role."),
  storage: storage("50Gi"),
  resources: computeResources.prefault("large"),
  parameters: strictSection({
    maxConnections: z.number().int().min(10).max(10000).default(100),
    sharedBuffers: postgresMemory.default("256MB"),
    workMem: postgresMemory.default("4MB"),
    maintenanceWorkMem: postgresMemory.default("64MB"),
    effectiveCacheSize: postgresMemory.default("1GB"),
  }).prefault({}),
  archiveTimeoutSeconds: z.number().int().min(1).max(3600).default(60).describe("Force a WAL segment switch at least this often: the worst-case data loss (RPO)."),
  replicationLagAlertSeconds: z
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(30)
    .describe("PostgresReplicationLagHigh fires when a replica's replay lags the primary by more than this for 5 minutes."),
  rpoSeconds: z
    .number()
    .int()
    .min(60)
    .max(86400)
    .default(900)
    .describe(
      "The database's recovery point objective (the operations guide: 15 minutes; 5 for the stricter service). PostgresWalArchiveBehindRpo fires when WAL waiting for the archive could be lost beyond it; must exceed archiveTimeoutSeconds.",
    ),
  backups: strictSection({
    pgbackrest: strictSection({
      repos: z
        .array(backupRepo)
        .max(4)
        .prefault([{ name: "repo1", storage: "minio", schedules: {}, retention: {} }])
        .superRefine((repos, ctx) => {
          const storages = new Set<string>();
          repos.forEach((repo, i) => {
            // One identity: pgBackRest numbers repositories by their place in this list
            // (repo1-path, PGBACKREST_REPO1_*), and the name is that number, so a name
            // can never point at another repository's keys or bucket.
            const expected = `repo${i + 1}`;
            if (/^repo[1-4]$/.test(repo.name) && repo.name !== expected) {
              ctx.addIssue({
                code: "custom",
                path: [i, "name"],
                message: `expected "${expected}": a repository's name is its pgBackRest index, its place in this list (repo1 first)`,
              });
            }
            // Two repositories in the same store would share its bucket and path.
            if (storages.has(repo.storage)) {
              ctx.addIssue({ code: "custom", path: [i, "storage"], message: `expected a storage no other repository uses (${repo.storage} is taken)` });
            }
            storages.add(repo.storage);
          });
        })
        .describe("pgBackRest repositories, shaped like Crunchy PGO's backups.pgbackrest.repos."),
      restoreDrill: strictSection({
        enabled: z.boolean().default(true),
        schedule: cronSchedule.default("0 5 * * 0").describe("Weekly restore test (Sunday 05:00)."),
        rtoSeconds: z
          .number()
          .int()
          .min(300)
          .max(172800)
          .default(14400)
          .describe(
            "The restore's recovery time objective (the operations guide: 4 hours for a critical service). PostgresRestoreDrillTooSlow fires when the latest drill took longer.",
          ),
      }).prefault({}),
    }).prefault({}),
  }).prefault({}),
})
  .superRefine((pg, ctx) => {
    // A segment may wait archive_timeout before it is even switched out for the archive.
    if (pg.archiveTimeoutSeconds >= pg.rpoSeconds) {
      ctx.addIssue({
        code: "custom",
        path: ["archiveTimeoutSeconds"],
        message: `expected less than rpoSeconds (${pg.rpoSeconds}): a WAL segment may wait this long before it is archived`,
      });
    }
    // Memory against the container's limit: the page cache, every backend's work_mem and
    // maintenance are charged to the same cgroup as shared_buffers.
    const limit = pg.resources.limits.memory;
    const rules = [
      { key: "sharedBuffers", share: POSTGRES_SHARED_BUFFERS_SHARE, why: "the backends, their work_mem and the page cache need the rest" },
      { key: "effectiveCacheSize", share: POSTGRES_CACHE_SHARE, why: "the planner would count on a cache the container cannot hold" },
    ] as const;
    for (const { key, share, why } of rules) {
      const problem = beyondShareOfLimit({ value: postgresBytes(pg.parameters[key]), share, limit, why });
      if (problem) ctx.addIssue({ code: "custom", path: ["parameters", key], message: problem, params: { value: pg.parameters[key] } });
    }
  })
  .prefault({});

export type PostgresSettings = z.output<typeof postgresSettings>;

/** The images a cluster runs unless the stack pins others (postgres and backupTools are built from images/). */
export const POSTGRES_DEFAULT_IMAGES = {
  postgres: "ghcr.io/blacklake/postgres-pgbackrest:16.9-2.55.1",
  backupTools: "ghcr.io/blacklake/backup-tools:2.55.1",
  postgresExporter: "quay.io/prometheuscommunity/postgres-exporter:v0.17.1",
  pgbackrestExporter: "docker.io/woblerr/pgbackrest_exporter:v0.18.0",
} as const;
