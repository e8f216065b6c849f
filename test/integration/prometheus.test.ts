import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ALERT_TESTS, ALWAYS_FIRING, caseName, KNOWN_BROKEN, OPTIONAL_ALERTS, renderPromtoolTests } from "../harness/alertTests";
import type { MonitoringMixin } from "../../components/lib/mixin";
import { platformMixin } from "../../components/monitoring/platformAlerts";
import { DOC_STACKS, stackMonitoring, type StackMonitoring } from "../../scripts/docs/alerts";
import { allAlerts, kubeletScrapeConfigs, type Receiver, renderAlertmanagerConfig, renderPrometheusConfig, renderRuleFiles } from "../../components/monitoring/render";
import { ensurePrometheusInstalled, run, writeFiles } from "./support/prometheus";

// promtool and amtool on OUR rendered files: the rule files every stack deploys (its
// program run under mocks), their unit tests (test/harness/alertTests.ts, moved into the
// stack's namespace: every alert fires on its firing case and stays quiet on its quiet
// case, with exact labels, severity included, and annotations), the rendered
// prometheus.yml, and alertmanager.yml for each kind of receiver.

let mixins: MonitoringMixin[]; // prod's, for the config checks
const stacks = new Map<string, StackMonitoring>();
const ruleOptions = { runbookBaseUrl: "https://git.example.com/blacklake/platform/blob/main/" };
let dir: string;
let promtool: string;
let amtool: string;

beforeAll(async () => {
  ({ promtool, amtool } = ensurePrometheusInstalled());
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "prometheus-it-"));
  for (const stack of DOC_STACKS) stacks.set(stack, await stackMonitoring(stack));
  mixins = stacks.get("prod")!.mixins;
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

// The optional cert-manager alert, as a stack that scrapes cert-manager would have it.
const withCertManager = (namespace: string, components: MonitoringMixin[]) =>
  platformMixin({
    namespace,
    api: { namespace, podSelector: {}, portName: "http" },
    certManager: { namespace: "cert-manager", podSelector: { "app.kubernetes.io/name": "cert-manager" }, portName: "http-metrics" },
    jobsWithOwnDownAlert: components.flatMap((m) => m.downAlertJobs ?? []),
  });

describe.each([...DOC_STACKS, "prod with cert-manager"])("the rule files of %s", (stack) => {
  let ruleFiles: string[];
  let testFiles: Record<string, string>;
  let stackDir: string;
  let stackMixins: MonitoringMixin[];

  beforeAll(() => {
    const m = stacks.get(stack) ?? { ...stacks.get("prod")!, mixins: [withCertManager(stacks.get("prod")!.namespace, stacks.get("prod")!.mixins)] };
    stackMixins = m.mixins;
    stackDir = path.join(dir, stack.replace(/ /g, "-"));
    ruleFiles = writeFiles(stackDir, renderRuleFiles(stackMixins, ruleOptions));
    testFiles = renderPromtoolTests(stackMixins, ruleOptions, m.namespace);
    writeFiles(stackDir, testFiles);
  });

  it("pass promtool check rules, its lint fatal (no duplicate rules)", () => {
    const r = run(promtool, ["check", "rules", "--lint=all", "--lint-fatal", ...ruleFiles], stackDir);
    expect(r.output).not.toMatch(/FAILED/);
    expect(r.status, r.output).toBe(0);
  });

  it("have a firing and a quiet promtool case for every alert, each expecting severity", () => {
    const tests = Object.entries(testFiles)
      .filter(([name]) => !name.includes("known-broken"))
      .flatMap(([, text]) => (parse(text) as { tests: { name: string; alert_rule_test: { exp_alerts: { exp_labels: Record<string, string> }[] }[] }[] }).tests);
    const names = new Set(tests.map((t) => t.name));
    for (const a of allAlerts(stackMixins)) {
      if (!KNOWN_BROKEN[a.alert]) expect(names, a.alert).toContain(caseName(a, "fires"));
      // What fires by design (the Watchdog) has no quiet case.
      if (!ALWAYS_FIRING[a.alert]) expect(names, a.alert).toContain(caseName(a, "stays quiet"));
    }
    for (const t of tests) {
      for (const e of t.alert_rule_test.flatMap((x) => x.exp_alerts))
        expect(e.exp_labels.severity, t.name).toMatch(ALWAYS_FIRING[t.name.split(" ")[0]!] ? /^info$/ : /^(critical|warning)$/);
    }
  });

  it("fire every alert on its firing case and keep it quiet on its quiet case (promtool test rules)", () => {
    for (const m of stackMixins) {
      const r = run(promtool, ["test", "rules", `${m.name}.test.yml`], stackDir);
      expect(r.status, `${m.name}\n${r.output}`).toBe(0);
      expect(r.output).toMatch(/SUCCESS/);
    }
  });

  it("still fail the firing case of each known-broken alert (remove it from KNOWN_BROKEN once fixed)", () => {
    const files = Object.keys(testFiles).filter((f) => f.includes("known-broken"));
    const broken = allAlerts(stackMixins).filter((a) => KNOWN_BROKEN[a.alert]);
    expect(files.length > 0).toBe(broken.length > 0);
    const outputs = files.map((file) => {
      const r = run(promtool, ["test", "rules", file], stackDir);
      expect(r.status, `${file} passes now: remove its alerts from KNOWN_BROKEN\n${r.output}`).not.toBe(0);
      return r.output;
    });
    for (const a of broken) expect(outputs.join("\n"), `${a.alert} fires now: remove it from KNOWN_BROKEN`).toContain(`name: ${caseName(a, "fires")},`);
  });
});

it("the optional alerts' cases are run above (prod with cert-manager)", () => {
  for (const name of Object.keys(OPTIONAL_ALERTS)) expect(ALERT_TESTS[name], name).toBeDefined();
  expect(allAlerts([withCertManager("blacklake", [])]).map((a) => a.alert)).toEqual(expect.arrayContaining(Object.keys(OPTIONAL_ALERTS)));
});

describe("prometheus.yml", () => {
  it("passes promtool check config, with the rule files beside it", () => {
    const sub = path.join(dir, "config");
    const secrets = path.join(sub, "secrets");
    const ruleFiles = writeFiles(sub, renderRuleFiles(mixins, ruleOptions));
    // The files the config names must exist: the MinIO token and the CA.
    writeFiles(path.join(secrets, "minio-prometheus-token"), { token: "jwt" });
    writeFiles(sub, { "ca.crt": "" });
    const serviceAccount = path.join(sub, "serviceaccount");
    writeFiles(serviceAccount, { token: "sa-token", "ca.crt": "" });
    const config = renderPrometheusConfig({
      mixins,
      scrapeInterval: "30s",
      evaluationInterval: "30s",
      alertmanagers: ["alertmanager-0.alertmanager.blacklake.svc:9093"],
      ruleFiles: ruleFiles.map((f) => path.basename(f)),
      secretsDir: secrets,
      caFile: path.join(sub, "ca.crt"),
      extraScrapeConfigs: kubeletScrapeConfigs({ serviceAccountDir: serviceAccount }),
    });
    writeFiles(sub, { "prometheus.yml": config });
    const r = run(promtool, ["check", "config", "prometheus.yml"], sub);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.output).not.toMatch(/FAILED/);
  });
});

describe("alertmanager.yml", () => {
  const smtp = { smarthost: "smtp.example.com:587", from: "alerts@example.com", authUsername: "alerts", authPassword: "secret" };
  const receivers: [string, { critical: Receiver; warning: Receiver }][] = [
    ["none", { critical: { kind: "none" }, warning: { kind: "none" } }],
    ["webhook", { critical: { kind: "webhook", url: "https://pager.example.com/hooks/blacklake" }, warning: { kind: "webhook", url: "https://chat.example.com/hooks/ops" } }],
    ["email", { critical: { kind: "email", to: "oncall@example.com" }, warning: { kind: "email", to: "ops@example.com" } }],
    ["webhook and email", { critical: { kind: "webhook", url: "https://pager.example.com/hooks/blacklake" }, warning: { kind: "email", to: "ops@example.com" } }],
  ];
  it.each(receivers)("passes amtool check-config with receivers: %s", (name, r) => {
    const file = `alertmanager-${name.replace(/\W+/g, "-")}.yml`;
    writeFiles(dir, { [file]: renderAlertmanagerConfig({ receivers: r, smtp }) });
    const out = run(amtool, ["check-config", file], dir);
    expect(out.status, out.output).toBe(0);
    expect(out.output).toMatch(/SUCCESS/);
  });
});

describe.each(["dev", "staging", "prod"] as const)("the %s stack's monitoring files, as synthesized", (stack) => {
  it("pass promtool check config, its rule files included", async () => {
    const { runUnderMocks } = await import("../../scripts/synth/mockRuntime");
    const { synthTree } = await import("../../scripts/synth/render");
    const { stackConfig } = await import("../harness");
    const tree = synthTree((await runUnderMocks(stack, stackConfig(stack))).resources);
    const sub = path.join(dir, `stack-${stack}`);
    // Paths inside the Prometheus pod, moved under the temp dir with the files they name.
    const relocate = (text: string) =>
      text.replaceAll("/etc/prometheus/", `${sub}/etc/prometheus/`).replaceAll("/var/run/secrets/kubernetes.io/serviceaccount/", `${sub}/serviceaccount/`);
    const files = [...tree.entries()].filter(([p]) => /\/prometheus-(config|rules)\//.test(p));
    expect(files.length, "prometheus.yml and at least one rule file").toBeGreaterThan(1);
    for (const [p, content] of files) {
      const target = p.includes("/prometheus-config/") ? "etc/prometheus/config" : "etc/prometheus/rules";
      writeFiles(path.join(sub, target), { [path.basename(p)]: relocate(content) });
    }
    writeFiles(path.join(sub, "etc/prometheus/secrets/minio-prometheus-token"), { token: "jwt" });
    writeFiles(path.join(sub, "etc/prometheus/ca"), { "ca.crt": "" });
    writeFiles(path.join(sub, "serviceaccount"), { token: "sa-token", "ca.crt": "" });
    const check = run(promtool, ["check", "config", path.join(sub, "etc/prometheus/config/prometheus.yml")], sub);
    expect(check.status, check.output).toBe(0);
    expect(check.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(check.output).not.toMatch(/FAILED/);
  });
});

describe.each(["dev", "staging", "prod"] as const)("the %s stack's alertmanager.yml", (stack) => {
  it("passes amtool check-config: the file the stack mounts, its receivers and mail relay", async () => {
    const { parseConfig } = await import("../../stacks/config");
    const { stackConfig } = await import("../harness");
    const { alertmanagerConfigFiles } = await import("../../components/monitoring/files");
    const sub = path.join(dir, `alertmanager-${stack}`);
    writeFiles(sub, alertmanagerConfigFiles(parseConfig(stackConfig(stack)).monitoring));
    const r = run(amtool, ["check-config", "alertmanager.yml"], sub);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/SUCCESS/);
  });
});
