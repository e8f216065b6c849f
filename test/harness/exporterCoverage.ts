import { isAlertRule, type MonitoringMixin } from "../../components/lib/mixin";
import { KEYCLOAK_JOB } from "../../components/keycloak/mixin";
import { MINIO_JOB, MINIO_NODE_JOB } from "../../components/minio/mixin";
import { PLATFORM_DASHBOARDS } from "../../components/monitoring/dashboards";
import { ALERTMANAGER_JOB, PROMETHEUS_JOB } from "../../components/monitoring/mixin";
import { API_JOB, KUBE_STATE_METRICS_JOB } from "../../components/monitoring/platformAlerts";
import { pgbackrestJob, POSTGRES_JOB } from "../../components/postgres/mixin";
import { REDIS_JOB } from "../../components/redis/mixin";
import { EXPORTER_CONTRACTS, METRICS_FIXTURES, type Series, readFixture, recordedExporters } from "./exposition";
import { needsLabel, vectorSelectors } from "./promql";

// Does every series a rule or dashboard selects exist? Each selector is attributed to the
// exporter that produces it (by its job="..." matcher, else by its metric name's prefix),
// and checked against that exporter's recorded real output (test/fixtures/metrics): the
// metric must be there, and every label a matcher needs must be on it or be one the
// scrape adds. A selector no recording covers is reported as unchecked, with its source.

/** Labels Prometheus' scrape config puts on every series (components/monitoring/render.ts). */
const TARGET_LABELS = ["job", "instance", "namespace", "pod", "container"];

/** Those, and the labels the mixins' scrape targets add to their jobs (ScrapeTarget.labels). */
export function scrapeLabels(mixins: readonly MonitoringMixin[]): Set<string> {
  return new Set([...TARGET_LABELS, ...mixins.flatMap((m) => m.scrapeTargets.flatMap((t) => Object.keys(t.labels ?? {})))]);
}

/** Repositories a stack may have (repo1 .. repo4), each with its own pgbackrest_exporter job. */
const PGBACKREST_JOBS = [1, 2, 3, 4].map(pgbackrestJob);

/** The scrape job each recorded exporter runs under (the mixins' job names). */
const JOB_EXPORTER: Record<string, string> = {
  [POSTGRES_JOB]: "postgres_exporter",
  [REDIS_JOB]: "redis_exporter",
  [PROMETHEUS_JOB]: "prometheus",
  [ALERTMANAGER_JOB]: "alertmanager",
  [KUBE_STATE_METRICS_JOB]: "kube-state-metrics",
  [MINIO_JOB]: "minio-cluster",
  [MINIO_NODE_JOB]: "minio-node",
  [KEYCLOAK_JOB]: "keycloak",
  ...Object.fromEntries(PGBACKREST_JOBS.map((job) => [job, "pgbackrest_exporter"])),
};

/**
 * Exporters that cannot be run here, checked against label sets transcribed from their
 * upstream documentation instead (test/fixtures/exporter-contracts): weaker than a
 * recording, and printed as such.
 */
export const CONTRACT_SOURCES: Record<string, string> = {
  pgbackrest_exporter: "the Go module proxy here refuses github.com/woblerr/pgbackrest_exporter (403); checked against label sets transcribed from its README, not a recording",
};

/** Where series come from that no recording covers yet, by scrape job or metric-name prefix, and why. */
export const UNRECORDED_SOURCES: { jobs: string[]; prefix: RegExp; source: string; why: string }[] = [
  { jobs: ["kubelet", "cadvisor"], prefix: /^(kubelet_|container_)/, source: "kubelet and cAdvisor", why: "no kubelet runs here" },
  {
    jobs: [],
    prefix: /^minio_s3_requests_5xx_errors_total$/,
    source: "MinIO's lazily made series",
    why: "MinIO creates its per-API 5xx counter at the first server error, which the recording run has none of",
  },
  { jobs: [API_JOB], prefix: /^http_request/, source: "the API", why: "our own image, not built or run here" },
  {
    jobs: [],
    prefix: /^(up|ALERTS|ALERTS_FOR_STATE|scrape_[a-z_]+)$/,
    source: "the scrape and the rule evaluation",
    why: "series Prometheus makes itself, labelled with the target's or the alert's labels, not exported by anything",
  },
];

export interface Coverage {
  /** Selectors that cannot match what the exporter really produces. */
  problems: string[];
  /** Selectors of series no recording covers, as "<source>: <metric>". */
  unchecked: string[];
}

export interface Selecting {
  where: string;
  expr: string;
}

/** What a stack's Prometheus evaluates and its Grafana queries: the mixins' rules and dashboards, and the platform's dashboards. */
export function expressions(mixins: readonly MonitoringMixin[]): Selecting[] {
  const platform: MonitoringMixin = { name: "platform-dashboards", scrapeTargets: [], ruleGroups: [], dashboards: PLATFORM_DASHBOARDS };
  return [...mixins, platform].flatMap((m) => [
    ...m.ruleGroups.flatMap((g) => g.rules.map((r) => ({ where: `${m.name} ${isAlertRule(r) ? `alert ${r.alert}` : `record ${r.record}`}`, expr: r.expr }))),
    ...m.dashboards.flatMap((d) => d.panels.flatMap((p) => p.queries.map((q) => ({ where: `${m.name} dashboard "${d.title}" panel "${p.title}"`, expr: q.expr })))),
  ]);
}

/** The metric names the mixins' rules and dashboards select (recording rules' own names left out). */
export function selectedNames(mixins: readonly MonitoringMixin[]): Set<string> {
  return new Set(
    expressions(mixins)
      .flatMap((e) => vectorSelectors(e.expr).map((sel) => sel.metric))
      .filter((n) => !n.includes(":")),
  );
}

/** The check over a stack's mixins, against the recordings (all of test/fixtures/metrics by default). */
export function exporterCoverage(mixins: readonly MonitoringMixin[], recordings: Record<string, Series[]> = loadRecordings()): Coverage {
  return selectorCoverage(expressions(mixins), recordedNames(mixins), recordings, false, scrapeLabels(mixins));
}

/** The series names the mixins' recording rules record. */
export function recordedNames(mixins: readonly MonitoringMixin[]): Set<string> {
  return new Set(mixins.flatMap((m) => m.ruleGroups.flatMap((g) => g.rules.flatMap((r) => (isAlertRule(r) ? [] : [r.record])))));
}

/**
 * The same check over any expressions. With `exact`, a selector of a recorded exporter's
 * metric must carry exactly the labels of one of its real series (the scrape's labels
 * aside): what promtool's input series must do to stand for the real thing.
 */
export function selectorCoverage(
  selecting: Selecting[],
  records: Set<string>,
  recordings: Record<string, Series[]> = loadRecordings(),
  exact = false,
  added: Set<string> = new Set(TARGET_LABELS),
): Coverage {
  // Without a job matcher, the exporter is the one whose recording has the metric, else one with its prefix.
  const metricOwner = new Map<string, string>();
  const prefixOwner = new Map<string, string>();
  for (const [exporter, series] of Object.entries(recordings))
    for (const s of series) {
      metricOwner.set(s.name, exporter);
      prefixOwner.set(prefixOf(s.name), exporter);
    }
  const problems: string[] = [];
  const unchecked = new Set<string>();
  for (const { where, expr } of selecting) {
    for (const sel of vectorSelectors(expr)) {
      if (sel.metric.includes(":")) {
        if (!records.has(sel.metric)) problems.push(`${where}: selects ${sel.metric}, which no recording rule of the stack records`);
        continue;
      }
      // A job="..." matcher names the scrape target; without one, the metric's prefix tells.
      const job = sel.matchers.find((m) => m.label === "job" && m.op === "=")?.value;
      const exporter = job !== undefined ? JOB_EXPORTER[job] : (metricOwner.get(sel.metric) ?? prefixOwner.get(prefixOf(sel.metric)));
      const series = exporter ? recordings[exporter] : undefined;
      if (!exporter || !series) {
        const source = UNRECORDED_SOURCES.find((s) => (job !== undefined ? s.jobs.includes(job) : s.prefix.test(sel.metric)))?.source ?? "an unknown source";
        unchecked.add(`${source}: ${sel.metric}`);
        continue;
      }
      const ofMetric = series.filter((s) => s.name === sel.metric);
      const lazy = UNRECORDED_SOURCES.find((s) => s.jobs.length === 0 && s.prefix.test(sel.metric));
      if (ofMetric.length === 0 && lazy) {
        unchecked.add(`${lazy.source}: ${sel.metric}`);
        continue;
      }
      if (ofMetric.length === 0) {
        const near = [...new Set(series.map((s) => s.name).filter((n) => n.endsWith(sel.metric.split("_").slice(-2).join("_"))))].slice(0, 3);
        problems.push(`${where}: selects ${sel.metric}, which ${exporter} does not produce${near.length ? ` (it has ${near.join(", ")})` : ""}`);
        continue;
      }
      const labels = new Set(ofMetric.flatMap((s) => Object.keys(s.labels)));
      for (const m of sel.matchers.filter(needsLabel)) {
        if (!labels.has(m.label) && !added.has(m.label)) {
          problems.push(
            `${where}: selects ${sel.metric}{${m.label}${m.op}"${m.value}"}, but ${exporter}'s ${sel.metric} has no label ${m.label} (it has: ${[...labels].sort().join(", ") || "none"})`,
          );
        }
      }
      if (exact) {
        const own = (names: string[]) =>
          names
            .filter((l) => !added.has(l))
            .sort()
            .join(",");
        const given = own(sel.matchers.map((m) => m.label));
        const real = [...new Set(ofMetric.map((s) => own(Object.keys(s.labels))))];
        if (!real.includes(given)) problems.push(`${where}: ${sel.metric} with labels {${given}}, but ${exporter} gives it {${real.join("} or {")}}`);
      }
    }
  }
  return { problems, unchecked: [...unchecked].sort() };
}

function prefixOf(metric: string): string {
  return metric.split("_")[0] ?? metric;
}

/** Every fixture the checks read, by exporter: the contracts of those that cannot be recorded here (CONTRACT_SOURCES), then the recordings. */
export function fixtureSources(): { exporter: string; dir: string }[] {
  return [
    ...Object.keys(CONTRACT_SOURCES).map((exporter) => ({ exporter, dir: EXPORTER_CONTRACTS })),
    ...recordedExporters().map((exporter) => ({ exporter, dir: METRICS_FIXTURES })),
  ];
}

/** The recordings, and the contracts of the exporters that cannot be recorded here. */
export function loadRecordings(): Record<string, Series[]> {
  return Object.fromEntries(fixtureSources().map(({ exporter, dir }) => [exporter, readFixture(exporter, dir)]));
}
