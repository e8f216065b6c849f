import { beforeAll, describe, expect, it } from "vitest";
import type { MonitoringMixin } from "../../components/lib/mixin";
import { DOC_STACKS, stackMonitoring, type StackMonitoring } from "../../scripts/docs/alerts";
import { allAlerts } from "../../components/monitoring/render";
import { ALERT_TESTS, caseFor, caseName } from "../harness/alertTests";
import { CONTRACT_SOURCES, exporterCoverage, loadRecordings, recordedNames, scrapeLabels, selectorCoverage, UNRECORDED_SOURCES } from "../harness/exporterCoverage";
import { vectorSelectors } from "../harness/promql";

// Every metric and label each stack's rules and dashboards select, against what the real
// exporters produced when they were recorded (test/integration/exporters.test.ts keeps the
// recordings true). A rule that selects a metric or label no exporter produces can never
// fire: it fails here, before it reaches a cluster.

const monitoring = new Map<string, StackMonitoring>();
beforeAll(async () => {
  for (const stack of DOC_STACKS) monitoring.set(stack, await stackMonitoring(stack));
});

describe.each(DOC_STACKS)("the %s stack's rules and dashboards", (stack) => {
  it("select only metrics and labels the recorded exporters really produce", () => {
    const coverage = exporterCoverage(monitoring.get(stack)!.mixins);
    expect(coverage.problems).toEqual([]);
  });

  it("leave unchecked only series of the sources named as unrecorded (printed with the reason)", () => {
    const { unchecked } = exporterCoverage(monitoring.get(stack)!.mixins);
    const sources = new Set(UNRECORDED_SOURCES.map((s) => s.source));
    expect(unchecked.filter((u) => !sources.has(u.split(":")[0]!))).toEqual([]);
    for (const s of UNRECORDED_SOURCES) {
      const metrics = unchecked.filter((u) => u.startsWith(`${s.source}:`));
      if (metrics.length > 0) console.info(`${stack}: not checked against real output: ${s.source} (${s.why}): ${metrics.length} metrics`);
    }
    for (const [exporter, why] of Object.entries(CONTRACT_SOURCES)) console.info(`${stack}: not checked against real output: ${exporter} (${why})`);
  });
});

describe("the promtool cases (test/harness/alertTests.ts)", () => {
  it("feed exactly the label sets the recorded exporters really produce", () => {
    const prod = monitoring.get("prod")!;
    const selecting = allAlerts(prod.mixins).flatMap((rule) => {
      const cases = ALERT_TESTS[rule.alert];
      if (!cases) return [];
      const c = caseFor(cases, rule);
      return [...c.firing.series, ...c.quiet.series, ...(c.alsoQuiet ?? []).flatMap((q) => q.series)].map((x) => ({ where: `case ${caseName(rule, "fires")}`, expr: x.series }));
    });
    expect([...new Set(selectorCoverage(selecting, recordedNames(prod.mixins), loadRecordings(), true, scrapeLabels(prod.mixins)).problems)]).toEqual([]);
  });
});

describe("the check itself", () => {
  const recordings = loadRecordings();
  const mixin = (expr: string): MonitoringMixin => ({
    name: "probe",
    scrapeTargets: [],
    dashboards: [],
    ruleGroups: [{ name: "probe", rules: [{ alert: "Probe", expr, for: "5m", labels: { severity: "warning" }, annotations: { summary: "", description: "", runbook: "" } }] }],
  });

  it("accepts a rule on a real metric with its real labels and the scrape's", () => {
    expect(exporterCoverage([mixin('sum by (namespace) (redis_key_size{job="redis", namespace="x", key=~"queue:.*"})')], recordings).problems).toEqual([]);
  });

  it("fails a rule that selects a label the exporter does not put on the metric, naming the labels it has", () => {
    const { problems } = exporterCoverage([mixin('redis_key_size{job="redis", queue="default"} > 0')], recordings);
    expect(problems).toEqual([
      expect.stringMatching(/probe alert Probe: selects redis_key_size\{queue="default"\}, but redis_exporter's redis_key_size has no label queue \(it has: db, key\)/),
    ]);
  });

  it("fails the backup-age rule as it was: pgbackrest_exporter puts no repo_key on pgbackrest_backup_since_last_completion_seconds", () => {
    // As it was, but for its job (then "pgbackrest"; the jobs are per repository now).
    const old = 'min by (stanza) (pgbackrest_backup_since_last_completion_seconds{job="pgbackrest-repo2", namespace="x", backup_type="full", repo_key="2"}) > 612000';
    expect(exporterCoverage([mixin(old)], recordings).problems).toEqual([
      expect.stringMatching(
        /selects pgbackrest_backup_since_last_completion_seconds\{repo_key="2"\}, but pgbackrest_exporter's .* has no label repo_key \(it has: backup_type, block_incr, stanza\)/,
      ),
    ]);
  });

  it("fails a rule on a metric the exporter does not produce, and a recording rule the stack does not record", () => {
    const { problems } = exporterCoverage([mixin('pg_blacklake_connections_used{job="postgres"} > 1 or blacklake:nothing:sum > 0')], recordings);
    expect(problems).toEqual([
      expect.stringMatching(/selects pg_blacklake_connections_used, which postgres_exporter does not produce \(it has blacklake_connections_used\)/),
      expect.stringMatching(/selects blacklake:nothing:sum, which no recording rule of the stack records/),
    ]);
  });

  it("reads selectors with Prometheus' grammar, and refuses an expression it cannot parse", () => {
    expect(vectorSelectors('rate(a{b="c", d=~"e.*"}[5m]) / on (x) f')).toEqual([
      {
        metric: "a",
        matchers: [
          { label: "b", op: "=", value: "c" },
          { label: "d", op: "=~", value: "e.*" },
        ],
      },
      { metric: "f", matchers: [] },
    ]);
    expect(() => vectorSelectors("sum(a{")).toThrow(/PromQL syntax error/);
  });
});
