import { stringify } from "yaml";
import { pgbackrestExporterPort } from "../../components/postgres/containers";
import { STANZA } from "../../components/postgres/files";
import { pgbackrestJob } from "../../components/postgres/mixin";
import type { AlertRule, MonitoringMixin } from "../../components/lib/mixin";
import { loadRecordings } from "./exporterCoverage";
import { allAlerts, renderedAnnotations, renderedLabels, ruleFileName, type RuleFileOptions } from "../../components/monitoring/render";

// promtool unit tests for every alert of every mixin: a firing case and a quiet case, as
// input series (promtool's expanding notation, one sample per `interval`) and an eval
// time. Cases are written for the namespace CASE_NAMESPACE; renderPromtoolTests moves
// them into the namespace of the stack whose rules they test.
//
// promtool compares an alert's labels AND annotations exactly. The expected annotations
// are rendered by the same function as the rule files (renderedAnnotations), then their
// templates are expanded here with the labels and the value the case expects
// (expandTemplate implements the subset of Prometheus' template functions the mixins
// use). So each firing case states the alert's labels and $value: a wrong value fails.
// Over 300 lines because it is a table, one firing and one quiet case per alert, which
// reads best in one place.

export interface InputSeries {
  series: string;
  values: string;
}

export interface ExpectedAlert {
  /** Labels of the alert's series (the rule's own labels are added). */
  labels: Record<string, string>;
  /** The alert's $value, for its annotations. */
  value: number;
}

/** A case, or a case per rule where one alert name has a rule per repository (its `repo` label). */
export type AlertCases = AlertCase | ((rule: AlertRule) => AlertCase);

/** The case for one rule. */
export const caseFor = (cases: AlertCases, rule: AlertRule): AlertCase => (typeof cases === "function" ? cases(rule) : cases);

/** promtool test names: the alert's, with its repository where it has a rule per repository. */
export const caseName = (rule: AlertRule, kind: "fires" | "stays quiet") => `${rule.alert}${rule.labels.repo ? ` (${rule.labels.repo})` : ""} ${kind}`;

export interface AlertCase {
  /** Sample spacing of the input series; default 1m. */
  interval?: string;
  firing: { series: InputSeries[]; at: string; alerts: ExpectedAlert[] };
  quiet: { series: InputSeries[]; at: string };
  /** More situations in which the alert must stay quiet (idle traffic, replicas reporting the same key), each with why. */
  alsoQuiet?: { why: string; series: InputSeries[]; at: string }[];
}

/** The namespace the cases are written for. */
export const CASE_NAMESPACE = "blacklake";
const NS = CASE_NAMESPACE;

// --- series helpers ------------------------------------------------------------------

const sel = (labels: Record<string, string>) =>
  `{${Object.entries({ namespace: NS, ...labels })
    .map(([k, v]) => `${k}="${v}"`)
    .join(", ")}}`;
/** A series: name{namespace="blacklake", ...labels} with the given values. */
const s = (name: string, labels: Record<string, string>, values: string): InputSeries => ({ series: `${name}${sel(labels)}`, values });
/** A constant over n samples. */
const gauge = (v: number, n = 300) => `${v}x${n}`;
/** A counter from 0 that grows by step each sample. */
const counter = (step: number, n = 300) => `0+${step}x${n}`;

const ns = { namespace: NS };

/** A gauge alert on one series: fires at `bad`, quiet at `good`. */
function gaugeCase(name: string, labels: Record<string, string>, bad: number, good: number, at = "30m"): AlertCase {
  return {
    firing: { series: [s(name, labels, gauge(bad))], at, alerts: [{ labels: { ...ns, ...labels }, value: bad }] },
    quiet: { series: [s(name, labels, gauge(good))], at },
  };
}

/**
 * A CronJob whose run 29100000 (started at t=1000 s) failed. Firing: its last success was
 * before that (t=500 s). Quiet: a later run succeeded (t=2000 s) while the failed Job is
 * still kept for inspection, which must not keep the alert firing.
 */
function latestRunFailedCase(cronJob: string): AlertCase {
  const failedRun = [
    s("kube_job_status_start_time", { ...ksm, job_name: `${cronJob}-29100000` }, gauge(1000, 30)),
    s("kube_job_status_failed", { ...ksm, job_name: `${cronJob}-29100000` }, gauge(1, 30)),
    s("kube_job_status_start_time", { ...ksm, job_name: `${cronJob}-29099000` }, gauge(400, 30)),
    s("kube_job_status_failed", { ...ksm, job_name: `${cronJob}-29099000` }, gauge(0, 30)),
  ];
  const lastSuccess = (t: number) => s("kube_cronjob_status_last_successful_time", { ...ksm, cronjob: cronJob }, gauge(t, 30));
  return {
    firing: { series: [...failedRun, lastSuccess(500)], at: "5m", alerts: [{ labels: { ...ns }, value: 1000 }] },
    quiet: { series: [...failedRun, lastSuccess(2000)], at: "5m" },
  };
}

/**
 * A gauge alert "<metric> > N", N read from the rule (stacks set their own): fires at N + 1,
 * quiet at N itself, the highest value that must not fire.
 */
function aboveThresholdCase(name: string, labels: Record<string, string>): (rule: AlertRule) => AlertCase {
  return (rule) => {
    const limit = Number(/ > (\d+(?:\.\d+)?)$/.exec(rule.expr)?.[1]);
    if (!Number.isFinite(limit)) throw new Error(`${rule.alert}: expected an expression ending in "> N": ${rule.expr}`);
    return gaugeCase(name, labels, limit + 1, limit);
  };
}

/** A ratio of two gauges (same labels): fires at bad/den, quiet at good/den. */
function ratioCase(
  num: string,
  den: string,
  labels: Record<string, string>,
  values: { bad: number; good: number; den: number },
  alertLabels: Record<string, string>,
  at = "30m",
): AlertCase {
  const series = (n: number) => [s(num, labels, gauge(n)), s(den, labels, gauge(values.den))];
  return {
    firing: { series: series(values.bad), at, alerts: [{ labels: { ...ns, ...alertLabels }, value: values.bad / values.den }] },
    quiet: { series: series(values.good), at },
  };
}

const pg = { job: "postgres", instance: "postgres-0" };
const ksm = { job: "kube-state-metrics" };
/** Our custom queries' series: postgres_exporter adds the server it asked (the pod's exporter asks localhost). */
const pgQuery = { ...pg, server: "localhost:5432" };
/** A custom query's series of one database. */
const pgDb = { ...pgQuery, datname: "blacklake" };
/** redis_exporter's --check-keys series carry the database. */
const redisKey = (key: string) => ({ ...redis, db: "db0", key });
const redis = { job: "redis", instance: "redis-0" };
const api = { job: "api", pod: "api-0" };
const pvc = { job: "kubelet", persistentvolumeclaim: "data-postgres-0" };
const ctr = { pod: "postgres-0", container: "postgres" };

/** Requests of the API: `bad` of every `total` per minute answer 500. */
const requests = (bad: number, total: number, n = 300) => [
  s("http_requests_total", { ...api, code: "500" }, counter(bad, n)),
  s("http_requests_total", { ...api, code: "200" }, counter(total - bad, n)),
];

/** Latency histogram: per minute, `fast` requests within 0.5 s, `mid` within 1 s, `slow` within 2.5 s. */
const latency = (fast: number, mid: number, slow: number, n = 300) => {
  const b = (le: string, v: number) => s("http_request_duration_seconds_bucket", { ...api, le }, counter(v, n));
  return [
    b("0.5", fast),
    b("1", fast + mid),
    b("2.5", fast + mid + slow),
    b("+Inf", fast + mid + slow),
    s("http_request_duration_seconds_count", api, counter(fast + mid + slow, n)),
  ];
};

/** Restore drill Jobs as kube-state-metrics reports them: run id -> [start, completion] (Unix seconds). */
function drillRuns(runs: Record<string, [number, number]>): InputSeries[] {
  return Object.entries(runs).flatMap(([id, [start, done]]) => [
    s("kube_job_status_start_time", { ...ksm, job_name: `postgres-restore-drill-${id}` }, gauge(start, 30)),
    s("kube_job_status_completion_time", { ...ksm, job_name: `postgres-restore-drill-${id}` }, gauge(done, 30)),
  ]);
}

/** The same series from the exporter of each of three pods (a primary and two replicas). */
function onEveryReplica(name: string, labels: Record<string, string>, values: string): InputSeries[] {
  return [0, 1, 2].map((i) => s(name, { ...labels, instance: `redis-${i}`, pod: `redis-${i}` }, values));
}

let recordings: ReturnType<typeof loadRecordings> | undefined;

/**
 * The labels of a series the real server produced (test/fixtures/metrics/<source>.txt, or
 * for an exporter that cannot run here its transcribed contract), the first whose labels
 * include `where`: a case built on it feeds what the real thing says.
 */
function recorded(source: string, metric: string, where: Record<string, string> = {}): Record<string, string> {
  recordings ??= loadRecordings();
  const found = recordings[source]?.find((x) => x.name === metric && Object.entries(where).every(([k, v]) => x.labels[k] === v));
  if (!found) throw new Error(`test/fixtures/metrics/${source}.txt has no ${metric} with ${JSON.stringify(where)}: re-record (npm run fixtures:metrics)`);
  return found.labels;
}

/**
 * A container series of kube-state-metrics with its recorded labels (uid, node, unit ...),
 * for the container `which` (default: ctr); `where` picks the recorded series.
 */
function ksmContainer(metric: string, where: Record<string, string>, which: { pod: string; container: string } = ctr): Record<string, string> {
  const { namespace: _, ...labels } = recorded("kube-state-metrics", metric, where);
  return { job: "kube-state-metrics", ...labels, ...which };
}

/** One node's S3 GetObject series, with the recorded labels. */
const minioNodeApi = (() => {
  const { server: _, ...labels } = recorded("minio-node", "minio_s3_requests_total", { api: "getobject" });
  return { job: "minio-node", instance: "10.0.4.0:9000", pod: "minio-0", ...labels, server: `minio-0.minio-pods.${NS}.svc:9000` };
})();

/** A cluster metric of MinIO as each of its four nodes reports it (the recorded labels, that node's `server`). */
function minioClusterView(metric: string, values: number[]): InputSeries[] {
  const labels = recorded("minio-cluster", metric);
  return values.map((v, i) => s(metric, { job: "minio", instance: `10.0.4.${i}:9000`, pod: `minio-${i}`, ...labels, server: `minio-${i}.minio-pods.${NS}.svc:9000` }, gauge(v)));
}

/** A Prometheus or Alertmanager replica, as its self-scrape labels it. */
const promPod = (i: number) => ({ job: "prometheus", pod: `prometheus-${i}`, instance: `10.0.1.${i}:9090` });
const amPod = { job: "alertmanager", pod: "alertmanager-0", instance: "10.0.2.1:9093" };

/** Prometheus sending to two Alertmanagers: per minute, `failed[i]` of `sent` alerts to the i-th fail. */
function alertSends(failed: [number, number], sent = 10): InputSeries[] {
  const urls = [0, 1].map((i) =>
    recorded("prometheus", "prometheus_notifications_sent_total").alertmanager!.replace(/\/\/[^/]+\//, `//alertmanager-${i}.alertmanager-pods.${NS}.svc:9093/`),
  );
  return urls.flatMap((alertmanager, i) => [
    s("prometheus_notifications_sent_total", { ...promPod(0), alertmanager }, counter(sent)),
    s("prometheus_notifications_errors_total", { ...promPod(0), alertmanager }, counter(failed[i]!)),
  ]);
}

/** Alertmanager's webhook notifications: `failed` of `total` per minute fail (reason "other"). */
function notifications(failed: number, total: number): InputSeries[] {
  const failedLabels = recorded("alertmanager", "alertmanager_notifications_failed_total", { integration: "webhook", reason: "other" });
  return [
    s("alertmanager_notifications_total", { ...amPod, ...recorded("alertmanager", "alertmanager_notifications_total", { integration: "webhook" }) }, counter(total)),
    s("alertmanager_notifications_failed_total", { ...amPod, ...failedLabels }, counter(failed)),
  ];
}

/** An SLO alert: fires on `bad`, quiet just below on `good` and when the API is idle (`idle`: no requests at all). */
function burnCase(bad: InputSeries[], good: InputSeries[], value: number, at: string, idle: InputSeries[]): AlertCase {
  return { firing: { series: bad, at, alerts: [{ labels: ns, value }] }, quiet: { series: good, at }, alsoQuiet: [{ why: "idle: no requests", series: idle, at }] };
}

/** No API requests at all: every counter flat. */
const noRequests = () => requests(0, 0);
const noLatency = () => latency(0, 0, 0);

// --- the cases ------------------------------------------------------------------------

export const ALERT_TESTS: Record<string, AlertCases> = {
  // postgres
  PostgresDown: gaugeCase("pg_up", pg, 0, 1, "5m"),
  PostgresConnectionsHigh: ratioCase("blacklake_connections_used", "blacklake_connections_max", pgQuery, { bad: 90, good: 79, den: 100 }, pgQuery),
  PostgresCacheHitRatioLow: {
    // Per minute: 9000 blocks from shared buffers, 1000 from disk (166 blocks/s).
    firing: {
      series: [s("blacklake_cache_hit", pgDb, counter(9000)), s("blacklake_cache_read", pgDb, counter(1000))],
      at: "40m",
      alerts: [{ labels: { ...ns, instance: pg.instance }, value: 0.9 }],
    },
    // 96%: just above the 95% it warns below.
    quiet: { series: [s("blacklake_cache_hit", pgDb, counter(9600)), s("blacklake_cache_read", pgDb, counter(400))], at: "40m" },
    alsoQuiet: [
      { why: "idle: no block reads", series: [s("blacklake_cache_hit", pgDb, gauge(5000)), s("blacklake_cache_read", pgDb, gauge(500))], at: "40m" },
      // 90 and 10 a minute: a 90% ratio over 1.7 blocks per second.
      { why: "tiny traffic", series: [s("blacklake_cache_hit", pgDb, counter(90)), s("blacklake_cache_read", pgDb, counter(10))], at: "40m" },
    ],
  },

  PostgresReplicationLagHigh: aboveThresholdCase("blacklake_replication_lag_seconds", pgQuery),
  PostgresLongRunningTransaction: aboveThresholdCase("blacklake_longest_transaction_seconds", pgQuery),
  PostgresLockWaits: aboveThresholdCase("blacklake_lock_waits_waiting", pgQuery),
  PostgresDatabaseGrowth: {
    // 3e7 bytes per 10 minutes: 4.32e9 in 24 h.
    interval: "10m",
    firing: {
      series: [s("blacklake_database_size_bytes", { ...pgQuery, datname: "app" }, counter(30_000_000, 200))],
      at: "26h",
      alerts: [{ labels: { ...ns, ...pgQuery, datname: "app" }, value: 144 * 30_000_000 }],
    },
    // 7e6 bytes per 10 minutes: 1.008e9 in 24 h, just below 1 GiB.
    quiet: { series: [s("blacklake_database_size_bytes", { ...pgQuery, datname: "app" }, counter(7_000_000, 200))], at: "26h" },
  },
  // The default RPO (900 s) less archive_timeout (60 s): fires past 840 s of waiting WAL.
  PostgresWalArchiveBehindRpo: (rule) => {
    const limit = Number(/> (\d+)$/.exec(rule.expr)?.[1]);
    return {
      firing: { series: [s("blacklake_archiver_oldest_pending_seconds", pgQuery, gauge(limit + 60))], at: "10m", alerts: [{ labels: { ...ns, ...pgQuery }, value: limit + 60 }] },
      quiet: { series: [s("blacklake_archiver_oldest_pending_seconds", pgQuery, gauge(limit - 60))], at: "10m" },
      alsoQuiet: [{ why: "nothing waiting", series: [s("blacklake_archiver_oldest_pending_seconds", pgQuery, gauge(0))], at: "10m" }],
    };
  },
  PostgresWalArchivingFailing: {
    firing: { series: [s("blacklake_archiver_failed", pgQuery, counter(1))], at: "20m", alerts: [{ labels: { ...ns, ...pgQuery }, value: 10 }] },
    quiet: { series: [s("blacklake_archiver_failed", pgQuery, gauge(5))], at: "20m" },
  },
  // Default schedules: full daily at 02:00 (allows 26 h), incr every 4 h (allows 6 h).
  PgBackRestFullBackupTooOld: backupCase("full", 200_000),
  PgBackRestIncrBackupTooOld: backupCase("incr", 30_000),
  PgBackRestBackupsNotReported: backupsNotReportedCase,
  PostgresRestoreDrillFailed: latestRunFailedCase("postgres-restore-drill"),
  // The latest drill (started at t=20000) took 15000 s, past the 4-hour RTO; an older one took 2 h.
  PostgresRestoreDrillTooSlow: {
    firing: {
      series: drillRuns({ "29100000": [1000, 8200], "29200000": [20_000, 35_000] }),
      at: "10m",
      alerts: [{ labels: { ...ns, job_name: "postgres-restore-drill-29200000" }, value: 15_000 }],
    },
    // The latest took 14000 s, just inside the 4-hour RTO.
    quiet: { series: drillRuns({ "29100000": [1000, 8200], "29200000": [20_000, 34_000] }), at: "10m" },
    // An older run that was slow does not count once a later one was quick.
    alsoQuiet: [{ why: "only an older run was slow", series: drillRuns({ "29100000": [1000, 19_000], "29200000": [20_000, 23_600] }), at: "10m" }],
  },
  PostgresRestoreDrillMissing: {
    // The test clock starts at the epoch: at 2h, time() = 7200.
    firing: {
      series: [s("kube_cronjob_status_last_successful_time", { job: "kube-state-metrics", cronjob: "postgres-restore-drill" }, gauge(-800_000))],
      at: "2h",
      alerts: [{ labels: { ...ns, job: "kube-state-metrics", cronjob: "postgres-restore-drill" }, value: 807_200 }],
    },
    // An hour inside the 8 days.
    quiet: { series: [s("kube_cronjob_status_last_successful_time", { job: "kube-state-metrics", cronjob: "postgres-restore-drill" }, gauge(7200 - 8 * 86400 + 3600))], at: "2h" },
  },

  ObjectStorageMirrorFailed: latestRunFailedCase("minio-mirror"),
  ObjectStorageMirrorStale: {
    // The test clock starts at the epoch: at 3h, time() = 10800. The last success 90
    // minutes ago is 30 past the 1-hour RPO (the old 2-hour threshold stayed quiet here).
    firing: {
      series: [s("kube_cronjob_status_last_successful_time", { job: "kube-state-metrics", cronjob: "minio-mirror" }, gauge(5_400))],
      at: "3h",
      alerts: [{ labels: { ...ns, job: "kube-state-metrics", cronjob: "minio-mirror" }, value: 5_400 }],
    },
    // 59 minutes ago: just inside the RPO.
    quiet: { series: [s("kube_cronjob_status_last_successful_time", { job: "kube-state-metrics", cronjob: "minio-mirror" }, gauge(10_800 - 3_540))], at: "3h" },
  },

  // redis
  RedisDown: gaugeCase("redis_up", redis, 0, 1, "5m"),
  RedisMemoryNearLimit: ratioCase("redis_memory_used_bytes", "redis_memory_max_bytes", redis, { bad: 95, good: 89, den: 100 }, redis),
  JobQueueDepthHigh: {
    firing: { series: [s("redis_key_size", redisKey("queue:ingest"), gauge(150))], at: "30m", alerts: [{ labels: ns, value: 150 }] },
    quiet: { series: [s("redis_key_size", redisKey("queue:ingest"), gauge(100))], at: "30m" },
    // The primary's and two replicas' exporters each report the same 40 jobs: 40, not 120.
    alsoQuiet: [{ why: "three exporters report the same 40 jobs", series: onEveryReplica("redis_key_size", redisKey("queue:ingest"), gauge(40)), at: "30m" }],
  },
  DeadLetterQueueNotEmpty: {
    firing: { series: [s("redis_key_size", redisKey("dlq:ingest"), gauge(3))], at: "30m", alerts: [{ labels: ns, value: 3 }] },
    quiet: { series: [s("redis_key_size", redisKey("dlq:ingest"), gauge(0)), s("redis_key_size", redisKey("queue:ingest"), gauge(40))], at: "30m" },
  },
  RedisCacheHitRatioLow: {
    // Per minute: 700 hits and 300 misses (1000 lookups a minute, above 1/s).
    firing: {
      series: [s("redis_keyspace_hits_total", redis, counter(700)), s("redis_keyspace_misses_total", redis, counter(300))],
      at: "40m",
      alerts: [{ labels: ns, value: 0.7 }],
    },
    quiet: { series: [s("redis_keyspace_hits_total", redis, counter(810)), s("redis_keyspace_misses_total", redis, counter(190))], at: "40m" },
    alsoQuiet: [
      { why: "idle: no lookups", series: [s("redis_keyspace_hits_total", redis, gauge(1000)), s("redis_keyspace_misses_total", redis, gauge(10))], at: "40m" },
      // 7 hits and 3 misses a minute: a 70% ratio over a sixth of a lookup per second.
      { why: "tiny traffic", series: [s("redis_keyspace_hits_total", redis, counter(7)), s("redis_keyspace_misses_total", redis, counter(3))], at: "40m" },
    ],
  },

  // minio
  MinioTargetDown: gaugeCase("up", { job: "minio-node", instance: "10.0.0.7:9000" }, 0, 1, "5m"),
  // Every MinIO node reports the cluster's view, each with its `server`: one alert, at the largest.
  MinioNodeDown: {
    firing: { series: minioClusterView("minio_cluster_nodes_offline_total", [1, 1, 0, 1]), at: "5m", alerts: [{ labels: ns, value: 1 }] },
    quiet: { series: minioClusterView("minio_cluster_nodes_offline_total", [0, 0, 0, 0]), at: "5m" },
  },
  MinioDriveOffline: {
    firing: { series: minioClusterView("minio_cluster_drive_offline_total", [2, 2, 1, 2]), at: "5m", alerts: [{ labels: ns, value: 2 }] },
    quiet: { series: minioClusterView("minio_cluster_drive_offline_total", [0, 0, 0, 0]), at: "5m" },
  },
  MinioDiskUsageHigh: minioDiskCase(15, 21),
  MinioDiskUsageCritical: minioDiskCase(5, 11),
  // minio_s3_requests_total's recorded labels (api, server); MinIO makes the 5xx counter with the same ones.
  MinioS3ErrorsHigh: {
    firing: {
      series: [s("minio_s3_requests_5xx_errors_total", minioNodeApi, counter(10)), s("minio_s3_requests_total", minioNodeApi, counter(100))],
      at: "30m",
      alerts: [{ labels: ns, value: 0.1 }],
    },
    quiet: {
      series: [s("minio_s3_requests_5xx_errors_total", minioNodeApi, counter(4.9)), s("minio_s3_requests_total", minioNodeApi, counter(100))],
      at: "30m",
    },
    alsoQuiet: [
      {
        why: "idle: no requests",
        series: [s("minio_s3_requests_5xx_errors_total", minioNodeApi, gauge(3)), s("minio_s3_requests_total", minioNodeApi, gauge(500))],
        at: "30m",
      },
    ],
  },

  // keycloak
  KeycloakDown: gaugeCase("up", { job: "keycloak", instance: "10.0.0.9:9000" }, 0, 1, "5m"),
  KeycloakAuthenticationFailuresCritical: authCase(60, 49),
  KeycloakAuthenticationFailuresHigh: authCase(20, 9),

  // platform
  ServiceDown: {
    ...gaugeCase("up", { job: "api", instance: "10.0.0.3:8080" }, 0, 1, "5m"),
    // Keycloak's target has KeycloakDown (with its runbook): one outage pages once.
    alsoQuiet: [{ why: "a target whose mixin has its own down alert", series: [s("up", { job: "keycloak", instance: "10.0.0.7:9000" }, gauge(0))], at: "5m" }],
  },
  // monitoring itself (label sets from the real Prometheus 3.4.1 and Alertmanager 0.28.1)
  PrometheusRuleEvaluationFailures: (() => {
    const group = recorded("prometheus", "prometheus_rule_evaluation_failures_total", { rule_group: "/etc/prometheus/rules/postgres.rules.yml;postgres.backups" });
    const failures = (step: number) => [s("prometheus_rule_evaluation_failures_total", { ...promPod(0), ...group }, counter(step))];
    // Two failed evaluations a minute: 10 in 5 minutes.
    return {
      firing: { series: failures(2), at: "30m", alerts: [{ labels: { ...ns, pod: "prometheus-0", ...group }, value: 10 }] },
      quiet: { series: failures(0), at: "30m" },
    };
  })(),
  PrometheusConfigReloadFailed: gaugeCase(
    "prometheus_config_last_reload_successful",
    { ...promPod(0), ...recorded("prometheus", "prometheus_config_last_reload_successful") },
    0,
    1,
  ),
  PrometheusCannotSendAlerts: {
    // Every alert to the first Alertmanager fails and half of those to the second: the best loses 50%.
    firing: { series: alertSends([10, 5]), at: "30m", alerts: [{ labels: { ...ns, pod: "prometheus-0" }, value: 0.5 }] },
    // One Alertmanager takes every alert: they still reach the receivers.
    quiet: { series: alertSends([10, 0]), at: "30m" },
    alsoQuiet: [
      { why: "2% of the alerts to the better Alertmanager fail, below 3%", series: alertSends([10, 0.2]), at: "30m" },
      { why: "idle: no alerts sent", series: alertSends([0, 0], 0), at: "30m" },
    ],
  },
  AlertmanagerConfigReloadFailed: gaugeCase(
    "alertmanager_config_last_reload_successful",
    { ...amPod, ...recorded("alertmanager", "alertmanager_config_last_reload_successful") },
    0,
    1,
  ),
  AlertmanagerNotificationsFailing: {
    firing: { series: notifications(1, 10), at: "30m", alerts: [{ labels: { ...ns, pod: amPod.pod, integration: "webhook" }, value: 0.1 }] },
    quiet: { series: notifications(0.05, 10), at: "30m" },
    alsoQuiet: [{ why: "idle: no notifications at all (no ratio)", series: notifications(0, 0), at: "30m" }],
  },
  // Fires from the first evaluation on, with no input at all: the dead man's switch.
  Watchdog: { firing: { series: [], at: "1m", alerts: [{ labels: {}, value: 1 }] }, quiet: { series: [], at: "1m" } },
  ApiTargetsAbsent: {
    firing: { series: [s("up", { job: "api", instance: "10.0.0.3:8080" }, gauge(0))], at: "10m", alerts: [{ labels: {}, value: 1 }] },
    // One of two pods up is enough (ServiceDown pages for the other).
    quiet: { series: [s("up", { job: "api", instance: "10.0.0.3:8080" }, gauge(1)), s("up", { job: "api", instance: "10.0.0.4:8080" }, gauge(0))], at: "10m" },
  },
  WorkloadReplicasUnavailable: {
    firing: {
      series: [
        s("kube_deployment_spec_replicas", { ...ksm, deployment: "api" }, gauge(3)),
        s("kube_deployment_status_replicas_available", { ...ksm, deployment: "api" }, gauge(1)),
      ],
      at: "30m",
      alerts: [{ labels: { ...ns, ...ksm, deployment: "api" }, value: 2 }],
    },
    quiet: {
      series: [
        s("kube_deployment_spec_replicas", { ...ksm, deployment: "api" }, gauge(3)),
        s("kube_deployment_status_replicas_available", { ...ksm, deployment: "api" }, gauge(3)),
        s("kube_statefulset_replicas", { ...ksm, statefulset: "postgres" }, gauge(3)),
        s("kube_statefulset_status_replicas_ready", { ...ksm, statefulset: "postgres" }, gauge(3)),
      ],
      at: "30m",
    },
  },
  PodCrashLooping: {
    firing: {
      series: [s("kube_pod_container_status_restarts_total", ksmContainer("kube_pod_container_status_restarts_total", {}, { pod: "redis-0", container: "redis" }), counter(1))],
      at: "30m",
      alerts: [{ labels: { ...ns, pod: "redis-0", container: "redis" }, value: 15 }],
    },
    // 2 restarts in 15 minutes: below the 3 it allows.
    quiet: {
      series: [
        s("kube_pod_container_status_restarts_total", ksmContainer("kube_pod_container_status_restarts_total", {}, { pod: "redis-0", container: "redis" }), counter(2 / 15)),
      ],
      at: "30m",
    },
  },
  ApiErrorRateAboveSlo: {
    firing: { series: requests(2, 100), at: "30m", alerts: [{ labels: ns, value: 0.02 }] },
    quiet: { series: requests(0.9, 100), at: "30m" },
    alsoQuiet: [{ why: "idle: no requests", series: noRequests(), at: "30m" }],
  },
  ApiErrorRateCritical: {
    firing: { series: requests(10, 100), at: "30m", alerts: [{ labels: ns, value: 0.1 }] },
    quiet: { series: requests(4.9, 100), at: "30m" },
    alsoQuiet: [{ why: "idle: no requests", series: noRequests(), at: "30m" }],
  },
  // All requests between 1 and 2.5 s: p95 = 1 + 0.95 * 1.5 = 2.425 s; between 0.5 and 1 s: 0.975 s.
  ApiLatencyHigh: { firing: { series: latency(0, 0, 10), at: "30m", alerts: [{ labels: ns, value: 2.425 }] }, quiet: { series: latency(0, 87.5, 12.5), at: "30m" } },
  ApiLatencyElevated: { firing: { series: latency(0, 0, 10), at: "30m", alerts: [{ labels: ns, value: 2.425 }] }, quiet: { series: latency(0, 10, 0), at: "30m" } },
  ApiLatencyAboveSloTarget: { firing: { series: latency(0, 10, 0), at: "30m", alerts: [{ labels: ns, value: 0.975 }] }, quiet: { series: latency(10, 0, 0), at: "30m" } },
  ApiDbPoolSaturated: ratioCase("blacklake_db_pool_in_use", "blacklake_db_pool_size", api, { bad: 19, good: 17.9, den: 20 }, { pod: api.pod }),
  CertificateExpiringSoon: {
    // At 2h (time() = 7200): 10 days left, or 90.
    firing: {
      series: [s("certmanager_certificate_expiration_timestamp_seconds", { job: "cert-manager", name: "minio-tls" }, gauge(7200 + 10 * 86400))],
      at: "2h",
      alerts: [{ labels: { ...ns, job: "cert-manager", name: "minio-tls" }, value: 10 }],
    },
    quiet: { series: [s("certmanager_certificate_expiration_timestamp_seconds", { job: "cert-manager", name: "minio-tls" }, gauge(7200 + 31 * 86400))], at: "2h" },
  },
  VolumeUsageHigh: volumeCase("kubelet_volume_stats_used_bytes", 85, 79),
  VolumeUsageCritical: volumeCase("kubelet_volume_stats_used_bytes", 95, 89),
  VolumeFreeSpaceLow: volumeCase("kubelet_volume_stats_available_bytes", 5, 11),
  ContainerMemoryUsageHigh: memoryCase(88, 84),
  ContainerMemoryUsageCritical: memoryCase(95, 89),
  ContainerCpuUsageHigh: {
    // 54 CPU-seconds per minute = 0.9 cores, against a limit of 1 core; quiet at 47 (0.78).
    firing: {
      series: [
        s("container_cpu_usage_seconds_total", { job: "cadvisor", ...ctr }, counter(54)),
        s("kube_pod_container_resource_limits", ksmContainer("kube_pod_container_resource_limits", { resource: "cpu" }), gauge(1)),
      ],
      at: "30m",
      alerts: [{ labels: { ...ns, ...ctr }, value: 0.9 }],
    },
    quiet: {
      series: [
        s("container_cpu_usage_seconds_total", { job: "cadvisor", ...ctr }, counter(47)),
        s("kube_pod_container_resource_limits", ksmContainer("kube_pod_container_resource_limits", { resource: "cpu" }), gauge(1)),
      ],
      at: "30m",
    },
    alsoQuiet: [
      {
        why: "idle: no CPU used",
        series: [
          s("container_cpu_usage_seconds_total", { job: "cadvisor", ...ctr }, gauge(120)),
          s("kube_pod_container_resource_limits", ksmContainer("kube_pod_container_resource_limits", { resource: "cpu" }), gauge(1)),
        ],
        at: "30m",
      },
    ],
  },

  // SLOs. Budgets: availability 0.1%, latency 5%, errors 1%. Fast fires above 14.4x (1h and
  // 5m) or 6x (6h and 30m); slow above 3x (1d and 2h) or 1x (3d and 6h). A slow case's
  // ratio is below 6x, so that only the slow alert fires; $value is the first pair's long window.
  ApiAvailabilityErrorBudgetBurnFast: burnCase(requests(10, 100), requests(0.5, 100), 0.1, "30m", noRequests()),
  ApiAvailabilityErrorBudgetBurnSlow: burnCase(requests(1, 200), requests(0.18, 200), 0.005, "3h", noRequests()),
  ApiLatencyErrorBudgetBurnFast: burnCase(latency(20, 80, 0), latency(71, 29, 0), 0.8, "30m", noLatency()),
  ApiLatencyErrorBudgetBurnSlow: burnCase(latency(80, 20, 0), latency(96, 4, 0), 0.2, "3h", noLatency()),
  ApiErrorRateErrorBudgetBurnFast: burnCase(requests(20, 100), requests(5.5, 100), 0.2, "30m", noRequests()),
  ApiErrorRateErrorBudgetBurnSlow: burnCase(requests(4, 100), requests(0.9, 100), 0.04, "3h", noRequests()),
  ApiAvailabilityBelowSlo: burnCase(requests(1, 200), requests(0.18, 200), 0.005, "30m", noRequests()),
};

/**
 * Backup age as repository n's own pgbackrest_exporter reports it (one per repository,
 * on each of two pods), beside another repository's. Firing: this repository's last
 * `type` backup is `bad` seconds old while the other's is fresh (a stale off-site copy
 * must not hide behind a fresh local one). Quiet: both fresh. (Not "the other stale":
 * that fires the other repository's rule, whose alert name promtool cannot tell apart.)
 */
function backupCase(type: "full" | "incr", bad: number): (rule: AlertRule) => AlertCase {
  return (rule) => {
    // Quiet at the age the schedule still allows (the rule's "> N"), the oldest that must not fire.
    const good = Number(/ > (\d+)$/.exec(rule.expr)?.[1]);
    const index = Number((rule.labels.repo ?? "repo1").replace(/^repo/, ""));
    const other = index === 1 ? 2 : 1;
    const ages = (own: number, others: number) => [0, 1].flatMap((pod) => [backupAge(index, pod, type, own), backupAge(other, pod, type, others)]);
    return {
      firing: { series: ages(bad, good), at: "30m", alerts: [{ labels: { ...ns, stanza: STANZA }, value: bad }] },
      quiet: { series: ages(good, good), at: "30m" },
    };
  };
}

/** pgbackrest_backup_since_last_completion_seconds from repository `repo`'s exporter on pod postgres-<pod>. */
function backupAge(repo: number, pod: number, type: string, age: number): InputSeries {
  const exporter = recorded("pgbackrest_exporter", "pgbackrest_backup_since_last_completion_seconds", { backup_type: type });
  return s(
    "pgbackrest_backup_since_last_completion_seconds",
    { job: pgbackrestJob(repo), repo: `repo${repo}`, pod: `postgres-${pod}`, instance: `10.0.3.${pod}:${pgbackrestExporterPort(repo)}`, ...exporter, stanza: STANZA },
    gauge(age),
  );
}

/**
 * No age at all from repository n's exporter (unreadable repository, no backup yet) for
 * longer than the rule's `for`, while another repository reports: fires. Quiet: it reports.
 */
function backupsNotReportedCase(rule: AlertRule): AlertCase {
  const index = Number((rule.labels.repo ?? "repo1").replace(/^repo/, ""));
  const other = index === 1 ? 2 : 1;
  const forMinutes = Number(/^(\d+)m$/.exec(rule.for)?.[1]);
  if (!Number.isFinite(forMinutes)) throw new Error(`${rule.alert}: expected a "for" in minutes, got ${rule.for}`);
  const at = `${forMinutes + 60}m`;
  const n = Math.ceil((forMinutes + 60) / 10) + 1;
  const series = (repos: number[]) => repos.map((r) => ({ ...backupAge(r, 0, "full", 3600), values: gauge(3600, n) }));
  return {
    interval: "10m",
    firing: { series: series([other]), at, alerts: [{ labels: { ...ns, job: pgbackrestJob(index), backup_type: "full" }, value: 1 }] },
    quiet: { series: series([index, other]), at },
  };
}

function minioDiskCase(freeBad: number, freeGood: number): AlertCase {
  const labels = { job: "minio-node", server: "minio-0.minio-pods:9000", drive: "/data" };
  const series = (free: number) => [s("minio_node_drive_free_bytes", labels, gauge(free)), s("minio_node_drive_total_bytes", labels, gauge(100))];
  return {
    firing: { series: series(freeBad), at: "30m", alerts: [{ labels: { ...ns, server: labels.server, drive: labels.drive }, value: 1 - freeBad / 100 }] },
    quiet: { series: series(freeGood), at: "30m" },
  };
}

function authCase(badPerMinute: number, goodPerMinute: number): AlertCase {
  const labels = { job: "keycloak", realm: "blacklake", event: "login", error: "invalid_user_credentials" };
  return {
    firing: { series: [s("keycloak_user_events_total", labels, counter(badPerMinute))], at: "30m", alerts: [{ labels: { ...ns, realm: "blacklake" }, value: badPerMinute }] },
    quiet: {
      series: [s("keycloak_user_events_total", labels, counter(goodPerMinute)), s("keycloak_user_events_total", { ...labels, error: "" }, counter(500))],
      at: "30m",
    },
  };
}

function volumeCase(metric: string, bad: number, good: number): AlertCase {
  const series = (v: number) => [s(metric, pvc, gauge(v)), s("kubelet_volume_stats_capacity_bytes", pvc, gauge(100))];
  return {
    firing: { series: series(bad), at: "30m", alerts: [{ labels: { ...ns, persistentvolumeclaim: pvc.persistentvolumeclaim }, value: bad / 100 }] },
    quiet: { series: series(good), at: "30m" },
  };
}

function memoryCase(bad: number, good: number): AlertCase {
  const series = (v: number) => [
    s("container_memory_working_set_bytes", { job: "cadvisor", ...ctr }, gauge(v)),
    s("kube_pod_container_resource_limits", ksmContainer("kube_pod_container_resource_limits", { resource: "memory" }), gauge(100)),
  ];
  return { firing: { series: series(bad), at: "30m", alerts: [{ labels: { ...ns, ...ctr }, value: bad / 100 }] }, quiet: { series: series(good), at: "30m" } };
}

// --- Prometheus template functions (the subset the mixins use) --------------------------

/** Go's %.4g. */
function g4(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
  if (v === 0) return "0";
  const exp = Math.floor(Math.log10(Math.abs(Number(v.toPrecision(4)))));
  if (exp < -4 || exp >= 4) {
    const [m, e] = v.toExponential(3).split("e");
    const mant = String(Number(m));
    const n = Number(e);
    return `${mant}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  return String(Number(v.toPrecision(4)));
}

function humanizeScaled(v: number, base: number, up: string[], down: string[]): string {
  if (v === 0 || !Number.isFinite(v)) return g4(v);
  let prefix = "";
  if (Math.abs(v) >= 1) {
    for (const p of up) {
      if (Math.abs(v) < base) break;
      prefix = p;
      v /= base;
    }
  } else {
    for (const p of down) {
      if (Math.abs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
  }
  return `${g4(v)}${prefix}`;
}

export const templateFunctions: Record<string, (v: number) => string> = {
  humanize: (v) => humanizeScaled(v, 1000, ["k", "M", "G", "T", "P", "E", "Z", "Y"], ["m", "u", "n", "p", "f", "a", "z", "y"]),
  humanize1024: (v) => (Math.abs(v) <= 1 ? g4(v) : humanizeScaled(v, 1024, ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"], [])),
  humanizePercentage: (v) => `${g4(v * 100)}%`,
  humanizeDuration: (v) => {
    if (!Number.isFinite(v)) return g4(v);
    if (v === 0) return "0s";
    const sign = v < 0 ? "-" : "";
    v = Math.abs(v);
    if (v >= 1) {
      const t = Math.trunc(v);
      const [d, h, m, sec] = [Math.trunc(t / 86400), Math.trunc(t / 3600) % 24, Math.trunc(t / 60) % 60, t % 60];
      if (d) return `${sign}${d}d ${h}h ${m}m ${sec}s`;
      if (h) return `${sign}${h}h ${m}m ${sec}s`;
      if (m) return `${sign}${m}m ${sec}s`;
      return `${sign}${g4(v)}s`;
    }
    return `${sign}${humanizeScaled(v, 1000, [], ["m", "u", "n", "p", "f", "a", "z", "y"])}s`;
  },
};

/** Go's default formatting of a float64 ({{ $value }}): shortest representation. */
function goFloat(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  const exp = v === 0 ? 0 : Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 21) {
    const [m, e] = v.toExponential().split("e");
    const n = Number(e);
    return `${m}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  return String(v);
}

/** Expands {{ $value }}, {{ $value | fn }} and {{ $labels.x }} as Prometheus would. */
export function expandTemplate(text: string, labels: Record<string, string>, value: number): string {
  return text.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (whole, body: string) => {
    const [head = "", ...pipes] = body.split("|").map((p) => p.trim()); // split always yields at least one part
    if (head.startsWith("$labels.")) {
      if (pipes.length) throw new Error(`unsupported template ${whole}`);
      return labels[head.slice("$labels.".length)] ?? "";
    }
    if (head !== "$value") throw new Error(`unsupported template ${whole}`);
    if (pipes.length === 0) return goFloat(value);
    const fn = pipes.length === 1 ? templateFunctions[pipes[0]!] : undefined;
    if (!fn) throw new Error(`unsupported template ${whole}`);
    return fn(value);
  });
}

// --- promtool test files ----------------------------------------------------------------

/**
 * Alerts whose firing case fails because of a bug in the rule, with the reason. Their
 * firing cases go to <mixin>.known-broken.test.yml, which the integration test expects to
 * FAIL: when the rule is fixed, that test fails and the entry must go.
 */
export const KNOWN_BROKEN: Record<string, string> = {};

/** Alerts that fire by design, always: they have a firing case and no quiet one. */
export const ALWAYS_FIRING: Record<string, string> = { Watchdog: "the dead man's switch: its absence at the heartbeat receiver is what pages" };

/** Alerts a mixin has only with an option no stack sets yet, with when they exist; their cases stay for then. */
export const OPTIONAL_ALERTS: Record<string, string> = {
  CertificateExpiringSoon: "only where cert-manager's metrics are scraped (platformMixin's certManager)",
};

/** Alerts of the mixins that have no case, or a case without a firing alert or quiet series. */
export function alertsWithoutTests(mixins: MonitoringMixin[], tests: Record<string, AlertCases> = ALERT_TESTS): string[] {
  return allAlerts(mixins)
    .filter((rule) => {
      const cases = tests[rule.alert];
      const c = cases && caseFor(cases, rule);
      if (!c || c.firing.alerts.length === 0) return true;
      return !ALWAYS_FIRING[rule.alert] && (c.firing.series.length === 0 || c.quiet.series.length === 0);
    })
    .map((a) => a.alert);
}

/** A case moved from CASE_NAMESPACE into `namespace`: its series' and expected alerts' namespace label. */
function inNamespace(c: AlertCase, namespace: string): AlertCase {
  const series = (list: InputSeries[]) => list.map((i) => ({ ...i, series: i.series.split(`namespace="${NS}"`).join(`namespace="${namespace}"`) }));
  const labels = (l: Record<string, string>) => (l.namespace === NS ? { ...l, namespace } : l);
  return {
    ...c,
    firing: { ...c.firing, series: series(c.firing.series), alerts: c.firing.alerts.map((a) => ({ ...a, labels: labels(a.labels) })) },
    quiet: { ...c.quiet, series: series(c.quiet.series) },
    ...(c.alsoQuiet ? { alsoQuiet: c.alsoQuiet.map((q) => ({ ...q, series: series(q.series) })) } : {}),
  };
}

function expectedAlert(rule: AlertRule, e: ExpectedAlert, o: RuleFileOptions) {
  const labels = { ...e.labels, ...renderedLabels(rule) };
  const annotations = Object.fromEntries(Object.entries(renderedAnnotations(rule, o)).map(([k, v]) => [k, expandTemplate(v, { ...labels, alertname: rule.alert }, e.value)]));
  return { exp_labels: labels, exp_annotations: annotations };
}

/**
 * One promtool test file per mixin (file name -> YAML), each loading only that mixin's
 * rule file (rule files are expected beside it, named by ruleFileName).
 */
export function renderPromtoolTests(
  mixins: MonitoringMixin[],
  o: RuleFileOptions,
  namespace: string = CASE_NAMESPACE,
  tests: Record<string, AlertCases> = ALERT_TESTS,
  knownBroken: Record<string, string> = KNOWN_BROKEN,
): Record<string, string> {
  const files: Record<string, string> = {};
  const file = (m: MonitoringMixin, cases: object[]) => stringify({ rule_files: [ruleFileName(m)], evaluation_interval: "1m", tests: cases }, { lineWidth: 0 });
  for (const m of mixins) {
    const alerts = allAlerts([m]);
    const broken: object[] = [];
    const cases = alerts.flatMap((rule) => {
      const written = tests[rule.alert];
      if (!written) throw new Error(`alert ${rule.alert} has no test case in test/harness/alertTests.ts`);
      const c = inNamespace(caseFor(written, rule), namespace);
      const interval = c.interval ?? "1m";
      const fires = {
        name: caseName(rule, "fires"),
        interval,
        input_series: c.firing.series,
        alert_rule_test: [{ eval_time: c.firing.at, alertname: rule.alert, exp_alerts: c.firing.alerts.map((e) => expectedAlert(rule, e, o)) }],
      };
      if (knownBroken[rule.alert]) broken.push(fires);
      return [
        ...(knownBroken[rule.alert] ? [] : [fires]),
        ...(ALWAYS_FIRING[rule.alert] ? [] : [{ why: "", ...c.quiet }, ...(c.alsoQuiet ?? [])]).map((q) => ({
          name: `${caseName(rule, "stays quiet")}${q.why ? ` (${q.why})` : ""}`,
          interval,
          input_series: q.series,
          alert_rule_test: [{ eval_time: q.at, alertname: rule.alert, exp_alerts: [] }],
        })),
      ];
    });
    files[`${m.name}.test.yml`] = file(m, cases);
    if (broken.length) files[`${m.name}.known-broken.test.yml`] = file(m, broken);
  }
  return files;
}
