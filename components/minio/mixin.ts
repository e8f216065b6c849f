import { type AlertRule, latestCronJobRunFailed, type MonitoringMixin, type RecordingRule, type ScrapeTarget } from "../lib/mixin";

// The object store alerts of the operations guide, owned by this component. Metric
// names are those of MinIO's v2 metrics; the integration test
// (test/integration/minio.test.ts) scrapes a real server and checks that every metric
// used here exists.
//
// Two scrape jobs on every MinIO pod's "api" port:
// - minio: /minio/v2/metrics/cluster. Any pod answers for the whole cluster (it asks its
//   peers), so these series are duplicated per pod: aggregate with max, never sum.
// - minio-node: /minio/v2/metrics/node. The pod's own drives and S3 request counters.

export interface MinioMixinOptions {
  namespace: string;
  podSelector: Record<string, string>;
  /** The off-site mirror CronJob runs (minio.mirror.enabled) with the object store's RPO: its alerts exist only then. */
  mirror: false | { rpoSeconds: number };
}

export const MINIO_JOB = "minio";
export const MINIO_NODE_JOB = "minio-node";
export const MINIO_CLUSTER_METRICS_PATH = "/minio/v2/metrics/cluster";
export const MINIO_NODE_METRICS_PATH = "/minio/v2/metrics/node";

/**
 * MinIO answers the metrics endpoints only with a bearer token: we keep the default,
 * MINIO_PROMETHEUS_AUTH_TYPE=jwt ("public" would hand cluster details to anything that
 * reaches the pod). The token is a JWT that MinIO checks against the credentials it was
 * signed with: prometheusBearerToken() in ./policies (what `mc admin prometheus
 * generate` prints) over the keys of the scrape user the bootstrap creates with
 * renderBootstrapFiles(..., { prometheusUser: true }) (admin:Prometheus only, never
 * root), kept in this Secret. The monitoring component must mount it and set the scrape job's
 * `authorization: { type: Bearer, credentials_file: ... }` and `scheme: https` with the
 * private CA. The token lives as long as those credentials (its own expiry is 100
 * years): regenerate it when they rotate.
 */
export interface MinioScrapeTarget extends ScrapeTarget {
  scheme: "https";
  bearerTokenSecret: { name: string; key: string };
}

export const MINIO_PROMETHEUS_TOKEN_SECRET = { name: "minio-prometheus-token", key: "token" } as const;

export const DISK_USAGE_WARNING = 0.8;
export const DISK_USAGE_CRITICAL = 0.9;
/** Share of S3 requests answered 5xx (over 5 minutes) above which clients are failing. */
export const S3_ERROR_RATIO = 0.05;

export function minioMixin(o: MinioMixinOptions): MonitoringMixin & { scrapeTargets: MinioScrapeTarget[] } {
  const cluster = `job="${MINIO_JOB}", namespace="${o.namespace}"`;
  const node = `job="${MINIO_NODE_JOB}", namespace="${o.namespace}"`;
  // Recorded series keep only the labels they aggregate by (no job).
  const ns = `namespace="${o.namespace}"`;
  const runbook = "docs/runbooks/minio.md";
  const pct = (r: number) => `${Math.round(r * 100)}%`;

  const recording: RecordingRule[] = [
    {
      // What df calls "Use%", counting the filesystem's reserved blocks as used.
      record: "blacklake:minio_drive_usage:ratio",
      expr: `max by (namespace, server, drive) (1 - minio_node_drive_free_bytes{${node}} / minio_node_drive_total_bytes{${node}})`,
    },
    {
      record: "blacklake:minio_capacity_usage:ratio",
      expr: `max by (namespace) (1 - minio_cluster_capacity_usable_free_bytes{${cluster}} / minio_cluster_capacity_usable_total_bytes{${cluster}})`,
    },
    {
      // MinIO creates a 5xx counter on the first 5xx: no series means no server errors.
      record: "blacklake:minio_s3_5xx_errors:ratio_rate5m",
      expr: `sum by (namespace) (rate(minio_s3_requests_5xx_errors_total{${node}}[5m])) / clamp_min(sum by (namespace) (rate(minio_s3_requests_total{${node}}[5m])), 1e-9)`,
    },
  ];

  const alerts: AlertRule[] = [
    {
      alert: "MinioTargetDown",
      expr: `up{job=~"${MINIO_JOB}|${MINIO_NODE_JOB}", ${ns}} == 0`,
      for: "2m",
      labels: { severity: "critical" },
      annotations: {
        summary: "Prometheus cannot scrape MinIO pod {{ $labels.instance }}",
        description: "The pod is down, or the scrape is refused (an expired or rotated bearer token answers 403).",
        runbook,
      },
    },
    {
      alert: "MinioNodeDown",
      expr: `max by (namespace) (minio_cluster_nodes_offline_total{${cluster}}) > 0`,
      for: "2m",
      labels: { severity: "critical" },
      annotations: {
        summary: "{{ $value }} MinIO node(s) offline",
        description: "The cluster reports {{ $value }} offline node(s); erasure coding keeps serving until too many drives are gone, but there is less redundancy.",
        runbook,
      },
    },
    {
      alert: "MinioDriveOffline",
      expr: `max by (namespace) (minio_cluster_drive_offline_total{${cluster}}) > 0`,
      for: "2m",
      labels: { severity: "critical" },
      annotations: {
        summary: "{{ $value }} MinIO drive(s) offline",
        description: "{{ $value }} drive(s) are offline; objects written meanwhile need healing when they return.",
        runbook,
      },
    },
    {
      alert: "MinioDiskUsageHigh",
      expr: `blacklake:minio_drive_usage:ratio{${ns}} > ${DISK_USAGE_WARNING}`,
      for: "15m",
      labels: { severity: "warning" },
      annotations: {
        summary: `MinIO drive {{ $labels.drive }} on {{ $labels.server }} is more than ${pct(DISK_USAGE_WARNING)} full`,
        description: "{{ $value | humanizePercentage }} of the drive is used.",
        runbook,
      },
    },
    {
      alert: "MinioDiskUsageCritical",
      expr: `blacklake:minio_drive_usage:ratio{${ns}} > ${DISK_USAGE_CRITICAL}`,
      for: "5m",
      labels: { severity: "critical" },
      annotations: {
        summary: `MinIO drive {{ $labels.drive }} on {{ $labels.server }} is more than ${pct(DISK_USAGE_CRITICAL)} full`,
        description: "{{ $value | humanizePercentage }} of the drive is used; MinIO refuses writes when a drive is full, and backups stop.",
        runbook,
      },
    },
    {
      alert: "MinioS3ErrorsHigh",
      expr: `blacklake:minio_s3_5xx_errors:ratio_rate5m{${ns}} > ${S3_ERROR_RATIO}`,
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: `More than ${pct(S3_ERROR_RATIO)} of S3 requests to MinIO fail with a server error`,
        description: "{{ $value | humanizePercentage }} of S3 requests answered 5xx over the last 5 minutes.",
        runbook,
      },
    },
  ];
  // Only where the mirror runs: without its CronJob these could never fire.
  if (o.mirror)
    alerts.push(
      // The mirror CronJob is the object-storage backup; its success is kube-state-metrics' job status.
      {
        alert: "ObjectStorageMirrorFailed",
        expr: latestCronJobRunFailed(o.namespace, "minio-mirror"),
        for: "0m",
        labels: { severity: "warning" },
        annotations: {
          summary: "The off-site mirror of the object store failed",
          description: "The latest mirror run failed and none has succeeded since: the off-site copy of the buckets is getting older. `kubectl get jobs` shows the failed run.",
          runbook,
        },
      },
      {
        alert: "ObjectStorageMirrorStale",
        // Older than the RPO for longer than a run may take: the off-site copy misses more than the RPO allows.
        expr: `time() - kube_cronjob_status_last_successful_time{${ns}, cronjob="minio-mirror"} > ${o.mirror.rpoSeconds}`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: `The off-site copy of the object store is older than its RPO (${o.mirror.rpoSeconds / 60} minutes)`,
          description: "The last successful mirror was {{ $value | humanizeDuration }} ago.",
          runbook,
        },
      },
    );

  return {
    name: "minio",
    downAlertJobs: [MINIO_JOB, MINIO_NODE_JOB],
    scrapeTargets: [
      { jobName: MINIO_JOB, path: MINIO_CLUSTER_METRICS_PATH },
      { jobName: MINIO_NODE_JOB, path: MINIO_NODE_METRICS_PATH },
    ].map((t) => ({
      ...t,
      namespace: o.namespace,
      podSelector: o.podSelector,
      portName: "api",
      scheme: "https" as const,
      bearerTokenSecret: { ...MINIO_PROMETHEUS_TOKEN_SECRET },
    })),
    ruleGroups: [
      { name: "minio.recording", rules: recording },
      { name: "minio.alerts", rules: alerts },
    ],
    dashboards: [
      {
        uid: "blacklake-object-store",
        title: "Object store",
        panels: [
          { title: "Drive usage", unit: "percentunit", queries: [{ expr: "blacklake:minio_drive_usage:ratio", legend: "{{server}} {{drive}}" }] },
          { title: "Usable capacity used", unit: "percentunit", queries: [{ expr: "blacklake:minio_capacity_usage:ratio" }] },
          {
            title: "Nodes and drives offline",
            queries: [
              // Every node reports the cluster's view (a `server` label each): the largest counts.
              { expr: `max(minio_cluster_nodes_offline_total{${cluster}})`, legend: "nodes" },
              { expr: `max(minio_cluster_drive_offline_total{${cluster}})`, legend: "drives" },
            ],
          },
          { title: "S3 requests", unit: "reqps", queries: [{ expr: `sum by (api) (rate(minio_s3_requests_total{${node}}[5m]))`, legend: "{{api}}" }] },
          { title: "S3 5xx error ratio", unit: "percentunit", queries: [{ expr: "blacklake:minio_s3_5xx_errors:ratio_rate5m" }] },
        ],
      },
    ],
  };
}
