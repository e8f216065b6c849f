import { z } from "zod";
import { isValidCron, longestIntervalMinutes } from "../../components/lib/cron";
import { parseQuantity } from "../../components/lib/quantity";
import {
  computeResources,
  cronSchedule,
  dnsLabel,
  email,
  hostname,
  httpsUrl,
  imageRef,
  percent,
  positiveInt,
  postgresMemory,
  promDuration,
  storage,
  strictSection,
} from "./fields";

// ONE schema for a whole environment. Defaults are the production numbers from the
// platform's operations guide (shared/OPERATIONS.md); dev and staging scale them down
// in their Pulumi.<stack>.yaml. Cross-field rules live at the lowest object that holds
// all their fields, so every problem is reported in one pass.

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

const MINUTES_PER_DAY = 24 * 60;

const kubernetes = strictSection({
  renderYamlToDirectory: z
    .string()
    .min(1)
    .optional()
    .describe("Write manifests to this directory instead of applying them to a cluster (the dev default)."),
  context: z.string().min(1).optional().describe("kubeconfig context to deploy to; the ambient one if unset."),
  storageClass: z.string().min(1).default("standard").describe("Storage class for every volume that names none."),
  skipAwait: z
    .boolean()
    .default(false)
    .describe("Engine-tier test clusters have no kubelet: do not wait for readiness. Never on for a real cluster."),
}).prefault({});

const images = strictSection({
  api: imageRef.default("ghcr.io/blacklake/api:1.0.0").describe("BlackLake API server."),
  postgres: imageRef
    .default("ghcr.io/blacklake/postgres-pgbackrest:16.9-2.55.1")
    .describe("PostgreSQL 16 with pgBackRest (built from images/postgres)."),
  backupTools: imageRef
    .default("ghcr.io/blacklake/backup-tools:2.55.1")
    .describe("pgBackRest, mc, psql and kubectl for the backup jobs."),
  postgresExporter: imageRef.default("quay.io/prometheuscommunity/postgres-exporter:v0.17.1"),
  pgbackrestExporter: imageRef
    .default("docker.io/woblerr/pgbackrest_exporter:v0.18.0")
    .describe("Backup freshness metrics from pgbackrest info."),
  minio: imageRef.default("quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z"),
  mc: imageRef.default("quay.io/minio/mc:RELEASE.2025-04-16T18-13-26Z"),
  redis: imageRef.default("docker.io/library/redis:7.4.2-alpine"),
  redisExporter: imageRef.default("docker.io/oliver006/redis_exporter:v1.74.0"),
  keycloak: imageRef.default("quay.io/keycloak/keycloak:26.2.5"),
  prometheus: imageRef.default("quay.io/prometheus/prometheus:v3.4.1"),
  alertmanager: imageRef.default("quay.io/prometheus/alertmanager:v0.28.1"),
  grafana: imageRef.default("docker.io/grafana/grafana:12.0.2"),
  kubeStateMetrics: imageRef.default("registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.15.0"),
}).prefault({});

const autoscaling = (defaults: { min: number; max: number }) =>
  strictSection({
    enabled: z.boolean().default(true),
    minReplicas: positiveInt("a replica count").default(defaults.min),
    maxReplicas: positiveInt("a replica count").default(defaults.max),
    targetCpuUtilizationPercent: percent.default(70).describe("Scale up above this average CPU use."),
    scaleUpStabilizationSeconds: z.number().int().min(0).max(3600).default(120),
    scaleDownStabilizationSeconds: z.number().int().min(0).max(3600).default(300),
  })
    .superRefine((a, ctx) => {
      if (a.minReplicas > a.maxReplicas) {
        ctx.addIssue({
          code: "custom",
          path: ["minReplicas"],
          message: `expected at most maxReplicas (${a.maxReplicas})`,
        });
      }
    })
    .prefault({});

const api = strictSection({
  enabled: z.boolean().default(true),
  port: z.number().int().min(1024).max(65535).default(8080).describe("Container port (unprivileged)."),
  resources: computeResources.prefault({
    requests: { cpu: "100m", memory: "128Mi" },
    limits: { cpu: "500m", memory: "512Mi" },
  }),
  autoscaling: autoscaling({ min: 2, max: 20 }),
}).prefault({});

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

const sqlIdentifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: "expected a lower-case SQL identifier (letters, digits, _; at most 63)" });

const postgres = strictSection({
  instances: positiveInt("an instance count").default(2).describe("Primary plus streaming read replicas."),
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
  archiveTimeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(60)
    .describe("Force a WAL segment switch at least this often: the worst-case data loss (RPO)."),
  replicationLagAlertSeconds: z
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(30)
    .describe("PostgresReplicationLagHigh fires when a replica's replay lags the primary by more than this for 5 minutes."),
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
      }).prefault({}),
    }).prefault({}),
  }).prefault({}),
}).prefault({});

const minio = strictSection({
  mode: z.enum(["distributed", "standalone"]).default("distributed"),
  replicas: positiveInt("a replica count").default(4),
  drivesPerReplica: positiveInt("a drive count").default(1),
  storage: storage("100Gi"),
  resources: computeResources.prefault("medium"),
  console: strictSection({
    enabled: z.boolean().default(false).describe("The web console; off unless asked for."),
  }).prefault({}),
  tlsSecretName: dnsLabel
    .default("minio-tls")
    .describe(
      "kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt) for minio.<namespace>.svc and *.minio-pods.<namespace>.svc, from cert-manager or the platform PKI. pgBackRest speaks only TLS to S3.",
    ),
  noncurrentVersionExpirationDays: positiveInt("a number of days")
    .default(30)
    .describe("Overwritten or deleted object versions are kept this long."),
  mirror: strictSection({
    enabled: z.boolean().default(false).describe("Mirror buckets to the off-site bucket (the object-storage backup)."),
    schedule: cronSchedule.default("0 * * * *").describe("Hourly: the object-storage RPO is 1 hour."),
    buckets: z.array(z.string().min(3)).default(["blacklake-data", "blacklake-exports"]),
  }).prefault({}),
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

const MIB = 1024 * 1024;
const REDIS_MAXMEMORY_SHARE = 0.75;
/** Redis sizes: kb, mb and gb are powers of 1024. */
const redisBytes = (size: string) => {
  const [, n, unit] = /^([0-9]+)(kb|mb|gb)$/.exec(size) ?? [];
  return Number(n) * { kb: 1024, mb: MIB, gb: 1024 * MIB }[unit as "kb" | "mb" | "gb"];
};

const redis = strictSection({
  replicas: positiveInt("a replica count").default(3),
  sentinel: strictSection({
    enabled: z.boolean().default(true).describe("Sentinel-managed failover between the replicas."),
  }).prefault({}),
  maxmemory: z
    .string()
    .regex(/^[1-9][0-9]*(kb|mb|gb)$/, { message: 'expected a Redis size such as "256mb" (units kb, mb, gb)' })
    .default("256mb"),
  maxmemoryPolicy: z
    .enum(["noeviction", "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu"])
    .default("noeviction")
    .describe("The job queue must never lose jobs to eviction: noeviction."),
  storage: storage("8Gi"),
  resources: computeResources.prefault("medium"),
})
  .superRefine((r, ctx) => {
    // The container also holds the AOF rewrite's copy-on-write pages, client and
    // replication buffers: past this share of the limit, the kernel kills Redis before
    // maxmemory (noeviction) can refuse a write.
    const maxmemoryBytes = redisBytes(r.maxmemory);
    const limitBytes = parseQuantity(r.resources.limits.memory) ?? 0;
    if (maxmemoryBytes > limitBytes * REDIS_MAXMEMORY_SHARE) {
      ctx.addIssue({
        code: "custom",
        path: ["maxmemory"],
        message: `expected at most ${Math.floor((limitBytes * REDIS_MAXMEMORY_SHARE) / MIB)}mb, ${REDIS_MAXMEMORY_SHARE * 100}% of resources.limits.memory (${r.resources.limits.memory}): the rest is headroom for AOF rewrites and buffers`,
      });
    }
    if (r.sentinel.enabled && r.replicas < 3) {
      ctx.addIssue({ code: "custom", path: ["replicas"], message: "expected at least 3 when sentinel.enabled (a quorum of 2)" });
    }
  })
  .prefault({});

const keycloak = strictSection({
  enabled: z.boolean().default(true),
  replicas: positiveInt("a replica count").default(2),
  resources: computeResources.prefault("medium"),
  accessTokenLifespanSeconds: z.number().int().min(60).max(86400).default(300),
  ssoSessionIdleTimeoutSeconds: z.number().int().min(300).max(604800).default(1800),
  autoscaling: autoscaling({ min: 2, max: 4 }),
}).prefault({});

const receiver = z.discriminatedUnion(
  "kind",
  [
    strictSection({ kind: z.literal("webhook"), url: httpsUrl }),
    strictSection({ kind: z.literal("email"), to: email }),
    strictSection({ kind: z.literal("none") }),
  ],
  { error: 'expected a receiver { kind: "webhook", url } or { kind: "email", to } or { kind: "none" }' },
);

const monitoring = strictSection({
  prometheus: strictSection({
    retention: promDuration.default("15d").describe("Keep samples this long."),
    retentionSize: z
      .string()
      .regex(/^[1-9][0-9]*(KB|MB|GB|TB)$/, { message: 'expected a Prometheus size such as "45GB"' })
      .default("45GB"),
    scrapeInterval: promDuration.default("30s"),
    storage: storage("50Gi"),
    resources: computeResources.prefault("large"),
  }).prefault({}),
  alertmanager: strictSection({
    replicas: positiveInt("a replica count").default(3),
    resources: computeResources.prefault("nano"),
  }).prefault({}),
  grafana: strictSection({
    anonymousAccess: z.boolean().default(false),
    resources: computeResources.prefault("small"),
  }).prefault({}),
  runbookBaseUrl: httpsUrl
    .default("https://git.blacklake.example.com/platform/blob/main/")
    .describe("Where the repository's docs/runbooks are browsable; alerts' runbook_url starts with it."),
  receivers: strictSection({
    critical: receiver.default({ kind: "none" }).describe("Pages: critical alerts go here."),
    warning: receiver.default({ kind: "none" }).describe("Chat or e-mail: warnings go here."),
  }).prefault({}),
  smtp: strictSection({
    smarthost: z
      .string()
      .regex(/^[a-z0-9.-]+:[0-9]{1,5}$/, { message: 'expected "host:port" such as "smtp.example.com:587"' })
      .describe("The mail relay Alertmanager sends through (STARTTLS required)."),
    from: email.describe("The sender address of alert mail."),
    authUsername: z.string().min(1).optional(),
    authPassword: z.string().min(1).optional().describe("Set it with `pulumi config set --secret`."),
  })
    .optional()
    .describe("Needed when a receiver is an e-mail address."),
})
  .superRefine((m, ctx) => {
    const mailed = Object.entries(m.receivers).filter(([, r]) => r.kind === "email").map(([name]) => name);
    if (mailed.length > 0 && !m.smtp) {
      ctx.addIssue({ code: "custom", path: ["smtp"], message: `expected { smarthost, from } because ${mailed.map((r) => `receivers.${r}`).join(" and ")} ${mailed.length > 1 ? "send" : "sends"} e-mail` });
    }
  })
  .prefault({});

const awsRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-[0-9]$/, { message: 'expected an AWS region such as "eu-west-1"' });

const writerCredentials = z
  .discriminatedUnion(
    "kind",
    [
      strictSection({ kind: z.literal("accessKeys") }),
      strictSection({
        kind: z.literal("irsa"),
        oidcProviderArn: z
          .string()
          .regex(/^arn:aws:iam::[0-9]{12}:oidc-provider\/.+$/, { message: "expected an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer>)" })
          .describe("The cluster's IAM OIDC provider."),
        oidcIssuer: z
          .string()
          .regex(/^[a-z0-9.-]+(\/[A-Za-z0-9._-]+)*$/, { message: 'expected the issuer without "https://", e.g. oidc.eks.eu-west-1.amazonaws.com/id/ABC123' })
          .describe("The cluster's service-account token issuer, without https://."),
      }),
    ],
    { error: 'expected { kind: "accessKeys" } or { kind: "irsa", oidcProviderArn, oidcIssuer }' },
  )
  .prefault({ kind: "accessKeys" })
  .describe(
    "How off-site writers authenticate. irsa: an IAM role per writer, trusted for its Kubernetes service account only (no stored key); accessKeys: an IAM user whose key reaches the cluster as a Secret. The MinIO mirror always uses a key: mc cannot take a web identity.",
  );

const githubEnvironment = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,255}$/, { message: "expected a GitHub environment name (letters, digits, _ . -)" });

const kmsAlias = z.string().regex(/^alias\/[A-Za-z0-9/_-]+$/, { message: 'expected a KMS alias such as "alias/blacklake-pulumi"' });

const ciAccess = strictSection({
  enabled: z.boolean().default(false).describe("Declare the IAM roles GitHub Actions assumes by OIDC to preview and deploy this stack."),
  githubRepository: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { message: 'expected "<owner>/<repository>"' })
    .default("blacklake/platform"),
  deployEnvironment: githubEnvironment.default("production").describe("The GitHub environment whose jobs may deploy (pulumi up) this stack."),
  previewEnvironment: githubEnvironment.default("preview").describe("The GitHub environment whose jobs may preview this stack (read-only)."),
  oidcProviderArn: z
    .string()
    .regex(/^arn:aws:iam::[0-9]{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/, {
      message: "expected the ARN of the account's token.actions.githubusercontent.com OIDC provider",
    })
    .optional()
    .describe("The account's GitHub OIDC provider; declared here when unset (one per account)."),
  stateBucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: "expected an S3 bucket name" })
    .default("blacklake-pulumi-state")
    .describe("The Pulumi state backend bucket (s3://<bucket>), made once by an administrator: see docs/ci.md."),
  stateKeyAlias: kmsAlias.default("alias/blacklake-pulumi-state").describe("The KMS key the state bucket is encrypted with."),
  secretsKeyAlias: kmsAlias.default("alias/blacklake-pulumi").describe("The KMS key of the stack's secrets provider (awskms://<alias>)."),
}).prefault({});

const aws = strictSection({
  ciAccess,
  offsite: strictSection({
    enabled: z.boolean().default(false).describe("Create the off-site backup bucket (needs AWS credentials)."),
    region: awsRegion.default("eu-west-1"),
    replicaRegion: awsRegion.optional().describe("Cross-region replica of the off-site bucket."),
    transitionToInfrequentAccessDays: positiveInt("a number of days").default(90),
    transitionToArchiveDays: positiveInt("a number of days").default(365),
    archiveStorageClass: z.enum(["GLACIER", "DEEP_ARCHIVE"]).default("GLACIER"),
    expireDays: positiveInt("a number of days").default(2555).describe("Delete after 7 years."),
    noncurrentVersionExpirationDays: positiveInt("a number of days")
      .default(90)
      .describe("Overwritten or deleted versions are kept this long."),
    adminPrincipalArns: z
      .array(z.string().regex(/^arn:aws:iam::[0-9]{12}:(role|user)\/.+$/, { message: "expected an IAM role or user ARN" }))
      .default([])
      .describe("Operators allowed to use the bucket besides the writers and the deploying identity."),
    writerCredentials,
  })
    .superRefine((o, ctx) => {
      if (o.transitionToArchiveDays <= o.transitionToInfrequentAccessDays) {
        ctx.addIssue({
          code: "custom",
          path: ["transitionToArchiveDays"],
          message: `expected more than transitionToInfrequentAccessDays (${o.transitionToInfrequentAccessDays})`,
        });
      }
      if (o.expireDays <= o.transitionToArchiveDays) {
        ctx.addIssue({
          code: "custom",
          path: ["expireDays"],
          message: `expected more than transitionToArchiveDays (${o.transitionToArchiveDays})`,
        });
      }
      if (o.replicaRegion !== undefined && o.replicaRegion === o.region) {
        ctx.addIssue({ code: "custom", path: ["replicaRegion"], message: `expected a region other than ${o.region}` });
      }
    })
    .prefault({}),
}).prefault({});

const imageBuild = strictSection({
  enabled: z
    .boolean()
    .default(false)
    .describe(
      "Build images/postgres and images/backup-tools, push them, and run them pinned by digest. Off: the pinned images under `images`.",
    ),
  registry: z
    .discriminatedUnion(
      "kind",
      [
        strictSection({
          kind: z.literal("ecr"),
          region: awsRegion.default("eu-west-1"),
          keepImages: positiveInt("an image count").default(30).describe("Images kept per repository; older ones expire."),
          untaggedExpireDays: positiveInt("a number of days").default(7),
        }),
        strictSection({
          kind: z.literal("registry"),
          server: z
            .string()
            .regex(/^[a-z0-9.-]+(:[0-9]+)?$/, { message: 'expected a registry host such as "ghcr.io" or "registry.example.com:5000"' }),
          repositoryPrefix: z
            .string()
            .regex(/^[a-z0-9]+([._\/-][a-z0-9]+)*$/, { message: 'expected a repository path such as "blacklake"' }),
        }),
      ],
      { error: 'expected a registry { kind: "ecr", region } or { kind: "registry", server, repositoryPrefix }' },
    )
    .prefault({ kind: "ecr" })
    .describe("ecr: repositories made here (scan on push, immutable tags, lifecycle); registry: an existing one the CI runner is logged in to."),
  platform: z.enum(["linux/amd64", "linux/arm64"]).default("linux/amd64"),
}).prefault({});

const port = z.number().int().min(1).max(65535, { message: "expected a TCP port from 1 to 65535" });

const local = strictSection({
  bindAddress: z
    .string()
    .regex(/^([0-9]{1,3}\.){3}[0-9]{1,3}$/, { message: 'expected an IPv4 address such as "127.0.0.1"' })
    .default("127.0.0.1")
    .describe("Host address the published ports listen on; loopback keeps the laptop's services off the network."),
  ports: strictSection({
    api: port.default(8080),
    grafana: port.default(3001),
    prometheus: port.default(9090),
    alertmanager: port.default(9093),
    keycloak: port.default(8180),
    postgres: port.default(5432),
    minio: port.default(9000),
  }).prefault({}),
}).prefault({});

const cidr = z.string().regex(/^([0-9]{1,3}\.){3}[0-9]{1,3}\/[0-9]{1,2}$/, { message: 'expected an IPv4 CIDR such as "10.0.0.0/8"' });
const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

const network = strictSection({
  ingressNamespace: dnsLabel.default("ingress-nginx").describe("Namespace of the ingress controller allowed to reach the API, Keycloak and Grafana."),
  apiServerCidrs: z.array(cidr).min(1).default(PRIVATE_RANGES).describe("Where the Kubernetes API server is; narrow it to your cluster's."),
  nodeCidrs: z.array(cidr).min(1).default(PRIVATE_RANGES).describe("The nodes' addresses (kubelet metrics)."),
  internetCidrs: z.array(cidr).min(1).default(["0.0.0.0/0"]).describe("Off-site storage and alert receivers; only ports 443 and 587 are opened."),
}).prefault({});

const shape = {
  environment: z.enum(ENVIRONMENTS).describe("Which environment shape this stack is."),
  target: z
    .enum(["kubernetes", "docker"])
    .default("kubernetes")
    .describe("kubernetes: the cluster components; docker: the same services as containers on one Docker engine (the local stack)."),
  namespace: dnsLabel.default("blacklake").describe("Namespace that holds the platform."),
  domain: hostname.default("blacklake.internal").describe("Base DNS name for the platform's hosts."),
  highAvailability: z
    .boolean()
    .default(true)
    .describe("Require replica counts that survive the loss of one node; must be on in prod."),
  kubernetes,
  network,
  images,
  api,
  postgres,
  minio,
  redis,
  keycloak,
  monitoring,
  aws,
  imageBuild,
  local,
};

type Shape = typeof shape;
type Section = keyof Shape;
type Config = z.output<z.ZodObject<Shape>>;
type Path = (string | number)[];

/** A rule across sections: `problem` returns the "expected ..." text when the rule is broken. */
interface CrossRule {
  dependsOn: Section[];
  path: (c: Config) => Path;
  problem: (c: Config) => string | undefined;
}

const HA = "to survive the loss of one node (highAvailability is on)";
const IN_PROD = "in prod";

const haRule = (section: Section, path: Path, problem: (c: Config) => string | undefined): CrossRule => ({
  dependsOn: ["highAvailability", section],
  path: () => [section, ...path],
  problem: (c) => (c.highAvailability ? problem(c) : undefined),
});

const prodRule = (section: Section, path: Path, problem: (c: Config) => string | undefined): CrossRule => ({
  dependsOn: ["environment", section],
  path: () => (section === "environment" ? path : [section, ...path]),
  problem: (c) => (c.environment === "prod" ? problem(c) : undefined),
});

/** Rules that span sections; each runs only when the sections it reads are valid, so one bad section does not hide the others. */
const crossSectionRules: CrossRule[] = [
  haRule("postgres", ["instances"], (c) => (c.postgres.instances < 2 ? `expected at least 2 ${HA}` : undefined)),
  haRule("minio", ["mode"], (c) => (c.minio.mode !== "distributed" ? `expected "distributed" ${HA}` : undefined)),
  haRule("redis", ["sentinel", "enabled"], (c) => (!c.redis.sentinel.enabled ? `expected true ${HA}` : undefined)),
  haRule("keycloak", ["replicas"], (c) => (c.keycloak.enabled && c.keycloak.replicas < 2 ? `expected at least 2 ${HA}` : undefined)),
  haRule("keycloak", ["autoscaling", "minReplicas"], (c) =>
    c.keycloak.enabled && c.keycloak.autoscaling.enabled && c.keycloak.autoscaling.minReplicas < 2 ? `expected at least 2 ${HA}` : undefined,
  ),
  haRule("api", ["autoscaling", "minReplicas"], (c) =>
    c.api.enabled && c.api.autoscaling.enabled && c.api.autoscaling.minReplicas < 2 ? `expected at least 2 ${HA}` : undefined,
  ),
  haRule("monitoring", ["alertmanager", "replicas"], (c) =>
    c.monitoring.alertmanager.replicas < 2 ? `expected at least 2 ${HA}` : undefined,
  ),
  {
    dependsOn: ["minio", "aws"],
    path: () => ["minio", "mirror", "enabled"],
    problem: (c) => (c.minio.mirror.enabled && !c.aws.offsite.enabled ? "expected false while aws.offsite.enabled is false" : undefined),
  },
  ...[0, 1, 2, 3].map(
    (i): CrossRule => ({
      dependsOn: ["postgres", "aws"],
      path: () => ["postgres", "backups", "pgbackrest", "repos", i, "storage"],
      problem: (c) =>
        c.postgres.backups.pgbackrest.repos[i]?.storage === "aws" && !c.aws.offsite.enabled
          ? 'expected "minio" while aws.offsite.enabled is false'
          : undefined,
    }),
  ),
  // The local stack is a laptop's: no cloud account, nothing built or pushed.
  ...(
    [
      [["environment"], (c: Config) => (c.environment !== "dev" ? 'expected "dev" when target is "docker"' : undefined)],
      [["aws", "offsite", "enabled"], (c: Config) => (c.aws.offsite.enabled ? 'expected false when target is "docker"' : undefined)],
      [["imageBuild", "enabled"], (c: Config) => (c.imageBuild.enabled ? 'expected false when target is "docker"' : undefined)],
    ] as const
  ).map(
    ([path, problem]): CrossRule => ({
      dependsOn: ["target", path[0] as Section],
      path: () => [...path],
      problem: (c) => (c.target === "docker" ? problem(c) : undefined),
    }),
  ),
  // What the production policy pack forbids, caught before anything is registered.
  prodRule("highAvailability", [], (c) => (!c.highAvailability ? `expected true ${IN_PROD}` : undefined)),
  prodRule("minio", ["console", "enabled"], (c) =>
    c.minio.console.enabled ? `expected false ${IN_PROD} (the console is an admin surface)` : undefined,
  ),
  prodRule("monitoring", ["grafana", "anonymousAccess"], (c) =>
    c.monitoring.grafana.anonymousAccess ? `expected false ${IN_PROD}` : undefined,
  ),
  prodRule("monitoring", ["receivers", "critical", "kind"], (c) =>
    c.monitoring.receivers.critical.kind === "none"
      ? `expected "webhook" or "email" ${IN_PROD}: critical alerts must page someone`
      : undefined,
  ),
  prodRule("postgres", ["backups", "pgbackrest", "repos"], (c) =>
    c.postgres.backups.pgbackrest.repos.length === 0 ? `expected at least one backup repository ${IN_PROD}` : undefined,
  ),
  prodRule("postgres", ["backups", "pgbackrest", "restoreDrill", "enabled"], (c) =>
    !c.postgres.backups.pgbackrest.restoreDrill.enabled ? `expected true ${IN_PROD}: untested backups are not backups` : undefined,
  ),
  prodRule("postgres", ["archiveTimeoutSeconds"], (c) =>
    c.postgres.archiveTimeoutSeconds > 900 ? `expected at most 900 ${IN_PROD} (the RPO is 15 minutes)` : undefined,
  ),
];

export const platformConfigSchema = crossSectionRules.reduce(
  (schema, rule) =>
    schema.superRefine(
      (c: Config, ctx: z.RefinementCtx) => {
        const message = rule.problem(c);
        if (message) ctx.addIssue({ code: "custom", path: rule.path(c), message, params: { crossSection: true } });
      },
      {
        // Problems found by other cross-section rules do not make a section unreadable.
        when: (payload) =>
          !payload.issues.some(
            (i) => !(i.code === "custom" && i.params?.crossSection) && rule.dependsOn.includes(i.path?.[0] as Section),
          ),
      },
    ) as unknown as typeof schema,
  strictSection(shape),
);

export type PlatformConfig = z.output<typeof platformConfigSchema>;
export type PlatformConfigInput = z.input<typeof platformConfigSchema>;

/** Config values that are secrets wherever they come from (receiver URLs carry tokens). */
export const SECRET_CONFIG_PATHS: PropertyKey[][] = [
  ["monitoring", "smtp", "authPassword"],
  ["monitoring", "receivers", "critical", "url"],
  ["monitoring", "receivers", "warning", "url"],
];
