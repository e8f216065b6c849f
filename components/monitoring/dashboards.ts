import type { Dashboard, DashboardPanel, MonitoringMixin } from "../lib/mixin";

// Grafana dashboards as code: the mixins declare panels as data (title, unit, queries);
// this renders them to Grafana's dashboard JSON with one layout rule, so every dashboard
// looks alike and none is hand-edited JSON. We judged @grafana/grafana-foundation-sdk:
// its builders cover far more than time series, but it would add a dependency and
// a second way to describe a panel; the mixin type plus this renderer is enough here.

export const DATASOURCE_UID = "prometheus";
const PANEL_WIDTH = 12;
const PANEL_HEIGHT = 8;

function panel(p: DashboardPanel, index: number) {
  return {
    id: index + 1,
    type: "timeseries",
    title: p.title,
    datasource: { type: "prometheus", uid: DATASOURCE_UID },
    gridPos: { x: (index % 2) * PANEL_WIDTH, y: Math.floor(index / 2) * PANEL_HEIGHT, w: PANEL_WIDTH, h: PANEL_HEIGHT },
    fieldConfig: { defaults: { unit: p.unit ?? "short" }, overrides: [] },
    options: { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi" } },
    targets: p.queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: { type: "prometheus", uid: DATASOURCE_UID },
      expr: q.expr,
      legendFormat: q.legend ?? "__auto",
    })),
  };
}

export function renderDashboard(d: Dashboard): Record<string, unknown> {
  return {
    uid: d.uid,
    title: d.title,
    tags: ["blacklake"],
    timezone: "utc",
    editable: false,
    schemaVersion: 39,
    version: 1,
    refresh: "1m",
    time: { from: "now-6h", to: "now" },
    panels: d.panels.map(panel),
  };
}

/** The dashboards no single component owns. */
export const PLATFORM_DASHBOARDS: Dashboard[] = [
  {
    uid: "blacklake-overview",
    title: "System Overview",
    panels: [
      { title: "Targets up", queries: [{ expr: "sum by (job) (up)", legend: "{{job}}" }] },
      { title: "Firing alerts", queries: [{ expr: 'sum by (severity) (ALERTS{alertstate="firing"})', legend: "{{severity}}" }] },
      {
        title: "CPU used / limit",
        unit: "percentunit",
        queries: [
          {
            expr: 'sum by (pod) (rate(container_cpu_usage_seconds_total{container!=""}[5m])) / sum by (pod) (kube_pod_container_resource_limits{resource="cpu"})',
            legend: "{{pod}}",
          },
        ],
      },
      {
        title: "Memory used / limit",
        unit: "percentunit",
        queries: [
          { expr: 'sum by (pod) (container_memory_working_set_bytes{container!=""}) / sum by (pod) (kube_pod_container_resource_limits{resource="memory"})', legend: "{{pod}}" },
        ],
      },
      {
        title: "Volume usage",
        unit: "percentunit",
        queries: [{ expr: "1 - kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes", legend: "{{persistentvolumeclaim}}" }],
      },
      { title: "Container restarts (1h)", queries: [{ expr: "sum by (pod) (increase(kube_pod_container_status_restarts_total[1h]))", legend: "{{pod}}" }] },
    ],
  },
  {
    uid: "blacklake-api",
    title: "API Performance",
    panels: [
      { title: "Requests per second", unit: "reqps", queries: [{ expr: "sum by (code) (rate(http_requests_total[5m]))", legend: "{{code}}" }] },
      { title: "5xx ratio", unit: "percentunit", queries: [{ expr: 'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))', legend: "5xx" }] },
      {
        title: "Latency p50 / p95 / p99",
        unit: "s",
        queries: [0.5, 0.95, 0.99].map((q) => ({
          expr: `histogram_quantile(${q}, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))`,
          legend: `p${Math.round(q * 100)}`,
        })),
      },
      { title: "API replicas", queries: [{ expr: 'kube_deployment_status_replicas_available{deployment="api"}', legend: "available" }] },
    ],
  },
  {
    uid: "blacklake-backups",
    title: "Backups",
    panels: [
      { title: "Last backup age", unit: "s", queries: [{ expr: "pgbackrest_backup_since_last_completion_seconds", legend: "{{backup_type}} repo{{repo_key}}" }] },
      { title: "Backup duration", unit: "s", queries: [{ expr: "pgbackrest_backup_duration_seconds", legend: "{{backup_type}} repo{{repo_key}}" }] },
      {
        title: "WAL archived / failed",
        queries: [
          // postgres_exporter's names for our custom archiver query (checked against its real output).
          { expr: "rate(blacklake_archiver_archived[15m])", legend: "archived" },
          { expr: "rate(blacklake_archiver_failed[15m])", legend: "failed" },
        ],
      },
      {
        title: "Restore drill: last success age",
        unit: "s",
        queries: [{ expr: 'time() - kube_cronjob_status_last_successful_time{cronjob=~".*restore-drill"}', legend: "{{cronjob}}" }],
      },
      { title: "Restore drill: failed jobs", queries: [{ expr: 'kube_job_status_failed{job_name=~".*restore-drill.*"}', legend: "{{job_name}}" }] },
      {
        title: "Object storage mirror: last success age",
        unit: "s",
        queries: [{ expr: 'time() - kube_cronjob_status_last_successful_time{cronjob=~".*mirror"}', legend: "{{cronjob}}" }],
      },
    ],
  },
];

/** Every dashboard file: file name -> JSON text. */
export function renderDashboards(mixins: MonitoringMixin[]): Record<string, string> {
  const all = [...PLATFORM_DASHBOARDS, ...mixins.flatMap((m) => m.dashboards)];
  const uids = all.map((d) => d.uid);
  const duplicate = uids.find((u, i) => uids.indexOf(u) !== i);
  if (duplicate) throw new Error(`two dashboards share the uid ${duplicate}`);
  return Object.fromEntries(all.map((d) => [`${d.uid}.json`, `${JSON.stringify(renderDashboard(d), null, 2)}\n`]));
}

/** Grafana provisioning (JSON is YAML): the Prometheus datasource. */
export function renderGrafanaDatasources(prometheusUrl: string): string {
  return JSON.stringify({
    apiVersion: 1,
    datasources: [{ name: "Prometheus", uid: DATASOURCE_UID, type: "prometheus", access: "proxy", url: prometheusUrl, isDefault: true, editable: false }],
  });
}

/** Grafana provisioning: the read-only folder the dashboards load from. */
export function renderGrafanaDashboardProvider(dashboardsPath: string): string {
  return JSON.stringify({
    apiVersion: 1,
    providers: [{ name: "blacklake", folder: "BlackLake", type: "file", disableDeletion: true, allowUiUpdates: false, options: { path: dashboardsPath } }],
  });
}
