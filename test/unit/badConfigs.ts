// The bad configs: each mutates a valid stack file's values so that it holds one problem,
// and names the one line both readers (the program's and config:check's) must print for it.
// Over 300 lines because it is a table, one case per problem.

import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { engineText, PROJECT } from "../../stacks/config/source";
import { parseStackYaml } from "../../stacks/config/stackYaml";
import { stackConfig, type StackName } from "../harness";

export type Values = Record<string, any>;

const repo0 = (v: Values) => v.postgres.backups.pgbackrest.repos[0];

export interface BadCase {
  name: string;
  stack?: StackName;
  mutate: (v: Values) => void;
  line: string;
}

export const badCases: BadCase[] = [
  // wrong types
  { name: "instances as a string", mutate: (v) => (v.postgres.instances = "three"), line: 'postgres.instances: found "three"; expected an instance count >= 1' },
  { name: "section as a scalar", mutate: (v) => (v.redis = "big"), line: 'redis: found "big"; expected an object' },
  { name: "boolean as a string", mutate: (v) => (v.highAvailability = "yes"), line: 'highAvailability: found "yes"; expected a boolean' },
  {
    name: "list as an object",
    mutate: (v) => (v.postgres.backups.pgbackrest.repos = { name: "repo1" }),
    line: "postgres.backups.pgbackrest.repos: found an object; expected an array",
  },
  { name: "fractional replica count", mutate: (v) => (v.minio.replicas = 4.5), line: "minio.replicas: found 4.5; expected a replica count >= 1" },
  { name: "missing environment", mutate: (v) => delete v.environment, line: 'environment: found nothing; expected one of "dev", "staging", "prod"' },
  { name: "unknown environment", mutate: (v) => (v.environment = "production"), line: 'environment: found "production"; expected one of "dev", "staging", "prod"' },
  // CIDRs by value, not shape
  ...[
    ["a prefix past 32", "10.0.0.0/33"],
    ["an octet past 255", "10.300.0.0/16"],
    ["host bits set past the prefix", "10.0.0.1/8"],
  ].map(([name, value]) => ({
    name: `network CIDR with ${name}`,
    mutate: (v: Values) => (v.network = { ...(v.network ?? {}), apiServerCidrs: [value] }),
    line: `network.apiServerCidrs[0]: found "${value}"; expected an IPv4 CIDR such as "10.0.0.0/8" (octets 0-255, prefix 0-32, no host bits set)`,
  })),
  {
    name: "the platform in kube-system",
    mutate: (v) => (v.namespace = "kube-system"),
    line: 'namespace: found "kube-system"; expected a namespace of the platform\'s own (not default or a kube-* system namespace)',
  },
  {
    name: "the platform in default",
    mutate: (v) => (v.namespace = "default"),
    line: 'namespace: found "default"; expected a namespace of the platform\'s own (not default or a kube-* system namespace)',
  },
  {
    name: "an off-site admin given as a wildcard",
    stack: "prod",
    mutate: (v) => (v.aws.offsite.adminPrincipalArns = ["arn:aws:iam::111122223333:role/*"]),
    line: 'aws.offsite.adminPrincipalArns[0]: found "arn:aws:iam::111122223333:role/*"; expected an IAM role or user ARN, without wildcards',
  },
  {
    name: "prod skipping the readiness waits",
    stack: "prod",
    mutate: (v) => (v.kubernetes.skipAwait = true),
    line: "kubernetes.skipAwait: found true; expected false in prod: an up must wait until the servers are ready",
  },
  {
    name: "prod rendering into files",
    stack: "prod",
    mutate: (v) => (v.kubernetes.renderYamlToDirectory = "out"),
    line: 'kubernetes.renderYamlToDirectory: found "out"; expected unset in prod: the stack deploys to the cluster, not into files',
  },
  {
    name: "prod's queue evicting keys",
    stack: "prod",
    mutate: (v) => (v.redis = { ...v.redis, maxmemoryPolicy: "allkeys-lru" }),
    line: 'redis.maxmemoryPolicy: found "allkeys-lru"; expected "noeviction" in prod: an evicting queue loses jobs',
  },
  {
    name: "prod's API at one replica with autoscaling off",
    stack: "prod",
    mutate: (v) => (v.api = { ...v.api, autoscaling: { enabled: false, minReplicas: 1, maxReplicas: 1 } }),
    line: "api.autoscaling.minReplicas: found 1; expected at least 2 to survive the loss of one node (highAvailability is on)",
  },
  {
    name: "a storage class Kubernetes cannot name",
    mutate: (v) => (v.kubernetes.storageClass = "Fast SSD"),
    line: "kubernetes.storageClass: found \"Fast SSD\"; expected a StorageClass name (a DNS-1123 subdomain: lower-case letters, digits, '-' and '.')",
  },
  // issue #16: what the review's bad configs got through
  ...(
    [
      ["critical", "https://hooks.example.com/services/T0KEN"],
      ["warning", "https://hooks.example.com/services/W4RN"],
    ] as const
  ).map(([receiver, url]) => ({
    name: `a ${receiver} webhook URL in plain text`,
    mutate: (v: Values) => (v.monitoring.receivers[receiver] = { kind: "webhook", url }),
    line: `monitoring.receivers.${receiver}.url: found a plain-text value; expected a secret, as it carries a credential: pulumi config set --secret --path 'blacklake:monitoring.receivers.${receiver}.url' <value>`,
  })),
  {
    name: "the SMTP password in plain text",
    mutate: (v) => (v.monitoring.smtp.authPassword = "hunter2"),
    line: "monitoring.smtp.authPassword: found a plain-text value; expected a secret, as it carries a credential: pulumi config set --secret --path 'blacklake:monitoring.smtp.authPassword' <value>",
  },
  {
    name: "one GitHub environment for preview and deploy",
    mutate: (v) => (v.aws.ciAccess.previewEnvironment = "production"),
    line: 'aws.ciAccess.previewEnvironment: found "production"; expected an environment other than deployEnvironment (production): a pull request\'s preview job would get the deploy role',
  },
  {
    name: "CI roles without the account's GitHub OIDC provider",
    mutate: (v) => delete v.aws.ciAccess.oidcProviderArn,
    line: "aws.ciAccess.oidcProviderArn: found nothing; expected the ARN of the account's token.actions.githubusercontent.com OIDC provider: it is made once per account (docs/ci.md), since two stacks declaring it would collide",
  },
  {
    name: "off-site buckets without a break-glass administrator",
    mutate: (v) => (v.aws.offsite.adminPrincipalArns = []),
    line: "aws.offsite.adminPrincipalArns: found a list of 0; expected at least one IAM role ARN: the off-site buckets deny every principal not listed, so name a break-glass administrator role",
  },
  {
    name: "a replica unlocked before pgBackRest lets go of its backups",
    mutate: (v) => (v.aws.offsite.objectLock = { days: 20 }),
    line: "aws.offsite.objectLock.days: found 20; expected at least 31 days: repo2 keeps each full backup and its WAL that long (retention.fullDays plus the longest gap between fulls), and each must stay locked while it is a restore point",
  },
  {
    name: "a lifecycle that would expire versions still locked",
    mutate: (v) => (v.aws.offsite.noncurrentVersionExpirationDays = 30),
    line: "aws.offsite.noncurrentVersionExpirationDays: found 30; expected at least objectLock.days (35): a locked version outlives the lifecycle rule that would expire it",
  },
  {
    name: "a locked primary replicating into an unlocked replica",
    mutate: (v) => (v.aws.offsite.objectLock = { primary: true, replica: false }),
    line: "aws.offsite.objectLock.replica: found false; expected true while objectLock.primary is true: S3 replicates locked objects only into a locked bucket",
  },
  {
    name: "an IRSA issuer of another cluster than its provider",
    mutate: (v) => (v.aws.offsite.writerCredentials.oidcIssuer = "oidc.eks.eu-west-1.amazonaws.com/id/0THERCLUSTER"),
    line: 'aws.offsite.writerCredentials.oidcIssuer: found "oidc.eks.eu-west-1.amazonaws.com/id/0THERCLUSTER"; expected the issuer oidcProviderArn names (oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE): the two must be the same cluster\'s',
  },
  {
    name: "a longer off-site retention than the bucket keeps readable",
    mutate: (v) => (v.postgres.backups.pgbackrest.repos[1].retention.fullDays = 400),
    line: "aws.offsite.transitionToArchiveDays: found 365 (a default or preset); expected more than 401 days: repo2 keeps each full backup and its WAL up to that long (retention.fullDays plus the longest gap between fulls), and a restore cannot read an archived object",
  },
  {
    name: "off-site objects archived the day pgBackRest's retention ends",
    mutate: (v) => (v.aws.offsite = { ...v.aws.offsite, transitionToInfrequentAccessDays: 30, transitionToArchiveDays: 31 }),
    line: "aws.offsite.transitionToArchiveDays: found 31; expected more than 31 days: repo2 keeps each full backup and its WAL up to that long (retention.fullDays plus the longest gap between fulls), and a restore cannot read an archived object",
  },
  {
    name: "an off-site transition to STANDARD_IA S3 refuses",
    mutate: (v) => (v.aws.offsite.transitionToInfrequentAccessDays = 7),
    line: "aws.offsite.transitionToInfrequentAccessDays: found 7; expected at least 30: S3 refuses an earlier transition to STANDARD_IA",
  },
  ...["Data_Bucket", "blacklake-data; rm -rf /", "pgbackrest"].map((bucket) => ({
    name: `a mirrored bucket the platform does not have: ${bucket}`,
    mutate: (v: Values) => (v.minio.mirror.buckets = [bucket]),
    line: `minio.mirror.buckets[0]: found ${JSON.stringify(bucket)}; expected one of "blacklake-data", "blacklake-exports"`,
  })),
  {
    name: "a bucket mirrored twice",
    mutate: (v) => (v.minio.mirror.buckets = ["blacklake-data", "blacklake-data"]),
    line: "minio.mirror.buckets: found a list of 2; expected each bucket once",
  },
  ...(
    [
      ["postgres.instances", (v: Values) => (v.postgres.instances = 30), "30", "an instance count from 1 to 9"],
      ["minio.replicas", (v: Values) => (v.minio.replicas = 64), "64", "a replica count from 1 to 32"],
      ["minio.drivesPerReplica", (v: Values) => (v.minio.drivesPerReplica = 40), "40", "a drive count from 1 to 16"],
      ["redis.replicas", (v: Values) => (v.redis = { replicas: 30 }), "30", "a replica count from 1 to 9"],
      ["keycloak.replicas", (v: Values) => (v.keycloak = { replicas: 20 }), "20", "a replica count from 1 to 10"],
      ["monitoring.alertmanager.replicas", (v: Values) => (v.monitoring.alertmanager = { replicas: 11 }), "11", "a replica count from 1 to 7"],
      ["api.autoscaling.maxReplicas", (v: Values) => (v.api = { autoscaling: { maxReplicas: 1000 } }), "1000", "a replica count from 1 to 100"],
    ] as const
  ).map(([key, mutate, found, expected]) => ({
    name: `${key} past its ceiling`,
    mutate,
    line: `${key}: found ${found}; expected ${expected} (a larger one is more likely a typo than a plan)`,
  })),
  ...(
    [
      ["postgres.storage.size", (v: Values) => (v.postgres.storage.size = "200Ti"), "200Ti"],
      ["minio.storage.size", (v: Values) => (v.minio.storage.size = "500Ti"), "500Ti"],
    ] as const
  ).map(([key, mutate, found]) => ({
    name: `${key} beyond any single volume`,
    mutate,
    line: `${key}: found "${found}"; expected at most 64Ti, the largest single volume the major clouds provision`,
  })),
  {
    name: "a volume's storage class Kubernetes cannot name",
    mutate: (v) => (v.postgres.storage.storageClass = "Fast_SSD"),
    line: "postgres.storage.storageClass: found \"Fast_SSD\"; expected a StorageClass name (a DNS-1123 subdomain: lower-case letters, digits, '-' and '.')",
  },
  {
    name: "a storage class with a space",
    mutate: (v) => (v.kubernetes.storageClass = "fast ssd"),
    line: "kubernetes.storageClass: found \"fast ssd\"; expected a StorageClass name (a DNS-1123 subdomain: lower-case letters, digits, '-' and '.')",
  },
  ...["kube-public", "kube-node-lease"].map((namespace) => ({
    name: `the platform in ${namespace}`,
    mutate: (v: Values) => (v.namespace = namespace),
    line: `namespace: found "${namespace}"; expected a namespace of the platform's own (not default or a kube-* system namespace)`,
  })),
  ...["*", "arn:aws:iam::*:root"].map((arn) => ({
    name: `an off-site admin given as ${arn}`,
    mutate: (v: Values) => (v.aws.offsite.adminPrincipalArns = [arn]),
    line: `aws.offsite.adminPrincipalArns[0]: found "${arn}"; expected an IAM role or user ARN, without wildcards`,
  })),
  {
    name: "prod's queue evicting by frequency",
    mutate: (v) => (v.redis = { ...v.redis, maxmemoryPolicy: "volatile-lfu" }),
    line: 'redis.maxmemoryPolicy: found "volatile-lfu"; expected "noeviction" in prod: an evicting queue loses jobs',
  },
  // unknown keys
  {
    name: "typo at the top level",
    mutate: (v) => (v.postgress = {}),
    line: "postgress: found an unknown key; expected one of the keys environment, target, namespace, domain, highAvailability, kubernetes, tls, ingress, network, images, api, postgres, minio, redis, keycloak, monitoring, aws, imageBuild, local",
  },
  {
    name: "typo in a section",
    mutate: (v) => (v.postgres.replicas = 3),
    line: "postgres.replicas: found an unknown key; expected one of the keys instances, appDatabase, appUser, storage, resources, parameters, archiveTimeoutSeconds, replicationLagAlertSeconds, rpoSeconds, backups",
  },
  {
    name: "typo deep in a list",
    mutate: (v) => (repo0(v).schedules.ful = "0 1 * * *"),
    line: "postgres.backups.pgbackrest.repos[0].schedules.ful: found an unknown key; expected one of the keys full, diff, incr",
  },
  // sizes and quantities
  { name: "zero instances", mutate: (v) => (v.postgres.instances = 0), line: "postgres.instances: found 0; expected an instance count >= 1" },
  { name: "negative replicas", mutate: (v) => (v.minio.replicas = -4), line: "minio.replicas: found -4; expected a replica count >= 1" },
  {
    name: "storage in words",
    mutate: (v) => (v.postgres.storage.size = "10 gigs"),
    line: 'postgres.storage.size: found "10 gigs"; expected a size greater than zero such as "512Mi" or "10Gi" (Ki, Mi, Gi, Ti or k, M, G, T)',
  },
  {
    name: "zero storage",
    mutate: (v) => (v.minio.storage.size = "0Gi"),
    line: 'minio.storage.size: found "0Gi"; expected a size greater than zero such as "512Mi" or "10Gi" (Ki, Mi, Gi, Ti or k, M, G, T)',
  },
  {
    name: "negative storage",
    mutate: (v) => (v.monitoring.prometheus.storage.size = "-5Gi"),
    line: 'monitoring.prometheus.storage.size: found "-5Gi"; expected a size greater than zero such as "512Mi" or "10Gi" (Ki, Mi, Gi, Ti or k, M, G, T)',
  },
  {
    name: "memory in millibytes",
    mutate: (v) => (v.api = { resources: { requests: { cpu: "100m", memory: "128m" }, limits: { cpu: "1", memory: "1Gi" } } }),
    line: 'api.resources.requests.memory: found "128m"; expected a size greater than zero such as "512Mi" or "10Gi" (Ki, Mi, Gi, Ti or k, M, G, T)',
  },
  {
    name: "zero CPU",
    mutate: (v) => (v.api = { resources: { requests: { cpu: "0", memory: "128Mi" }, limits: { cpu: "1", memory: "1Gi" } } }),
    line: 'api.resources.requests.cpu: found "0"; expected a CPU quantity greater than zero such as "250m" or "2"',
  },
  {
    name: "request above limit",
    mutate: (v) => (v.api = { resources: { requests: { cpu: "2", memory: "128Mi" }, limits: { cpu: "1", memory: "1Gi" } } }),
    line: 'api.resources.requests.cpu: found "2"; expected a request no larger than the limit (1)',
  },
  {
    name: "unknown preset",
    mutate: (v) => (v.redis = { resources: "huge" }),
    line: 'redis.resources: found "huge"; expected a preset (nano, small, medium, large) or { requests: { cpu, memory }, limits: { cpu, memory } }',
  },
  {
    name: "PostgreSQL memory in Kubernetes units",
    mutate: (v) => (v.postgres.parameters = { sharedBuffers: "256Mi" }),
    line: 'postgres.parameters.sharedBuffers: found "256Mi"; expected a PostgreSQL size such as "256MB" (units kB, MB, GB, TB)',
  },
  {
    name: "Prometheus retention without unit",
    mutate: (v) => (v.monitoring.prometheus.retention = "15"),
    line: 'monitoring.prometheus.retention: found "15"; expected a Prometheus duration such as "30s", "15d" or "1h30m"',
  },
  // cron schedules
  {
    name: "cron with four fields",
    mutate: (v) => (repo0(v).schedules.full = "0 2 * *"),
    line: 'postgres.backups.pgbackrest.repos[0].schedules.full: found "0 2 * *"; expected a five-field cron schedule such as "0 2 * * *" (this one has 4 fields, a schedule needs 5 (minute hour day-of-month month day-of-week))',
  },
  {
    name: "cron minute out of range",
    mutate: (v) => (repo0(v).schedules.incr = "61 */4 * * *"),
    line: 'postgres.backups.pgbackrest.repos[0].schedules.incr: found "61 */4 * * *"; expected a five-field cron schedule such as "0 2 * * *" (this one minute 61 is outside 0-59)',
  },
  {
    name: "cron hour out of range",
    mutate: (v) => (repo0(v).schedules.full = "0 24 * * *"),
    line: 'postgres.backups.pgbackrest.repos[0].schedules.full: found "0 24 * * *"; expected a five-field cron schedule such as "0 2 * * *" (this one hour 24 is outside 0-23)',
  },
  {
    name: "cron zero step",
    mutate: (v) => (repo0(v).schedules.incr = "0 */0 * * *"),
    line: 'postgres.backups.pgbackrest.repos[0].schedules.incr: found "0 */0 * * *"; expected a five-field cron schedule such as "0 2 * * *" (this one hour step "0" must be a positive number)',
  },
  {
    name: "cron words",
    mutate: (v) => (v.postgres.backups.pgbackrest.restoreDrill = { schedule: "every sunday" }),
    line: 'postgres.backups.pgbackrest.restoreDrill.schedule: found "every sunday"; expected a five-field cron schedule such as "0 2 * * *" (this one has 2 fields, a schedule needs 5 (minute hour day-of-month month day-of-week))',
  },
  // retention vs schedule
  {
    name: "full retention shorter than weekly fulls",
    mutate: (v) => {
      repo0(v).schedules.full = "0 2 * * 0";
      repo0(v).retention.fullDays = 3;
    },
    line: 'postgres.backups.pgbackrest.repos[0].retention.fullDays: found 3; expected at least the longest gap between full backups of "0 2 * * 0" (7.0 days)',
  },
  {
    name: "incremental retention shorter than monthly incrementals",
    mutate: (v) => {
      repo0(v).schedules.incr = "0 3 1 * *";
      repo0(v).retention.incrementalDays = 7;
    },
    line: 'postgres.backups.pgbackrest.repos[0].retention.incrementalDays: found 7; expected at least the longest gap between incremental backups of "0 3 1 * *" (31.0 days)',
  },
  {
    name: "a schedule that never runs",
    mutate: (v) => (repo0(v).schedules.full = "0 2 31 2 *"),
    line: 'postgres.backups.pgbackrest.repos[0].retention.fullDays: found 30; expected at least the longest gap between full backups of "0 2 31 2 *" (forever)',
  },
  {
    name: "incrementals kept longer than their full",
    mutate: (v) => (repo0(v).retention.incrementalDays = 40),
    line: "postgres.backups.pgbackrest.repos[0].retention.incrementalDays: found 40; expected at most fullDays (30): an incremental expires with the full it builds on",
  },
  // replicas vs HA
  {
    name: "single PostgreSQL with HA",
    mutate: (v) => (v.postgres.instances = 1),
    line: "postgres.instances: found 1; expected at least 2 to survive the loss of one node (highAvailability is on)",
  },
  {
    name: "Sentinel with two Redis replicas",
    mutate: (v) => (v.redis = { replicas: 2 }),
    line: "redis.replicas: found 2; expected at least 3 when sentinel.enabled (a quorum of 2)",
  },
  {
    name: "distributed MinIO below four drives",
    mutate: (v) => (v.minio.replicas = 2),
    line: "minio.replicas: found 2; expected replicas x drivesPerReplica >= 4 for distributed erasure coding (drivesPerReplica is 1)",
  },
  {
    name: "standalone MinIO with HA",
    mutate: (v) => (v.minio = { mode: "standalone", replicas: 1 }),
    line: 'minio.mode: found "standalone"; expected "distributed" to survive the loss of one node (highAvailability is on)',
  },
  {
    name: "one Alertmanager with HA",
    mutate: (v) => (v.monitoring.alertmanager = { replicas: 1 }),
    line: "monitoring.alertmanager.replicas: found 1; expected at least 2 to survive the loss of one node (highAvailability is on)",
  },
  {
    name: "API HPA min 1 with HA",
    mutate: (v) => (v.api = { autoscaling: { minReplicas: 1 } }),
    line: "api.autoscaling.minReplicas: found 1; expected at least 2 to survive the loss of one node (highAvailability is on)",
  },
  {
    name: "HPA min above max",
    stack: "staging",
    mutate: (v) => (v.api.autoscaling = { minReplicas: 8, maxReplicas: 6 }),
    line: "api.autoscaling.minReplicas: found 8; expected at most maxReplicas (6)",
  },
  // prod with what the policy pack forbids
  { name: "prod without HA", mutate: (v) => (v.highAvailability = false), line: "highAvailability: found false; expected true in prod" },
  {
    name: "prod with the MinIO console",
    mutate: (v) => (v.minio.console = { enabled: true }),
    line: "minio.console.enabled: found true; expected false in prod (the console is an admin surface)",
  },
  {
    name: "prod with anonymous Grafana",
    mutate: (v) => (v.monitoring.grafana = { anonymousAccess: true }),
    line: "monitoring.grafana.anonymousAccess: found true; expected false in prod",
  },
  {
    name: "prod paging nobody",
    mutate: (v) => (v.monitoring.receivers.critical = { kind: "none" }),
    line: 'monitoring.receivers.critical.kind: found "none"; expected "webhook" or "email" in prod: critical alerts must page someone',
  },
  {
    name: "prod without backups",
    mutate: (v) => (v.postgres.backups.pgbackrest.repos = []),
    line: "postgres.backups.pgbackrest.repos: found a list of 0; expected at least one backup repository in prod",
  },
  {
    name: "prod without restore drills",
    mutate: (v) => (v.postgres.backups.pgbackrest.restoreDrill = { enabled: false }),
    line: "postgres.backups.pgbackrest.restoreDrill.enabled: found false; expected true in prod: untested backups are not backups",
  },
  {
    name: "prod archive timeout beyond the RPO",
    mutate: (v) => (v.postgres.archiveTimeoutSeconds = 1800),
    line: "postgres.archiveTimeoutSeconds: found 1800; expected less than rpoSeconds (300): a WAL segment may wait this long before it is archived",
  },
  {
    name: "mirror schedule slower than the object store's RPO",
    mutate: (v) => (v.minio.mirror.schedule = "0 */2 * * *"),
    line: 'minio.mirror.schedule: found "0 */2 * * *"; expected a schedule that runs at least every 60 minutes (rpoSeconds); this one can leave 120 minutes between runs',
  },
  {
    name: "prod RPO beyond the operations guide's",
    mutate: (v) => (v.postgres.rpoSeconds = 3600),
    line: "postgres.rpoSeconds: found 3600; expected at most 900 in prod (the operations guide's database RPO is 15 minutes)",
  },
  // other cross-field and format rules
  {
    name: "off-site repo without off-site bucket",
    mutate: (v) => (v.aws.offsite.enabled = false),
    line: 'postgres.backups.pgbackrest.repos[1].storage: found "aws"; expected "minio" while aws.offsite.enabled is false',
  },
  {
    name: "duplicate repo names",
    mutate: (v) => (v.postgres.backups.pgbackrest.repos[1].name = "repo1"),
    line: 'postgres.backups.pgbackrest.repos[1].name: found "repo1"; expected "repo2": a repository\'s name is its pgBackRest index, its place in this list (repo1 first)',
  },
  // The name and the place in the list once disagreed: MinIO's key went to one, pgBackRest's index to the other.
  {
    name: "repo names that contradict their place",
    mutate: (v) => {
      const [first, second] = v.postgres.backups.pgbackrest.repos;
      v.postgres.backups.pgbackrest.repos = [
        { ...first, name: "repo2" },
        { ...second, name: "repo1" },
      ];
    },
    line: 'postgres.backups.pgbackrest.repos[0].name: found "repo2"; expected "repo1": a repository\'s name is its pgBackRest index, its place in this list (repo1 first)',
  },
  {
    name: "two repositories in one store",
    mutate: (v) => (v.postgres.backups.pgbackrest.repos[1].storage = "minio"),
    line: 'postgres.backups.pgbackrest.repos[1].storage: found "minio"; expected a storage no other repository uses (minio is taken)',
  },
  {
    name: "repo name outside PGO's range",
    mutate: (v) => (repo0(v).name = "primary"),
    line: 'postgres.backups.pgbackrest.repos[0].name: found "primary"; expected repo1, repo2, repo3 or repo4',
  },
  {
    name: "lifecycle out of order",
    mutate: (v) => (v.aws.offsite.transitionToArchiveDays = 60),
    line: "aws.offsite.transitionToArchiveDays: found 60; expected more than transitionToInfrequentAccessDays (90)",
  },
  {
    name: "replica in the same region",
    mutate: (v) => (v.aws.offsite.replicaRegion = "eu-west-1"),
    line: 'aws.offsite.replicaRegion: found "eu-west-1"; expected a region other than eu-west-1',
  },
  { name: "malformed region", mutate: (v) => (v.aws.offsite.region = "Ireland"), line: 'aws.offsite.region: found "Ireland"; expected an AWS region such as "eu-west-1"' },
  {
    name: "image on latest",
    mutate: (v) => (v.images = { redis: "redis:latest" }),
    line: 'images.redis: found "redis:latest"; expected a pinned image "repository:exact-tag" or "repository@sha256:<digest>" (this one uses the moving tag "latest")',
  },
  {
    name: "untagged image",
    mutate: (v) => (v.images = { grafana: "grafana/grafana" }),
    line: 'images.grafana: found "grafana/grafana"; expected a pinned image "repository:exact-tag" or "repository@sha256:<digest>" (this one has neither a tag nor a digest)',
  },
  {
    name: "namespace not a DNS label",
    mutate: (v) => (v.namespace = "BlackLake_Prod"),
    line: "namespace: found \"BlackLake_Prod\"; expected a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters)",
  },
  { name: "domain with a space", mutate: (v) => (v.domain = "black lake.com"), line: 'domain: found "black lake.com"; expected a DNS name such as data.example.com' },
  {
    name: "e-mail receivers without a mail relay",
    mutate: (v) => delete v.monitoring.smtp,
    line: "monitoring.smtp: found nothing; expected { smarthost, from } because receivers.critical and receivers.warning send e-mail",
  },
  {
    name: "a mail relay without a port",
    mutate: (v) => (v.monitoring.smtp.smarthost = "smtp.example.com"),
    line: 'monitoring.smtp.smarthost: found "smtp.example.com"; expected "host:port" such as "smtp.example.com:587"',
  },
  {
    name: "unknown receiver kind",
    mutate: (v) => (v.monitoring.receivers.warning = { kind: "pager" }),
    line: 'monitoring.receivers.warning.kind: found "pager"; expected a receiver { kind: "webhook", url } or { kind: "email", to } or { kind: "none" }',
  },
  {
    name: "webhook over plain http, value kept secret",
    mutate: (v) => (v.monitoring.receivers.critical = { kind: "webhook", url: "http://hooks.example.com/T0KEN" }),
    line: "monitoring.receivers.critical.url: found [secret]; expected an https:// URL",
  },
  {
    name: "redis maxmemory leaves no headroom under the memory limit",
    mutate: (v) => (v.redis = { maxmemory: "900mb" }),
    line: 'redis.maxmemory: found "900mb"; expected at most 768mb, 75% of resources.limits.memory (1Gi): the rest is headroom for AOF rewrites and buffers',
  },
  {
    name: "redis maxmemory equal to a small limit",
    mutate: (v) => (v.redis = { maxmemory: "256mb", resources: "small" }),
    line: 'redis.maxmemory: found "256mb"; expected at most 192mb, 75% of resources.limits.memory (256Mi): the rest is headroom for AOF rewrites and buffers',
  },
  // sizing against the memory limit and the volume
  {
    name: "shared_buffers as large as the memory limit (dev's 256Mi)",
    stack: "dev",
    mutate: (v) => (v.postgres.parameters.sharedBuffers = "256MB"),
    line: 'postgres.parameters.sharedBuffers: found "256MB"; expected at most 102MB, 40% of resources.limits.memory (256Mi): the backends, their work_mem and the page cache need the rest',
  },
  {
    name: "effective_cache_size beyond the memory limit, from the default",
    mutate: (v) => (v.postgres.resources = "small"),
    line: 'postgres.parameters.effectiveCacheSize: found "1GB" (a default or preset); expected at most 192MB, 75% of resources.limits.memory (256Mi): the planner would count on a cache the container cannot hold',
  },
  {
    name: "Keycloak at 1Gi (its heap too small for Keycloak 26)",
    mutate: (v) => (v.keycloak = { resources: "medium" }),
    line: 'keycloak.resources.limits.memory: found "1Gi" (a default or preset); expected at least 1295Mi: the heap is 70% of the limit and must hold the 950 MB Keycloak needs beside its ~300 MB off the heap',
  },
  {
    name: "Keycloak requesting less than it uses idle",
    mutate: (v) => (v.keycloak = { resources: { requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: "2", memory: "2Gi" } } }),
    line: 'keycloak.resources.requests.memory: found "512Mi"; expected at least 1193Mi: Keycloak 26 uses about 1250 MB with its realm caches, and a smaller request lets the scheduler place it where that does not fit',
  },
  {
    name: "Prometheus retention size as large as its volume",
    mutate: (v) => (v.monitoring.prometheus.retentionSize = "100GB"),
    line: 'monitoring.prometheus.retentionSize: found "100GB"; expected at most 85GB, 85% of prometheus.storage.size (100Gi): compaction and the WAL need the rest',
  },
  // certificates and ingress
  {
    name: "a certificate renewed only after it expires",
    mutate: (v) => (v.tls = { durationDays: 30, renewBeforeDays: 30 }),
    line: "tls.renewBeforeDays: found 30; expected less than durationDays (30): a certificate must live before it is renewed",
  },
  {
    name: "an issuer kind cert-manager does not have",
    mutate: (v) => (v.tls = { issuer: { kind: "CertificateAuthority", name: "ca" } }),
    line: 'tls.issuer.kind: found "CertificateAuthority"; expected one of "ClusterIssuer", "Issuer"',
  },
  {
    name: "an IngressClass name that is not a DNS label",
    mutate: (v) => (v.ingress = { className: "Nginx Public" }),
    line: "ingress.className: found \"Nginx Public\"; expected a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters)",
  },
  {
    name: "unknown eviction policy",
    mutate: (v) => (v.redis = { maxmemoryPolicy: "lru" }),
    line: 'redis.maxmemoryPolicy: found "lru"; expected one of "noeviction", "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu"',
  },
];

/** Each case as a stack file in `dir` (the case's stack with its mutation), with its line. */
export function writeBadStackFiles(dir: string): (BadCase & { stack: StackName; file: string })[] {
  return badCases.map((c, i) => {
    const stack = c.stack ?? "prod";
    const file = path.join(dir, `Pulumi.bad-${String(i).padStart(2, "0")}.yaml`);
    const values = structuredClone(stackConfig(stack).values) as Values;
    c.mutate(values);
    fs.writeFileSync(file, stringify({ config: Object.fromEntries(Object.entries(values).map(([k, v]) => [`${PROJECT}:${k}`, v])) }));
    return { ...c, stack, file };
  });
}

/**
 * What the engine hands the program for a stack file: each top-level value as text (an
 * object as JSON), its scalars read as the Pulumi CLI reads them. The engine tier checks
 * this reading against the real CLI's on every case's file.
 */
export function engineView(file: string): Record<string, string> {
  const config = (parseStackYaml(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> }).config;
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key.slice(PROJECT.length + 1), engineText(value)]));
}
