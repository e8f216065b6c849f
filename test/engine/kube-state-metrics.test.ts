import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { KUBE_STATE_METRICS_ARGS } from "../../components/monitoring/kubeStateMetrics";
import { stackMonitoring } from "../../scripts/docs/alerts";
import { selectedNames } from "../harness/exporterCoverage";
import { parseExposition } from "../harness/exposition";
import { ensureExportersInstalled, freePort } from "../integration/support";
import { recordOrCompare } from "../integration/support/metrics";
import { waitFor } from "../integration/support/redis";
import { ControlPlane, synthToDisk } from "./support";

// kube-state-metrics 2.15.0, the version the stacks deploy, with its container's command
// line, watching the real kube-apiserver after the prod stack's objects were applied: the
// series of every kube_* family the prod rules and dashboards select, recorded in
// test/fixtures/metrics/kube-state-metrics.txt (RECORD_METRICS=1) or compared with it.
// There is no kubelet, so what a kubelet would report is written into the objects' status
// by the test (a Job's pods succeeding or failing, a container's restarts); the labels
// kube-state-metrics puts on them are its own.

let plane: ControlPlane;
let ksm: ChildProcess | undefined;
let metricsUrl: string;
let namespace: string;
let selected: string[];
let logFile: string;
/** The local port of each of the container's named ports. */
let portOf: Record<string, number>;
/** The Deployment's container, as synthesized. */
let container: { readinessProbe: { httpGet: { path: string; port: string } }; livenessProbe: { httpGet: { path: string; port: string } } };

const kubectl = (args: string[]) => {
  const r = plane.kubectl(args);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
};

/** The pods of a Job, as the job controller made them. */
const jobPods = (job: string) =>
  kubectl(["-n", namespace, "get", "pods", "-l", `job-name=${job}`, "-o", "name"])
    .split("\n")
    .filter(Boolean);

/** Sets a pod's phase, as its kubelet would when its containers end. */
const finishPod = (pod: string, phase: "Succeeded" | "Failed") =>
  kubectl(["-n", namespace, "patch", pod, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: { phase } })]);

beforeAll(async () => {
  const ksmBin = ensureExportersInstalled().get("kube-state-metrics");
  if (!ksmBin) throw new Error("install-exporters.sh built no kube-state-metrics");
  // The controllers that make a Deployment's pods and run a Job (no scheduler or kubelet: pods stay Pending).
  plane = await ControlPlane.start({ controllers: ["deployment", "replicaset", "job"] });
  plane.installCertManagerCrds();
  const synth = await synthToDisk("prod");
  namespace = synth.namespace;
  const deployment = parse(fs.readFileSync(path.join(synth.namespacedDir, "deployment-kube-state-metrics.yaml"), "utf8"));
  container = deployment.spec.template.spec.containers[0];
  for (const dir of [synth.clusterDir, synth.namespacedDir]) kubectl(["apply", "--server-side", "--field-manager=blacklake", "-f", dir]);

  // What the prod stack's Prometheus evaluates and shows, from kube-state-metrics.
  const { mixins } = await stackMonitoring("prod");
  selected = [...selectedNames(mixins)].filter((n) => n.startsWith("kube_")).sort();

  // A backup run that fails and a restore drill that succeeds (their pods end as a kubelet would say).
  const failed = "postgres-backup-repo1-full-29000001";
  const drill = "postgres-restore-drill-29000002";
  kubectl(["-n", namespace, "create", "job", `--from=cronjob/postgres-backup-repo1-full`, failed]);
  kubectl(["-n", namespace, "create", "job", `--from=cronjob/postgres-restore-drill`, drill]);
  await waitFor(() => jobPods(failed).length > 0 && jobPods(drill).length > 0, "the Jobs' pods", 120_000, 1000);
  for (const pod of jobPods(failed)) finishPod(pod, "Failed");
  for (const pod of jobPods(drill)) finishPod(pod, "Succeeded");
  await waitFor(() => kubectl(["-n", namespace, "get", "job", drill, "-o", "jsonpath={.status.completionTime}"]) !== "", "the drill's completion", 120_000, 1000);
  // The CronJob controller records a success only for the runs it started: written as it would.
  kubectl([
    "-n",
    namespace,
    "patch",
    "cronjob",
    "postgres-restore-drill",
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify({ status: { lastSuccessfulTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") } }),
  ]);
  // A container that restarted, as the kubelet reports it.
  await waitFor(() => kubectl(["-n", namespace, "get", "pods", "-l", "app.kubernetes.io/name=api", "-o", "name"]).trim() !== "", "the API's pods", 120_000, 1000);
  const apiPod = kubectl(["-n", namespace, "get", "pods", "-l", "app.kubernetes.io/name=api", "-o", "name"]).split("\n")[0]!;
  const spec = JSON.parse(kubectl(["-n", namespace, "get", apiPod, "-o", "json"]));
  const containerStatuses = spec.spec.containers.map((c: { name: string; image: string }) => ({
    name: c.name,
    image: c.image,
    imageID: "",
    ready: false,
    restartCount: 4,
    state: { waiting: { reason: "CrashLoopBackOff" } },
  }));
  kubectl(["-n", namespace, "patch", apiPod, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: { containerStatuses } })]);

  // kube-state-metrics with its container's arguments, on loopback, reading the API server as its service account would.
  const [port, telemetry] = [await freePort(), await freePort()];
  portOf = { "http-metrics": port, telemetry };
  const args = KUBE_STATE_METRICS_ARGS.map((a) => a.replace(/^--port=\d+$/, `--port=${port}`).replace(/^--telemetry-port=\d+$/, `--telemetry-port=${telemetry}`));
  logFile = path.join(plane.dir, "kube-state-metrics.log");
  const log = fs.openSync(logFile, "a");
  ksm = spawn(ksmBin, [...args, "--host=127.0.0.1", "--telemetry-host=127.0.0.1", `--kubeconfig=${plane.kubeconfig}`], { stdio: ["ignore", log, log] });
  fs.closeSync(log);
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
}, 900_000);

afterAll(() => {
  ksm?.kill("SIGKILL");
  plane?.stop();
});

describe("kube-state-metrics 2.15.0 watching the prod stack's objects on the real kube-apiserver", () => {
  it("answers its Deployment's readiness and liveness probes, each on its own path and port", async () => {
    const probes = { readiness: container.readinessProbe.httpGet, liveness: container.livenessProbe.httpGet };
    expect(probes.readiness.path).not.toBe(probes.liveness.path);
    for (const [which, get] of Object.entries(probes)) {
      const url = `http://127.0.0.1:${portOf[get.port]}${get.path}`;
      await waitFor(async () => (await fetch(url)).status === 200, `${which} ${url}`, 60_000, 1000);
    }
  }, 120_000);

  it("produces every kube_* family the prod rules and dashboards select, and the recording holds their label sets", async () => {
    let text = "";
    const missing = () => {
      const names = new Set(parseExposition(text).map((s) => s.name));
      return selected.filter((n) => !names.has(n));
    };
    await waitFor(
      async () => {
        text = await (await fetch(metricsUrl)).text();
        return missing().length === 0;
      },
      "every selected family",
      120_000,
      1000,
    ).catch((e) => {
      throw new Error(`${e.message}; missing: ${missing().join(", ")}\n${fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").slice(-2000) : ""}`);
    });
    expect(selected.length).toBeGreaterThan(5);
    const version = /kube-state-metrics, version (\S+)/.exec(fs.readFileSync(logFile, "utf8"))?.[1] ?? "2.15.0";
    recordOrCompare(
      "kube-state-metrics",
      text,
      [
        `Recorded by test/engine/kube-state-metrics.test.ts (RECORD_METRICS=1) from kube-state-metrics ${version} watching the prod stack's objects; only the families the rules and dashboards select.`,
      ],
      (n) => selected.includes(n),
    );
  }, 300_000);
});
