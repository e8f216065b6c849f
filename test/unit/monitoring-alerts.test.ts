import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type AlertRule, isAlertRule, type MonitoringMixin } from "../../components/lib/mixin";
import { allAlerts, renderedAnnotations } from "../../components/monitoring/render";
import { platformMixin } from "../../components/monitoring/platformAlerts";
import { ALERTS_DOC, alertsDoc, DOC_STACKS, GUIDE, stackMonitoring, type StackMonitoring, unmatchedGuideLines } from "../../scripts/docs/alerts";
import { ALERT_TESTS, ALWAYS_FIRING, alertsWithoutTests, expandTemplate, KNOWN_BROKEN, OPTIONAL_ALERTS, templateFunctions } from "../harness/alertTests";
import { ROOT } from "../harness";

// Over the mixins each stack deploys (its program run under mocks), so what is checked
// here is what that stack's Prometheus loads.

const monitoring = new Map<string, StackMonitoring>();
beforeAll(async () => {
  for (const stack of DOC_STACKS) monitoring.set(stack, await stackMonitoring(stack));
});
const all = () => [...monitoring.values()];
const alertsOf = (m: StackMonitoring): AlertRule[] => allAlerts(m.mixins);

describe.each(DOC_STACKS)("every alert the %s stack deploys", (stack) => {
  let m: StackMonitoring;
  beforeAll(() => {
    m = monitoring.get(stack)!;
  });

  it("comes from every mixin of the platform", () => {
    const names = m.mixins.map((x) => x.name);
    expect(names).toEqual(expect.arrayContaining(["minio", "monitoring", "platform", "postgres", "redis", "slo"]));
    expect(names.filter((n) => !["keycloak", "minio", "monitoring", "platform", "postgres", "redis", "slo"].includes(n))).toEqual([]);
    for (const x of m.mixins) expect(allAlerts([x]).length, x.name).toBeGreaterThan(0);
  });

  it("has unique alerts (a name, and its repository where it has one per repository), and no recording rule of the same name", () => {
    const names = alertsOf(m).map((a) => `${a.alert} ${a.labels.repo ?? ""}`);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    const records = m.mixins.flatMap((x) => x.ruleGroups.flatMap((g) => g.rules.filter((r) => !isAlertRule(r)).map((r) => ("record" in r ? r.record : ""))));
    expect(records.filter((r, i) => records.indexOf(r) !== i)).toEqual([]);
  });

  // The one home of these checks for every component's alerts; component tests check only their own specifics.
  it("gives each alert a severity, summary, description, and a runbook file that names it", () => {
    for (const a of alertsOf(m)) {
      // info only for what fires by design (the Watchdog, routed on its own).
      expect(ALWAYS_FIRING[a.alert] ? ["info"] : ["critical", "warning"], a.alert).toContain(a.labels.severity);
      expect(a.for, a.alert).toMatch(/^[0-9]+[smh]$/);
      expect(a.annotations.summary.trim().length, a.alert).toBeGreaterThan(10);
      expect(a.annotations.description.trim().length, a.alert).toBeGreaterThan(10);
      expect(a.annotations.runbook, a.alert).toMatch(/^docs\/runbooks\/[a-z0-9-]+\.md$/);
      expect(fs.existsSync(path.join(ROOT, a.annotations.runbook)), a.annotations.runbook).toBe(true);
      expect(fs.readFileSync(path.join(ROOT, a.annotations.runbook), "utf8"), a.alert).toContain(a.alert);
    }
  });

  it("watches the stack's own namespace in every alert", () => {
    for (const a of alertsOf(m)) {
      if (ALWAYS_FIRING[a.alert]) expect(a.labels.namespace, a.alert).toBe(m.namespace);
      else expect(a.expr, a.alert).toContain(`namespace="${m.namespace}"`);
    }
    for (const a of alertsOf(m))
      expect(
        [...a.expr.matchAll(/namespace="([^"]*)"/g)].map((x) => x[1]).filter((n) => n !== m.namespace),
        a.alert,
      ).toEqual([]);
  });

  it("names each platform and SLO alert in a platform runbook", () => {
    for (const a of allAlerts(m.mixins.filter((x) => x.name === "platform" || x.name === "slo"))) expect(a.annotations.runbook, a.alert).toMatch(/^docs\/runbooks\/platform-/);
  });

  it("uses only template functions the promtool tests can expand", () => {
    for (const a of alertsOf(m)) {
      for (const text of Object.values(renderedAnnotations(a, { runbookBaseUrl: "https://x/" }))) {
        expect(() => expandTemplate(text, {}, 1), `${a.alert}: ${text}`).not.toThrow();
      }
    }
  });

  it("has a promtool case that fires and one that stays quiet", () => {
    expect(alertsWithoutTests(m.mixins)).toEqual([]);
  });

  it("has an idle case that stays quiet for every alert on a ratio of rates (no traffic is not a bad ratio)", () => {
    const records = new Map(m.mixins.flatMap((x) => x.ruleGroups.flatMap((g) => g.rules.flatMap((r) => (isAlertRule(r) ? [] : [[r.record, r.expr] as const])))));
    /** The expression with the recording rules it reads, expanded once. */
    const expanded = (expr: string) => [expr, ...[...records.keys()].filter((name) => expr.includes(name)).map((name) => records.get(name)!)].join(" ");
    const ratioOfRates = alertsOf(m).filter((a) => /\brate\(/.test(expanded(a.expr)) && / \/ /.test(expanded(a.expr)));
    expect(ratioOfRates.length).toBeGreaterThan(5);
    const withoutIdle = ratioOfRates.filter((a) => {
      const cases = ALERT_TESTS[a.alert];
      const c = cases && (typeof cases === "function" ? cases(a) : cases);
      return !c?.alsoQuiet?.some((q) => q.why.startsWith("idle"));
    });
    expect(withoutIdle.map((a) => a.alert)).toEqual([]);
  });

  it("meets every threshold of the operations guide that applies to every stack", () => {
    expect(unmatchedGuideLines(m.mixins)).toEqual([]);
  });

  it("lists no alert whose scrape target the stack does not have", () => {
    const jobs = new Set(m.mixins.flatMap((x) => x.scrapeTargets.map((t) => t.jobName)));
    if (!jobs.has("cert-manager")) expect(alertsOf(m).map((a) => a.alert)).not.toContain("CertificateExpiringSoon");
  });
});

describe("the alert test cases", () => {
  it("name only alerts some stack deploys, or the optional ones (with the reason)", () => {
    const deployed = new Set(all().flatMap((m) => alertsOf(m).map((a) => a.alert)));
    expect(Object.keys(ALERT_TESTS).filter((n) => !deployed.has(n) && !OPTIONAL_ALERTS[n])).toEqual([]);
    expect(Object.keys(KNOWN_BROKEN).filter((n) => !deployed.has(n))).toEqual([]);
    // An optional alert is deployed by no stack yet; each has a case for when it is.
    for (const name of Object.keys(OPTIONAL_ALERTS)) {
      expect(deployed.has(name), `${name} is deployed now: remove it from OPTIONAL_ALERTS`).toBe(false);
      expect(ALERT_TESTS[name], name).toBeDefined();
    }
  });

  it("cover CertificateExpiringSoon where cert-manager is scraped", () => {
    const withCertManager: MonitoringMixin = platformMixin({
      namespace: "blacklake",
      api: { namespace: "blacklake", podSelector: {}, portName: "http" },
      certManager: { namespace: "cert-manager", podSelector: { "app.kubernetes.io/name": "cert-manager" }, portName: "http-metrics" },
    });
    expect(allAlerts([withCertManager]).map((a) => a.alert)).toContain("CertificateExpiringSoon");
    expect(alertsWithoutTests([withCertManager])).toEqual([]);
  });
});

describe("docs/alerts.md", () => {
  let doc: string;
  beforeAll(async () => {
    doc = await alertsDoc(all()); // the runs above, not four more
  });

  it("is up to date (regenerate: npm run docs:alerts)", () => {
    expect(fs.readFileSync(path.join(ROOT, ALERTS_DOC), "utf8")).toBe(doc);
  });

  it("lists every alert of every stack, with the stacks that deploy it", () => {
    for (const m of all()) {
      for (const a of alertsOf(m)) {
        const rows = doc.split("\n").filter((l) => l.startsWith(`| [${a.alert}](`));
        expect(rows.length, a.alert).toBeGreaterThan(0);
        expect(
          rows.some((l) => l.split(" | ")[2]!.split(", ").includes(m.stack)),
          `${a.alert} for ${m.stack}`,
        ).toBe(true);
      }
    }
  });

  it("says a guide line met only somewhere is not deployed, and why", () => {
    const certLine = GUIDE.find((l) => l.alerts.includes("CertificateExpiringSoon"))!;
    expect(doc).toContain(`| ${certLine.section} | ${certLine.text} | none deployed: only where ${certLine.onlyWhere} |`);
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
    expect(templateFunctions[fn]!(v)).toBe(want);
  });

  it("expands $value and $labels", () => {
    expect(expandTemplate("{{ $value }} jobs on {{ $labels.instance }}", { instance: "redis-0" }, 150)).toBe("150 jobs on redis-0");
    expect(() => expandTemplate("{{ $value | title }}", {}, 1)).toThrow(/unsupported/);
  });
});
