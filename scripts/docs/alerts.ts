import * as fs from "node:fs";
import * as path from "node:path";
import type { AlertRule, MonitoringMixin } from "../../components/lib/mixin";
import { alertGroupOf, allAlerts, GROUP_BY, ROUTE_TIMING } from "../../components/monitoring/render";
import { apiSlos, BURN_WINDOWS, type Slo } from "../../components/monitoring/slo";
import { configFromStackFile } from "../../stacks/config";
import { deployedMonitoring } from "../../stacks/program";
import { runUnderMocks } from "../synth/mockRuntime";

// docs/alerts.md, generated from what each stack deploys: every stack's program runs under
// the mock runtime and hands over the mixins its Prometheus loads, so an alert whose
// scrape target a stack does not have is not listed for it. `npm run docs:alerts` writes
// the file; test/unit/monitoring-alerts.test.ts fails when it is out of date. GUIDE maps
// every threshold line of ../shared/OPERATIONS.md ("Alerting" and "SLOs") to the alerts
// that implement it.

/** The stacks the table describes, in the order of its columns. */
export const DOC_STACKS = ["prod", "staging", "dev", "local"] as const;
export type DocStack = (typeof DOC_STACKS)[number];

export interface StackMonitoring {
  stack: DocStack;
  namespace: string;
  mixins: MonitoringMixin[];
}

const ROOT = path.resolve(__dirname, "../..");

/** What one stack's Prometheus loads, from its committed Pulumi.<stack>.yaml. */
export async function stackMonitoring(stack: DocStack): Promise<StackMonitoring> {
  const config = configFromStackFile(path.join(ROOT, `Pulumi.${stack}.yaml`));
  const { outputs } = await runUnderMocks(stack, config, deployedMonitoring);
  return { stack, ...outputs };
}

/** Every documented stack's monitoring. */
export const allStackMonitoring = () => Promise.all(DOC_STACKS.map(stackMonitoring));

export interface GuideLine {
  section: "Critical" | "Warning" | "SLO";
  text: string;
  /** Alert names, or regular expressions for names derived from configuration. */
  alerts: (string | RegExp)[];
  /** Set when the alerts exist only where a stack has what they watch: when that is. */
  onlyWhere?: string;
}

const BURN = (prefix: string) => [`${prefix}ErrorBudgetBurnFast`, `${prefix}ErrorBudgetBurnSlow`];

export const GUIDE: GuideLine[] = [
  { section: "Critical", text: "API 5xx error rate > 5% (2 min)", alerts: ["ApiErrorRateCritical"] },
  { section: "Critical", text: "service down (`up == 0`) for 1 min", alerts: ["ServiceDown", "KeycloakDown", "MinioTargetDown", "RedisDown"] },
  { section: "Critical", text: "database connections > 80% of max", alerts: ["PostgresConnectionsHigh"] },
  { section: "Critical", text: "database down / connection failure", alerts: ["PostgresDown"] },
  { section: "Critical", text: "disk usage > 90% (critical)", alerts: ["VolumeUsageCritical", "MinioDiskUsageCritical"] },
  { section: "Critical", text: "disk usage > 80% (warning)", alerts: ["VolumeUsageHigh", "MinioDiskUsageHigh"] },
  { section: "Critical", text: "low disk < 10% free", alerts: ["VolumeFreeSpaceLow"] },
  { section: "Critical", text: "memory usage > 90% (critical)", alerts: ["ContainerMemoryUsageCritical", "RedisMemoryNearLimit"] },
  { section: "Critical", text: "memory usage > 85% for 5 min (warning)", alerts: ["ContainerMemoryUsageHigh"] },
  { section: "Critical", text: "authentication failures > 50/min (security)", alerts: ["KeycloakAuthenticationFailuresCritical"] },
  { section: "Critical", text: "authentication failures > 10/min (warning)", alerts: ["KeycloakAuthenticationFailuresHigh"] },
  {
    section: "Critical",
    text: "certificate expiry < 30 days (warning)",
    alerts: ["CertificateExpiringSoon"],
    onlyWhere: "cert-manager's metrics are scraped (platformMixin's certManager); no stack scrapes them yet",
  },
  { section: "Warning", text: "API response time p95 > 2 s", alerts: ["ApiLatencyHigh"] },
  { section: "Warning", text: "API response time p95 > 1 s", alerts: ["ApiLatencyElevated"] },
  { section: "Warning", text: "API response time p95 > 500 ms (SLO latency)", alerts: ["ApiLatencyAboveSloTarget"] },
  { section: "Warning", text: "job queue depth > 100", alerts: ["JobQueueDepthHigh"] },
  { section: "Warning", text: "dead-letter queue non-empty", alerts: ["DeadLetterQueueNotEmpty"] },
  { section: "Warning", text: "cache hit ratio < 80% (Redis)", alerts: ["RedisCacheHitRatioLow"] },
  { section: "Warning", text: "PostgreSQL buffer cache hit < 95%", alerts: ["PostgresCacheHitRatioLow"] },
  { section: "Warning", text: "CPU > 80% for 5 min", alerts: ["ContainerCpuUsageHigh"] },
  { section: "Warning", text: "connection pool > 90%", alerts: ["ApiDbPoolSaturated"] },
  { section: "Warning", text: "replication lag", alerts: ["PostgresReplicationLagHigh"] },
  { section: "Warning", text: "longest running transaction", alerts: ["PostgresLongRunningTransaction"] },
  { section: "Warning", text: "lock waits", alerts: ["PostgresLockWaits"] },
  { section: "Warning", text: "database growth > 1 GiB in 24 h", alerts: ["PostgresDatabaseGrowth"] },
  { section: "Warning", text: "backup older than its schedule allows", alerts: [/^PgBackRest[A-Z][a-z]+BackupTooOld$/, "PostgresWalArchivingFailing"] },
  {
    section: "Warning",
    text: "restore drill failed",
    alerts: ["PostgresRestoreDrillFailed", "PostgresRestoreDrillMissing"],
    onlyWhere: "the restore drill runs (postgres.backups.pgbackrest.restoreDrill.enabled: the local stack has none)",
  },
  { section: "SLO", text: "Availability 99.9% (HTTP non-5xx / total), alert when below for 5 min", alerts: ["ApiAvailabilityBelowSlo", ...BURN("ApiAvailability")] },
  { section: "SLO", text: "Latency p95 < 500 ms", alerts: BURN("ApiLatency") },
  { section: "SLO", text: "Error rate < 1% of requests are 5xx", alerts: BURN("ApiErrorRate") },
];

export const matches = (pattern: string | RegExp, name: string) => (typeof pattern === "string" ? pattern === name : pattern.test(name));

/** Guide lines (those every stack must meet) with a pattern that no alert of the mixins matches. */
export function unmatchedGuideLines(mixins: MonitoringMixin[]): string[] {
  const names = allAlerts(mixins).map((a) => a.alert);
  return GUIDE.filter((line) => !line.onlyWhere).flatMap((line) => line.alerts.filter((p) => !names.some((n) => matches(p, n))).map((p) => `${line.text}: ${String(p)}`));
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const code = (s: string) => `\`${cell(s)}\``;

/** One row of the table: an alert as one or more stacks deploy it (their namespace written as <namespace>). */
interface AlertRow {
  rule: AlertRule;
  mixin: string;
  expr: string;
  stacks: DocStack[];
}

/** Every alert of every stack; stacks whose rule differs only by namespace share a row. */
function alertRows(stacks: StackMonitoring[]): AlertRow[] {
  const rows = new Map<string, AlertRow>();
  for (const { stack, namespace, mixins } of stacks) {
    for (const m of mixins) {
      for (const rule of allAlerts([m])) {
        const expr = rule.expr.split(`namespace="${namespace}"`).join('namespace="<namespace>"');
        const key = JSON.stringify([rule.alert, expr, rule.for, rule.labels.severity]);
        const row = rows.get(key) ?? { rule, mixin: m.name, expr, stacks: [] };
        row.stacks.push(stack);
        rows.set(key, row);
      }
    }
  }
  return [...rows.values()];
}

export function renderAlertTable(stacks: StackMonitoring[], slos: Slo[]): string {
  const rows = alertRows(stacks);
  const link = (a: AlertRule) => `[${a.alert}](${a.annotations.runbook.replace(/^docs\//, "")})`;
  const row = (r: AlertRow) => `| ${link(r.rule)} | ${r.mixin} | ${r.stacks.join(", ")} | ${code(r.expr)} | ${r.rule.for} | ${r.rule.labels.severity} | ${alertGroupOf(r.rule)} |`;
  const lines: string[] = [
    "# Alerts",
    "",
    "<!-- Generated by scripts/docs/alerts.ts from the mixins each stack deploys. Do not edit:",
    "     regenerate with `npm run docs:alerts`. -->",
    "",
    'Every threshold of the operations guide (`OPERATIONS.md`, "Alerting" and "SLOs") and the',
    "alerts that implement it, as each stack (prod, staging, dev, local) deploys them: the",
    "table comes from each stack's program, so an alert is listed for a stack only when that",
    "stack scrapes what it watches. Each alert has a promtool test (a firing and a quiet",
    "case) in `test/harness/alertTests.ts`, run against every stack's rule files by",
    "`test/integration/prometheus.test.ts`.",
    "",
    "## Routing",
    "",
    `Alertmanager groups by ${GROUP_BY.map((l) => `\`${l}\``).join(" and ")}. \`severity="critical"\` goes to the`,
    `\`critical\` receiver (\`monitoring.receivers.critical\`, the pager; group_wait ${ROUTE_TIMING.critical.group_wait},`,
    `repeat ${ROUTE_TIMING.critical.repeat_interval}), \`severity="warning"\` to \`warning\` (chat or e-mail; group_wait`,
    `${ROUTE_TIMING.warning.group_wait}, repeat ${ROUTE_TIMING.warning.repeat_interval}).`,
    "",
    "Inhibition: a firing critical alert silences warnings with the same `namespace` and",
    "`alertgroup` label. The rule files give every alert an `alertgroup`: the alert's own",
    "`alertgroup` label if it sets one, otherwise its name without a trailing `Critical`,",
    "`High` or `Warning` (so `VolumeUsageCritical` silences `VolumeUsageHigh`,",
    "`KeycloakAuthenticationFailuresCritical` silences `KeycloakAuthenticationFailuresHigh`).",
    "The column `group` below is that label.",
    "",
    "## Thresholds of the operations guide",
    "",
    "| guide | threshold | alerts |",
    "| --- | --- | --- |",
    ...GUIDE.map((line) => {
      const names = [...new Set(rows.filter((r) => line.alerts.some((p) => matches(p, r.rule.alert))).map((r) => `\`${r.rule.alert}\``))];
      const none = line.onlyWhere ? `none deployed: only where ${line.onlyWhere}` : "";
      return `| ${line.section} | ${cell(line.text)} | ${names.length ? names.join(", ") : cell(none)} |`;
    }),
    "",
    "## SLOs and burn rates",
    "",
    'Multi-window, multi-burn-rate alerts (Google SRE workbook, "Alerting on SLOs"). A burn',
    "rate of N spends the error budget (1 - objective) N times faster than a 30-day window",
    "allows. An alert needs the error ratio above factor x budget over the long window AND the",
    "short one; the recorded ratios are `blacklake:slo_<name>_errors:ratio_rate<window>`.",
    "",
    "| severity | long window | short window | factor | budget spent when it fires |",
    "| --- | --- | --- | --- | --- |",
    ...BURN_WINDOWS.map((w) => {
      const hours = { "1h": 1, "6h": 6, "1d": 24, "3d": 72 }[w.long] ?? 0;
      return `| ${w.severity} | ${w.long} | ${w.short} | ${w.factor} | ${Math.round(((w.factor * hours) / (30 * 24)) * 100)}% of 30 days' budget |`;
    }),
    "",
    "| SLO | objective | budget | guide |",
    "| --- | --- | --- | --- |",
    ...slos.map((s) => `| ${s.name} | ${s.description} | ${Number(((1 - s.objective) * 100).toPrecision(6))}% | ${cell(s.guide)} |`),
    "",
    "The critical pair is `<Slo>ErrorBudgetBurnFast` (page), the warning pair",
    "`<Slo>ErrorBudgetBurnSlow` (ticket); both carry `slo` and share an `alertgroup`, so a",
    "fast burn silences the slow one.",
    "",
    "## Metric contracts",
    "",
    "- API (job `api`): `http_requests_total{code}`, `http_request_duration_seconds_bucket{le}`",
    '  with a `le="0.5"` bucket, `http_request_duration_seconds_count`, and the gauges',
    "  `blacklake_db_pool_in_use` and `blacklake_db_pool_size` (connections checked out, pool",
    "  size; per pod).",
    "- kube-state-metrics (honor_labels): `kube_pod_container_resource_limits{resource}`,",
    "  `kube_job_status_failed`, `kube_cronjob_status_last_successful_time`.",
    "- kubelet (job `kubelet`): `kubelet_volume_stats_{used,available,capacity}_bytes`;",
    "  cAdvisor (job `cadvisor`): `container_memory_working_set_bytes`, `container_cpu_usage_seconds_total`.",
    "- cert-manager (honor_labels): `certmanager_certificate_expiration_timestamp_seconds`. Chosen",
    "  over the blackbox exporter's `probe_ssl_earliest_cert_expiry` because it sees every",
    "  Certificate, internal ones included, without probes; certificates not issued by",
    "  cert-manager are not covered.",
    "",
    "## All alerts",
    "",
    "| alert (runbook) | mixin | stacks | expression | for | severity | group |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(row),
    "",
  ];
  return lines.join("\n");
}

export const ALERTS_DOC = "docs/alerts.md";

/** docs/alerts.md as the stacks deploy their alerts (run each stack's program unless given what they deploy). */
export async function alertsDoc(stacks?: StackMonitoring[]): Promise<string> {
  return renderAlertTable(stacks ?? (await allStackMonitoring()), apiSlos("<namespace>"));
}

if (require.main === module) {
  alertsDoc().then(
    (doc) => fs.writeFileSync(path.join(ROOT, ALERTS_DOC), doc),
    (error: unknown) => {
      console.error(`docs:alerts: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
