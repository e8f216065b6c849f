import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertmanagerConfigFiles } from "../../components/monitoring/files";
import { parseConfig } from "../../stacks/config";
import { stackConfig } from "../harness";
import { freePort } from "./support";
import { ensurePrometheusInstalled } from "./support/prometheus";
import { waitFor } from "./support/redis";

// The real Alertmanager (0.28.1, the version the stacks ship) with the prod stack's alertmanager.yml, on loopback:
// alerts posted to its API are inhibited exactly as the config means. Delivery is not
// tested here (the receivers point at the company relay); inhibition is decided before it.

let dir: string;
let port: number;
let server: ChildProcess | undefined;
let amtool: string;

const NS = "blacklake";
const alert = (labels: Record<string, string>) => ({ labels: { namespace: NS, ...labels }, annotations: {}, startsAt: new Date().toISOString() });
const base = () => `http://127.0.0.1:${port}/api/v2`;

beforeAll(async () => {
  const tools = ensurePrometheusInstalled();
  amtool = tools.amtool;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "alertmanager-it-"));
  const files = alertmanagerConfigFiles(parseConfig(stackConfig("prod")).monitoring);
  fs.writeFileSync(path.join(dir, "alertmanager.yml"), files["alertmanager.yml"]!);
  port = await freePort();
  const log = fs.openSync(path.join(dir, "alertmanager.log"), "a");
  server = spawn(
    tools.alertmanager,
    [`--config.file=${path.join(dir, "alertmanager.yml")}`, `--storage.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address="],
    { stdio: ["ignore", log, log] },
  );
  fs.closeSync(log);
  await waitFor(() => fs.readFileSync(path.join(dir, "alertmanager.log"), "utf8").includes("Listening"), `Alertmanager on ${port}`, 30_000);
}, 120_000);

afterAll(() => {
  server?.kill("SIGKILL");
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The state of each posted alert, keyed by its persistentvolumeclaim and severity. */
async function states(): Promise<Record<string, string>> {
  const alerts = (await (await fetch(`${base()}/alerts`)).json()) as { labels: Record<string, string>; status: { state: string } }[];
  return Object.fromEntries(alerts.map((a) => [`${a.labels.alertname} ${a.labels.persistentvolumeclaim ?? a.labels.instance ?? ""}`.trim(), a.status.state]));
}

describe("the prod alertmanager.yml in the real Alertmanager", () => {
  it("routes the Watchdog to the heartbeat receiver, criticals to critical and warnings to warning (amtool config routes test)", () => {
    const route = (labels: string[]) =>
      execFileSync(amtool, ["config", "routes", "test", `--config.file=${path.join(dir, "alertmanager.yml")}`, ...labels], { encoding: "utf8" }).trim();
    expect(route(["alertname=Watchdog", "severity=info", `namespace=${NS}`])).toBe("heartbeat");
    expect(route(["alertname=PostgresDown", "severity=critical", `namespace=${NS}`])).toBe("critical");
    expect(route(["alertname=JobQueueDepthHigh", "severity=warning", `namespace=${NS}`])).toBe("warning");
  });

  it("inhibits a warning only by a critical of the same family on the same object", async () => {
    const volume = (alertname: string, severity: string, pvc: string) => alert({ alertname, severity, alertgroup: "VolumeUsage", persistentvolumeclaim: pvc });
    const posted = await fetch(`${base()}/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([
        volume("VolumeUsageCritical", "critical", "data-postgres-0"),
        volume("VolumeUsageHigh", "warning", "data-postgres-0"),
        volume("VolumeUsageHigh", "warning", "data-redis-0"),
      ]),
    });
    expect(posted.status).toBe(200);
    let seen: Record<string, string> = {};
    for (let i = 0; i < 50 && seen["VolumeUsageHigh data-postgres-0"] !== "suppressed"; i++) {
      seen = await states();
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(seen).toEqual({
      "VolumeUsageCritical data-postgres-0": "active",
      "VolumeUsageHigh data-postgres-0": "suppressed",
      // Another volume's warning stays: with equal: [namespace, alertgroup] it was silenced.
      "VolumeUsageHigh data-redis-0": "active",
    });
  });
});
