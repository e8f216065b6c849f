import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { isAlertRule } from "../../components/lib/mixin";
import { ALERT_TESTS, alertsWithoutTests, expandTemplate, KNOWN_BROKEN, templateFunctions } from "../../components/monitoring/alertTests";
import { ALERTS_DOC, alertsDoc, unmatchedGuideLines } from "../../components/monitoring/alertTable";
import { exampleMixins } from "../../components/monitoring/catalog";
import { allAlerts, renderedAnnotations } from "../../components/monitoring/render";
import { ROOT } from "../harness";

// Over ALL mixins (postgres, redis, minio, keycloak, platform, SLO), as catalog.ts builds them.

const mixins = exampleMixins();
const alerts = allAlerts(mixins);

describe("every alert of every mixin", () => {
  it("covers all the mixins", () => {
    expect(mixins.map((m) => m.name).sort()).toEqual(["keycloak", "minio", "platform", "postgres", "redis", "slo"]);
    for (const m of mixins) expect(allAlerts([m]).length, m.name).toBeGreaterThan(0);
  });

  it("has unique names", () => {
    const names = alerts.map((a) => a.alert);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  // The one home of these checks for every component's alerts; component tests check only their own specifics.
  it.each(alerts.map((a) => [a.alert, a] as const))("%s has a severity, summary, description, and a runbook file that names it", (_name, a) => {
    expect(["critical", "warning"]).toContain(a.labels.severity);
    expect(a.for).toMatch(/^[0-9]+[smh]$/);
    expect(a.annotations.summary.trim().length).toBeGreaterThan(10);
    expect(a.annotations.description.trim().length).toBeGreaterThan(10);
    expect(a.annotations.runbook).toMatch(/^docs\/runbooks\/[a-z0-9-]+\.md$/);
    expect(fs.existsSync(path.join(ROOT, a.annotations.runbook)), a.annotations.runbook).toBe(true);
    expect(fs.readFileSync(path.join(ROOT, a.annotations.runbook), "utf8")).toContain(a.alert);
  });

  it.each(alerts.map((a) => [a.alert, a] as const))("%s watches the platform's namespace", (_name, a) => {
    expect(a.expr).toContain('namespace="blacklake"');
  });

  it("names each platform and SLO alert in its runbook", () => {
    for (const a of allAlerts(mixins.filter((m) => m.name === "platform" || m.name === "slo"))) {
      expect(a.annotations.runbook).toMatch(/^docs\/runbooks\/platform-/);
      expect(fs.readFileSync(path.join(ROOT, a.annotations.runbook), "utf8"), a.alert).toContain(a.alert);
    }
  });

  it("uses only template functions the promtool tests can expand", () => {
    for (const a of alerts) {
      for (const text of Object.values(renderedAnnotations(a, { runbookBaseUrl: "https://x/" }))) {
        expect(() => expandTemplate(text, {}, 1), `${a.alert}: ${text}`).not.toThrow();
      }
    }
  });

  it("has a promtool case that fires and one that stays quiet", () => {
    expect(alertsWithoutTests(mixins)).toEqual([]);
  });

  it("has no test case for an alert that no longer exists", () => {
    const names = new Set(alerts.map((a) => a.alert));
    expect(Object.keys(ALERT_TESTS).filter((n) => !names.has(n))).toEqual([]);
    expect(Object.keys(KNOWN_BROKEN).filter((n) => !names.has(n))).toEqual([]);
  });

  it("has no recording rule and alert with the same name", () => {
    const records = mixins.flatMap((m) => m.ruleGroups.flatMap((g) => g.rules.filter((r) => !isAlertRule(r)).map((r) => ("record" in r ? r.record : ""))));
    expect(records.filter((r, i) => records.indexOf(r) !== i)).toEqual([]);
  });
});

describe("docs/alerts.md", () => {
  it("maps every threshold of the operations guide to alerts that exist", () => {
    expect(unmatchedGuideLines(mixins)).toEqual([]);
  });

  it("is up to date (regenerate: npx tsx components/monitoring/alertTable.ts)", () => {
    expect(fs.readFileSync(path.join(ROOT, ALERTS_DOC), "utf8")).toBe(alertsDoc());
  });

  it("lists every alert", () => {
    const doc = alertsDoc();
    for (const a of alerts) expect(doc, a.alert).toContain(`[${a.alert}](`);
  });
});

describe("Prometheus template functions, as Go formats them", () => {
  it.each([
    ["humanize", 1234567, "1.235M"],
    ["humanize", 60, "60"],
    ["humanize", 0.0123, "12.3m"],
    ["humanize1024", 4_320_000_000, "4.023Gi"],
    ["humanizePercentage", 0.005, "0.5%"],
    ["humanizePercentage", 0.8999999999999999, "90%"],
    ["humanizeDuration", 120, "2m 0s"],
    ["humanizeDuration", 200_000, "2d 7h 33m 20s"],
    ["humanizeDuration", 2.425, "2.425s"],
    ["humanizeDuration", 0.975, "975ms"],
  ] as const)("%s(%d) = %s", (fn, v, want) => {
    expect(templateFunctions[fn](v)).toBe(want);
  });

  it("expands $value and $labels", () => {
    expect(expandTemplate("{{ $value }} jobs on {{ $labels.instance }}", { instance: "redis-0" }, 150)).toBe("150 jobs on redis-0");
    expect(() => expandTemplate("{{ $value | title }}", {}, 1)).toThrow(/unsupported/);
  });
});
