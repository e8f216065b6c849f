import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CONFIG_RELOADER_SCRIPT } from "../../components/monitoring/alertmanager";
import { alertmanagerConfigFiles } from "../../components/monitoring/files";
import { selfMonitoringMixin } from "../../components/monitoring/mixin";
import { prometheusArgs } from "../../components/monitoring/prometheus";
import { WATCHDOG_ALERT } from "../../components/monitoring/render";
import { parseConfig } from "../../stacks/config";
import { ROOT, stackConfig } from "../harness";
import { selectedNames } from "../harness/exporterCoverage";
import { parseExposition } from "../harness/exposition";
import { freePort } from "./support";
import { recordOrCompare } from "./support/metrics";
import { waitFor } from "./support/redis";
import { ensurePrometheusInstalled, writeFiles } from "./support/prometheus";

// The real Prometheus (3.4.1) and Alertmanager (0.28.1), the versions the stacks ship, on
// loopback with the prod stack's files as synthesized: the rule files load and evaluate
// without an error, the Watchdog travels from the rules to Alertmanager, a changed rule
// file is reloaded in place and a broken one is refused while the old rules keep running
// (what PrometheusConfigReloadFailed watches), and Alertmanager's config-reloader (its
// script under busybox sh, as in the Alertmanager image) does the same for
// alertmanager.yml. Their own /metrics are recorded in
// test/fixtures/metrics (prometheus.txt, alertmanager.txt) for the series the
// self-monitoring mixin selects. Service discovery finds nothing here (no API server), so
// nothing is scraped: the servers' own behaviour is under test, not the targets.

const RELOAD_INTERVAL = "1s";
let dir: string;
let promPort: number;
let amPort: number;
const servers: ChildProcess[] = [];
let ruleFile: string;
let ruleFileText: string;

const prom = (p: string) => `http://127.0.0.1:${promPort}${p}`;
const am = (p: string) => `http://127.0.0.1:${amPort}${p}`;
const json = async (url: string) => (await (await fetch(url)).json()) as any;
const text = async (url: string) => (await fetch(url)).text();

/** A gauge without labels from a server's /metrics. */
async function gauge(url: string, name: string): Promise<number | undefined> {
  const line = (await text(url)).split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
}

function start(binary: string, args: string[], name: string): void {
  const log = fs.openSync(path.join(dir, `${name}.log`), "a");
  servers.push(spawn(binary, args, { cwd: dir, stdio: ["ignore", log, log] }));
  fs.closeSync(log);
}

/** The rule groups Prometheus has loaded, by name. */
async function loadedGroups(): Promise<{ name: string; rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[] }[]> {
  return (await json(prom("/api/v1/rules"))).data.groups;
}

beforeAll(async () => {
  const tools = ensurePrometheusInstalled();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "monitoring-servers-"));
  [promPort, amPort] = [await freePort(), await freePort()];
  const { runUnderMocks } = await import("../../scripts/synth/mockRuntime");
  const { synthTree } = await import("../../scripts/synth/render");
  const tree = synthTree((await runUnderMocks("prod", stackConfig("prod"))).resources);

  // Paths inside the pods, moved under the temp dir with the files they name; Alertmanager's
  // in-cluster names to the one on loopback.
  const relocate = (t: string) =>
    t
      .replaceAll("/etc/prometheus/", `${dir}/etc/prometheus/`)
      .replaceAll("/var/run/secrets/kubernetes.io/serviceaccount/", `${dir}/serviceaccount/`)
      .replace(/alertmanager-\d+\.alertmanager-pods\.[a-z0-9-]+\.svc:\d+/g, `127.0.0.1:${amPort}`);
  for (const [p, content] of tree.entries()) {
    if (!/\/prometheus-(config|rules)\//.test(p)) continue;
    const target = p.includes("/prometheus-config/") ? "etc/prometheus/config" : "etc/prometheus/rules";
    writeFiles(path.join(dir, target), { [path.basename(p)]: relocate(content) });
  }
  writeFiles(path.join(dir, "etc/prometheus/secrets/minio-prometheus-token"), { token: "jwt" });
  writeFiles(path.join(dir, "etc/prometheus/ca"), { "ca.crt": "" });
  writeFiles(path.join(dir, "serviceaccount"), { token: "sa-token", "ca.crt": "" });
  ruleFile = path.join(dir, "etc/prometheus/rules", fs.readdirSync(path.join(dir, "etc/prometheus/rules")).sort()[0]!);
  ruleFileText = fs.readFileSync(ruleFile, "utf8");

  // alertmanager.yml is a Secret's (the synth leaves it out): rendered as the component renders it.
  const settings = parseConfig(stackConfig("prod")).monitoring;
  writeFiles(path.join(dir, "am"), alertmanagerConfigFiles(settings));
  start(
    tools.alertmanager,
    [`--config.file=${dir}/am/alertmanager.yml`, `--storage.path=${dir}/am/data`, `--web.listen-address=127.0.0.1:${amPort}`, "--cluster.listen-address="],
    "alertmanager",
  );

  // The StatefulSet's own command line, with its paths and port moved here and a faster reload check.
  const args = prometheusArgs(settings).map((a) =>
    a.startsWith("--web.listen-address=")
      ? `--web.listen-address=127.0.0.1:${promPort}`
      : a.startsWith("--config.auto-reload-interval=")
        ? `--config.auto-reload-interval=${RELOAD_INTERVAL}`
        : a.startsWith("--storage.tsdb.path=")
          ? `--storage.tsdb.path=${dir}/prometheus-data`
          : relocate(a),
  );
  start(tools.prometheus, args, "prometheus");
  await waitFor(async () => (await fetch(prom("/-/ready"))).ok && (await fetch(am("/-/ready"))).ok, `Prometheus on ${promPort} and Alertmanager on ${amPort}`, 60_000).catch(
    (e) => {
      const tail = (name: string) =>
        fs
          .readFileSync(path.join(dir, `${name}.log`), "utf8")
          .split("\n")
          .slice(-15)
          .join("\n");
      throw new Error(`${e.message}\nprometheus.log:\n${tail("prometheus")}\nalertmanager.log:\n${tail("alertmanager")}`);
    },
  );
}, 1_800_000);

afterAll(() => {
  for (const s of servers) s.kill("SIGKILL");
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("Alertmanager's config-reloader (its script under busybox sh) with the real Alertmanager 0.28.1", () => {
  const amFile = () => path.join(dir, "am/alertmanager.yml");
  const original = async () => (await json(am("/api/v2/status"))).config.original as string;
  let good: string;

  beforeAll(async () => {
    execFileSync("bash", [path.join(ROOT, "scripts/integration/install-redis.sh")], { stdio: "ignore" }); // brings busybox
    const bin = path.join(dir, "busybox-bin");
    fs.mkdirSync(bin, { recursive: true });
    for (const applet of ["sh", "sha256sum", "wget", "sleep", "echo", "["]) fs.symlinkSync("/usr/bin/busybox", path.join(bin, applet));
    good = fs.readFileSync(amFile(), "utf8");
    const env = { PATH: bin, CONFIG_FILE: amFile(), RELOAD_URL: am("/-/reload"), INTERVAL_SECONDS: "1" };
    const log = fs.openSync(path.join(dir, "config-reloader.log"), "a");
    servers.push(spawn(path.join(bin, "sh"), ["-c", CONFIG_RELOADER_SCRIPT], { env, stdio: ["ignore", log, log] }));
    fs.closeSync(log);
    // It has read the file it compares with once it says it is watching.
    await waitFor(async () => fs.readFileSync(path.join(dir, "config-reloader.log"), "utf8").includes("watching"), "the reloader to start", 10_000);
  });

  it("reloads a changed alertmanager.yml in place: the new routing is in effect, the process is the same", async () => {
    const pid = servers[0]!.pid;
    expect(good).toMatch(/repeat_interval: 12h/);
    fs.writeFileSync(amFile(), good.replace(/repeat_interval: 12h/, "repeat_interval: 11h"));
    await waitFor(async () => (await original()).includes("repeat_interval: 11h"), "the reloaded configuration", 30_000).catch((e) => {
      throw new Error(`${e.message}; config-reloader.log:\n${fs.readFileSync(path.join(dir, "config-reloader.log"), "utf8")}`);
    });
    expect(servers[0]!.pid).toBe(pid);
    expect(await gauge(am("/metrics"), "alertmanager_config_last_reload_successful")).toBe(1);
  }, 60_000);

  it("refuses a broken alertmanager.yml, keeps routing with the previous one, and says so in alertmanager_config_last_reload_successful", async () => {
    fs.writeFileSync(amFile(), "route: [\n");
    await waitFor(async () => (await gauge(am("/metrics"), "alertmanager_config_last_reload_successful")) === 0, "a failed reload", 30_000);
    expect(await original()).toContain("repeat_interval: 11h");
    fs.writeFileSync(amFile(), good);
    await waitFor(async () => (await gauge(am("/metrics"), "alertmanager_config_last_reload_successful")) === 1, "a good reload", 30_000);
  }, 60_000);
});

describe("the prod stack's monitoring in the real Prometheus 3.4.1 and Alertmanager 0.28.1", () => {
  it("loads every rule group of every rule file, and evaluates each rule without an error", async () => {
    const files = fs.readdirSync(path.join(dir, "etc/prometheus/rules")).map((f) => parse(fs.readFileSync(path.join(dir, "etc/prometheus/rules", f), "utf8")));
    const expected = files.flatMap((f: any) => f.groups.map((g: any) => g.name)).sort();
    await waitFor(async () => (await loadedGroups()).every((g) => g.rules.every((r) => r.lastEvaluation > "2000")), "one evaluation of every rule", 120_000);
    const groups = await loadedGroups();
    expect(groups.map((g) => g.name).sort()).toEqual(expected);
    expect(groups.flatMap((g) => g.rules.filter((r) => r.health !== "ok").map((r) => `${g.name}/${r.name}: ${r.health} ${r.lastError ?? ""}`))).toEqual([]);
    expect(await gauge(prom("/metrics"), "prometheus_config_last_reload_successful")).toBe(1);
  }, 180_000);

  it("sends the always-firing Watchdog to Alertmanager (the dead man's switch, end to end)", async () => {
    await waitFor(async () => (await json(am("/api/v2/alerts"))).some((a: any) => a.labels.alertname === WATCHDOG_ALERT), `${WATCHDOG_ALERT} in Alertmanager`, 120_000);
    const watchdog = (await json(am("/api/v2/alerts"))).find((a: any) => a.labels.alertname === WATCHDOG_ALERT);
    expect(watchdog.labels.severity).toBe("info");
    expect(watchdog.receivers.map((r: any) => r.name)).toEqual(["heartbeat"]);
  }, 180_000);

  it("reloads a changed rule file in place: the new group is evaluated, the process is the same", async () => {
    const pid = servers[1]!.pid;
    fs.writeFileSync(ruleFile, `${ruleFileText}\n  - name: reload.probe\n    rules:\n      - record: blacklake:reload_probe\n        expr: vector(1)\n`);
    await waitFor(async () => (await loadedGroups()).some((g) => g.name === "reload.probe"), "the new group", 30_000);
    expect(servers[1]!.pid).toBe(pid);
    expect(servers[1]!.exitCode).toBeNull();
  }, 60_000);

  it("refuses a broken rule file, keeps the rules it runs, and says so in prometheus_config_last_reload_successful", async () => {
    const before = (await loadedGroups()).map((g) => g.name).sort();
    fs.writeFileSync(ruleFile, `${ruleFileText}\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: sum(\n`);
    await waitFor(async () => (await gauge(prom("/metrics"), "prometheus_config_last_reload_successful")) === 0, "a failed reload", 30_000);
    expect((await loadedGroups()).map((g) => g.name).sort()).toEqual(before);
    fs.writeFileSync(ruleFile, ruleFileText);
    await waitFor(async () => (await gauge(prom("/metrics"), "prometheus_config_last_reload_successful")) === 1, "a good reload", 30_000);
  }, 90_000);

  it("produce the series the self-monitoring rules select, with the recorded label sets", async () => {
    const selected = selectedNames([
      selfMonitoringMixin({ namespace: "x", prometheus: { podSelector: {}, portName: "http" }, alertmanager: { podSelector: {}, portName: "http" } }),
    ]);
    for (const [server, url] of [
      ["prometheus", prom("/metrics")],
      ["alertmanager", am("/metrics")],
    ] as const) {
      // The rule files' paths as they are in the pod.
      const exposition = (await text(url)).replaceAll(dir, "");
      const names = new Set(parseExposition(exposition).map((s) => s.name));
      const mine = [...selected].filter((n) => n.startsWith(`${server}_`));
      expect(
        mine.filter((n) => !names.has(n)),
        `${server} does not produce`,
      ).toEqual([]);
      const version = (await json(server === "prometheus" ? prom("/api/v1/status/buildinfo") : am("/api/v2/status")))[server === "prometheus" ? "data" : "versionInfo"].version;
      recordOrCompare(server, exposition, [`Recorded by test/integration/monitoring-servers.test.ts (RECORD_METRICS=1) from ${server} ${version}, the prod stack's files.`], (n) =>
        mine.includes(n),
      );
    }
  }, 60_000);
});
