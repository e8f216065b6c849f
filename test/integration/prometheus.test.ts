import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ALERT_TESTS, KNOWN_BROKEN, renderPromtoolTests } from "../../components/monitoring/alertTests";
import { exampleMixins } from "../../components/monitoring/catalog";
import { allAlerts, kubeletScrapeConfigs, Receiver, renderAlertmanagerConfig, renderPrometheusConfig, renderRuleFiles } from "../../components/monitoring/render";
import { ensurePrometheusInstalled, run, writeFiles } from "./support/prometheus";

// promtool and amtool on OUR rendered files: the rule files of every mixin, their unit
// tests (components/monitoring/alertTests.ts: every alert fires on its firing case and stays
// quiet on its quiet case, with exact labels, severity included, and annotations), the
// rendered prometheus.yml, and alertmanager.yml for each kind of receiver.

const mixins = exampleMixins();
const ruleOptions = { runbookBaseUrl: "https://git.example.com/blacklake/platform/blob/main/" };
let dir: string;
let promtool: string;
let amtool: string;

beforeAll(() => {
  ({ promtool, amtool } = ensurePrometheusInstalled());
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "prometheus-it-"));
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("rule files", () => {
  let ruleFiles: string[];
  let testFiles: Record<string, string>;

  beforeAll(() => {
    ruleFiles = writeFiles(dir, renderRuleFiles(mixins, ruleOptions));
    testFiles = renderPromtoolTests(mixins, ruleOptions);
    writeFiles(dir, testFiles);
  });

  it("pass promtool check rules", () => {
    const r = run(promtool, ["check", "rules", ...ruleFiles], dir);
    expect(r.output).not.toMatch(/FAILED/);
    expect(r.status, r.output).toBe(0);
  });

  it("have a firing and a quiet promtool case for every alert, each expecting severity", () => {
    const tests = Object.entries(testFiles)
      .filter(([name]) => !name.includes("known-broken"))
      .flatMap(([, text]) => (parse(text) as { tests: { name: string; alert_rule_test: { exp_alerts: { exp_labels: Record<string, string> }[] }[] }[] }).tests);
    const names = new Set(tests.map((t) => t.name));
    for (const a of allAlerts(mixins)) {
      if (!KNOWN_BROKEN[a.alert]) expect(names, a.alert).toContain(`${a.alert} fires`);
      expect(names, a.alert).toContain(`${a.alert} stays quiet`);
    }
    for (const t of tests) for (const e of t.alert_rule_test.flatMap((x) => x.exp_alerts)) expect(e.exp_labels.severity, t.name).toMatch(/^(critical|warning)$/);
  });

  for (const m of mixins) {
    it(`${m.name}: every alert fires on its firing case and stays quiet on its quiet case (promtool test rules)`, () => {
      const r = run(promtool, ["test", "rules", `${m.name}.test.yml`], dir);
      expect(r.status, r.output).toBe(0);
      expect(r.output).toMatch(/SUCCESS/);
    });
  }

  it("known-broken alerts still fail their firing case (remove them from KNOWN_BROKEN once fixed)", () => {
    const files = Object.keys(testFiles).filter((f) => f.includes("known-broken"));
    if (Object.keys(KNOWN_BROKEN).length) expect(files.length).toBeGreaterThan(0);
    const outputs = files.map((file) => {
      const r = run(promtool, ["test", "rules", file], dir);
      expect(r.status, `${file} passes now: remove its alerts from KNOWN_BROKEN\n${r.output}`).not.toBe(0);
      return r.output;
    });
    for (const name of Object.keys(KNOWN_BROKEN)) {
      expect(ALERT_TESTS[name], name).toBeDefined();
      expect(outputs.join("\n"), `${name} fires now: remove it from KNOWN_BROKEN`).toContain(`name: ${name} fires,`);
    }
  });
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
