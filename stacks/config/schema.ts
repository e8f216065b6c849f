import { z } from "zod";
import { longestIntervalMinutes } from "../../components/lib/cron";
import { valueAt } from "./problems";
import { computeResources, dnsLabel, hostname, imageRef, positiveInt, storageClassName, strictSection } from "../../components/lib/settings";
import { autoscalingSettings } from "../../components/lib/autoscaling";
import { awsRegion, ciAccessSettings, offsiteSettings } from "../../components/aws/settings";
import { KEYCLOAK_DEFAULT_IMAGES, keycloakSettings } from "../../components/keycloak/settings";
import { MINIO_DEFAULT_IMAGES, minioSettings } from "../../components/minio/settings";
import { MONITORING_DEFAULT_IMAGES, monitoringSettings } from "../../components/monitoring/settings";
import { networkSettings } from "../../components/network/settings";
import { POSTGRES_DEFAULT_IMAGES, postgresSettings } from "../../components/postgres/settings";
import { REDIS_DEFAULT_IMAGES, redisSettings } from "../../components/redis/settings";
import { tlsSettings } from "../../components/tls/settings";
import { ingressSettings } from "../../components/ingress/settings";

// ONE schema for a whole environment, composed of the sections each component owns
// (components/<service>/settings.ts) and the stack's own (kubernetes, images, api,
// imageBuild, local). Defaults are the production numbers from the platform's operations
// guide (shared/OPERATIONS.md); dev and staging scale them down in their
// Pulumi.<stack>.yaml. A rule within a section lives in that section; only the rules
// across sections live here, so every problem is reported in one pass.

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

const kubernetes = strictSection({
  renderYamlToDirectory: z.string().min(1).optional().describe("Write manifests to this directory instead of applying them to a cluster (the dev default)."),
  context: z.string().min(1).optional().describe("kubeconfig context to deploy to; the ambient one if unset."),
  storageClass: storageClassName.default("standard").describe("Storage class for every volume that names none."),
  skipAwait: z.boolean().default(false).describe("Engine-tier test clusters have no kubelet: do not wait for readiness. Never on for a real cluster."),
}).prefault({});

/** Each component's default images, each overridable here; a value must be pinned. */
const images = strictSection({
  api: imageRef.default("ghcr.io/blacklake/api:1.0.0").describe("BlackLake API server."),
  postgres: imageRef.default(POSTGRES_DEFAULT_IMAGES.postgres).describe("PostgreSQL 16 with pgBackRest (built from images/postgres)."),
  backupTools: imageRef.default(POSTGRES_DEFAULT_IMAGES.backupTools).describe("pgBackRest, mc, psql and kubectl for the backup jobs."),
  postgresExporter: imageRef.default(POSTGRES_DEFAULT_IMAGES.postgresExporter),
  pgbackrestExporter: imageRef.default(POSTGRES_DEFAULT_IMAGES.pgbackrestExporter).describe("Backup freshness metrics from pgbackrest info."),
  minio: imageRef.default(MINIO_DEFAULT_IMAGES.minio),
  mc: imageRef.default(MINIO_DEFAULT_IMAGES.mc),
  redis: imageRef.default(REDIS_DEFAULT_IMAGES.redis),
  redisExporter: imageRef.default(REDIS_DEFAULT_IMAGES.redisExporter),
  keycloak: imageRef.default(KEYCLOAK_DEFAULT_IMAGES.keycloak),
  prometheus: imageRef.default(MONITORING_DEFAULT_IMAGES.prometheus),
  alertmanager: imageRef.default(MONITORING_DEFAULT_IMAGES.alertmanager),
  grafana: imageRef.default(MONITORING_DEFAULT_IMAGES.grafana),
  kubeStateMetrics: imageRef.default(MONITORING_DEFAULT_IMAGES.kubeStateMetrics),
}).prefault({});

const api = strictSection({
  enabled: z.boolean().default(true),
  port: z.number().int().min(1024).max(65535).default(8080).describe("Container port (unprivileged)."),
  resources: computeResources.prefault({
    requests: { cpu: "100m", memory: "128Mi" },
    limits: { cpu: "500m", memory: "512Mi" },
  }),
  autoscaling: autoscalingSettings({ min: 2, max: 20 }),
}).prefault({});

const aws = strictSection({
  ciAccess: ciAccessSettings,
  offsite: offsiteSettings,
}).prefault({});

const imageBuild = strictSection({
  enabled: z.boolean().default(false).describe("Build images/postgres and images/backup-tools, push them, and run them pinned by digest. Off: the pinned images under `images`."),
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
          server: z.string().regex(/^[a-z0-9.-]+(:[0-9]+)?$/, { message: 'expected a registry host such as "ghcr.io" or "registry.example.com:5000"' }),
          repositoryPrefix: z.string().regex(/^[a-z0-9]+([._/-][a-z0-9]+)*$/, { message: 'expected a repository path such as "blacklake"' }),
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

const shape = {
  environment: z.enum(ENVIRONMENTS).describe("Which environment shape this stack is."),
  target: z
    .enum(["kubernetes", "docker"])
    .default("kubernetes")
    .describe("kubernetes: the cluster components; docker: the same services as containers on one Docker engine (the local stack)."),
  namespace: dnsLabel
    .refine((n) => n !== "default" && !n.startsWith("kube-"), { message: "expected a namespace of the platform's own (not default or a kube-* system namespace)" })
    .default("blacklake")
    .describe("Namespace that holds the platform."),
  domain: hostname.default("blacklake.internal").describe("Base DNS name for the platform's hosts."),
  highAvailability: z.boolean().default(true).describe("Require replica counts that survive the loss of one node; must be on in prod."),
  kubernetes,
  tls: tlsSettings,
  ingress: ingressSettings,
  network: networkSettings,
  images,
  api,
  postgres: postgresSettings,
  minio: minioSettings,
  redis: redisSettings,
  keycloak: keycloakSettings,
  monitoring: monitoringSettings,
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
const KEEP_RULE = "retention.fullDays plus the longest gap between fulls";

/** The pgBackRest repository on AWS that keeps a full backup (and the WAL it needs) longest, and for how many days. */
function longestOffsiteKeep(c: Config): { name: string; days: number } | undefined {
  return c.postgres.backups.pgbackrest.repos
    .filter((r) => r.storage === "aws")
    .map((r) => ({ name: r.name, days: r.retention.fullDays + Math.ceil(longestIntervalMinutes(r.schedules.full) / 1440) }))
    .sort((a, b) => b.days - a.days)[0];
}

const crossSectionRules: CrossRule[] = [
  haRule("postgres", ["instances"], (c) => (c.postgres.instances < 2 ? `expected at least 2 ${HA}` : undefined)),
  haRule("minio", ["mode"], (c) => (c.minio.mode !== "distributed" ? `expected "distributed" ${HA}` : undefined)),
  haRule("redis", ["sentinel", "enabled"], (c) => (!c.redis.sentinel.enabled ? `expected true ${HA}` : undefined)),
  haRule("keycloak", ["replicas"], (c) => (c.keycloak.enabled && c.keycloak.replicas < 2 ? `expected at least 2 ${HA}` : undefined)),
  haRule("keycloak", ["autoscaling", "minReplicas"], (c) =>
    c.keycloak.enabled && c.keycloak.autoscaling.enabled && c.keycloak.autoscaling.minReplicas < 2 ? `expected at least 2 ${HA}` : undefined,
  ),
  // minReplicas is the API's replica count with autoscaling off too (components/workload).
  haRule("api", ["autoscaling", "minReplicas"], (c) => (c.api.enabled && c.api.autoscaling.minReplicas < 2 ? `expected at least 2 ${HA}` : undefined)),
  haRule("monitoring", ["alertmanager", "replicas"], (c) => (c.monitoring.alertmanager.replicas < 2 ? `expected at least 2 ${HA}` : undefined)),
  {
    dependsOn: ["minio", "aws"],
    path: () => ["minio", "mirror", "enabled"],
    problem: (c) => (c.minio.mirror.enabled && !c.aws.offsite.enabled ? "expected false while aws.offsite.enabled is false" : undefined),
  },
  // pgBackRest cannot read an archived object: nothing its retention keeps may reach the archive class.
  {
    dependsOn: ["postgres", "aws"],
    path: () => ["aws", "offsite", "transitionToArchiveDays"],
    problem: (c) => {
      const longest = longestOffsiteKeep(c);
      if (!c.aws.offsite.enabled || longest === undefined || c.aws.offsite.transitionToArchiveDays > longest.days) return undefined;
      return `expected more than ${longest.days} days: ${longest.name} keeps each full backup and its WAL up to that long (${KEEP_RULE}), and a restore cannot read an archived object`;
    },
  },
  // A backup the lock lets go of before pgBackRest does could be erased while it is still a restore point.
  {
    dependsOn: ["postgres", "aws"],
    path: () => ["aws", "offsite", "objectLock", "days"],
    problem: (c) => {
      const longest = longestOffsiteKeep(c);
      const lock = c.aws.offsite.objectLock;
      if (!c.aws.offsite.enabled || !(lock.primary || lock.replica) || longest === undefined || lock.days >= longest.days) return undefined;
      return `expected at least ${longest.days} days: ${longest.name} keeps each full backup and its WAL that long (${KEEP_RULE}), and each must stay locked while it is a restore point`;
    },
  },
  ...[0, 1, 2, 3].map(
    (i): CrossRule => ({
      dependsOn: ["postgres", "aws"],
      path: () => ["postgres", "backups", "pgbackrest", "repos", i, "storage"],
      problem: (c) => (c.postgres.backups.pgbackrest.repos[i]?.storage === "aws" && !c.aws.offsite.enabled ? 'expected "minio" while aws.offsite.enabled is false' : undefined),
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
  prodRule("minio", ["console", "enabled"], (c) => (c.minio.console.enabled ? `expected false ${IN_PROD} (the console is an admin surface)` : undefined)),
  prodRule("monitoring", ["prometheus", "replicas"], (c) =>
    c.monitoring.prometheus.replicas < 2 ? `expected at least 2 ${IN_PROD}: one Prometheus is a single point of failure for every alert` : undefined,
  ),
  prodRule("monitoring", ["grafana", "anonymousAccess"], (c) => (c.monitoring.grafana.anonymousAccess ? `expected false ${IN_PROD}` : undefined)),
  prodRule("monitoring", ["receivers", "critical", "kind"], (c) =>
    c.monitoring.receivers.critical.kind === "none" ? `expected "webhook" or "email" ${IN_PROD}: critical alerts must page someone` : undefined,
  ),
  prodRule("postgres", ["backups", "pgbackrest", "repos"], (c) =>
    c.postgres.backups.pgbackrest.repos.length === 0 ? `expected at least one backup repository ${IN_PROD}` : undefined,
  ),
  prodRule("postgres", ["backups", "pgbackrest", "restoreDrill", "enabled"], (c) =>
    !c.postgres.backups.pgbackrest.restoreDrill.enabled ? `expected true ${IN_PROD}: untested backups are not backups` : undefined,
  ),
  prodRule("kubernetes", ["skipAwait"], (c) => (c.kubernetes.skipAwait ? `expected false ${IN_PROD}: an up must wait until the servers are ready` : undefined)),
  prodRule("kubernetes", ["renderYamlToDirectory"], (c) =>
    c.kubernetes.renderYamlToDirectory !== undefined ? `expected unset ${IN_PROD}: the stack deploys to the cluster, not into files` : undefined,
  ),
  prodRule("redis", ["maxmemoryPolicy"], (c) => (c.redis.maxmemoryPolicy !== "noeviction" ? `expected "noeviction" ${IN_PROD}: an evicting queue loses jobs` : undefined)),
  // The archive timeout is held below the RPO by the postgres section itself.
  prodRule("postgres", ["rpoSeconds"], (c) => (c.postgres.rpoSeconds > 900 ? `expected at most 900 ${IN_PROD} (the operations guide's database RPO is 15 minutes)` : undefined)),
];

export const platformConfigSchema = crossSectionRules.reduce(
  (schema, rule) =>
    schema.superRefine(
      (c: Config, ctx: z.RefinementCtx) => {
        const message = rule.problem(c);
        // The parsed value goes along: when it is a default, the line says so instead of "found nothing".
        const path = rule.path(c);
        if (message) ctx.addIssue({ code: "custom", path, message, params: { crossSection: true, value: valueAt(c, path) } });
      },
      {
        // Problems found by other cross-section rules do not make a section unreadable.
        when: (payload) => !payload.issues.some((i) => !(i.code === "custom" && i.params?.crossSection) && rule.dependsOn.includes(i.path?.[0] as Section)),
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
