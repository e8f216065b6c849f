import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { parse, parseAllDocuments } from "yaml";
import { runUnderMocks } from "../../scripts/synth/mockRuntime";
import { synthTree } from "../../scripts/synth/render";
import { type EngineReport, type PlannedStep, TOOLS_PULUMI_HOME, workspaceDir } from "../../scripts/engine/pulumi";
import type { KubernetesObject } from "../../scripts/synth/render";
import { ROOT, stackConfig, type STACKS } from "../harness";
import { freePort } from "../integration/support/cluster";

// A real kube-apiserver (with etcd and kube-controller-manager) on 127.0.0.1, started
// and stopped by the test itself through scripts/engine/control-plane.sh.

const ENGINE = path.join(ROOT, "scripts/engine");

function binDirs(): string[] {
  const result = spawnSync("bash", [path.join(ENGINE, "env.sh")], { encoding: "utf8" });
  return result.stdout.split("\n").filter(Boolean);
}

export function engineEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PATH: [...binDirs(), process.env.PATH].join(":"), ...extra };
}

export class ControlPlane {
  private constructor(
    readonly dir: string,
    readonly env: NodeJS.ProcessEnv,
    readonly kubeconfig: string,
  ) {}

  /** `controllers`: kube-controller-manager's, beyond the default namespace, garbage collector and service account ones. */
  static async start(o: { controllers?: string[] } = {}): Promise<ControlPlane> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "blacklake-control-plane-"));
    const env = engineEnv({
      BL_ETCD_CLIENT_PORT: String(await freePort()),
      BL_ETCD_PEER_PORT: String(await freePort()),
      BL_APISERVER_PORT: String(await freePort()),
      ...(o.controllers ? { BL_KCM_CONTROLLERS: ["namespace", "garbagecollector", "serviceaccount", "serviceaccount-token", ...o.controllers].join(",") } : {}),
    });
    const started = spawnSync("bash", [path.join(ENGINE, "control-plane.sh"), "start", dir], { env, encoding: "utf8", timeout: 180_000 });
    const plane = new ControlPlane(dir, env, path.join(dir, "kubeconfig"));
    if (started.status !== 0) {
      plane.stop();
      throw new Error(`control plane did not start (exit ${started.status}):\n${started.stderr}`);
    }
    return plane;
  }

  kubectl(args: string[], input?: string): SpawnSyncReturns<string> {
    return spawnSync("kubectl", ["--kubeconfig", this.kubeconfig, ...args], {
      env: this.env,
      encoding: "utf8",
      input,
      timeout: 120_000,
    });
  }

  /**
   * cert-manager's CustomResourceDefinitions (the real ones, from its Go module), so the
   * stacks' Certificates are stored and validated against cert-manager's own schema. No
   * controller runs: nothing signs them, as nothing runs the pods either.
   */
  installCertManagerCrds(): void {
    const dir = spawnSync("bash", [path.join(ENGINE, "cert-manager-crds.sh")], { env: this.env, encoding: "utf8", timeout: 300_000 });
    if (dir.status !== 0) throw new Error(`cert-manager's CRDs could not be fetched:\n${dir.stderr}`);
    const crds = ["certificates", "certificaterequests", "issuers", "clusterissuers"];
    for (const crd of crds) {
      // Server-side: the issuer CRDs are larger than client-side apply's annotation allows.
      const applied = this.kubectl(["apply", "--server-side", "-f", path.join(dir.stdout.trim(), `cert-manager.io_${crd}.yaml`)]);
      if (applied.status !== 0) throw new Error(`kubectl apply of cert-manager's ${crd} CRD failed:\n${applied.stderr}`);
    }
    const established = this.kubectl(["wait", "--for=condition=Established", "--timeout=60s", ...crds.map((c) => `crd/${c}.cert-manager.io`)]);
    if (established.status !== 0) throw new Error(`cert-manager's CRDs were not established:\n${established.stderr}`);
  }

  stop(): void {
    spawnSync("bash", [path.join(ENGINE, "control-plane.sh"), "stop", this.dir], { env: this.env, timeout: 60_000 });
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// The real Pulumi engine, run as users run it: scripts/engine/pulumi.ts in a child process
// (the CLI, the kubernetes and random plugins, the policy pack launcher), on a local file
// backend in a directory of the test's own.

/** The engine tier's passphrase for stacks other than dev. */
export const TEST_PASSPHRASE = "blacklake-engine-tier-only";

export interface EngineOptions {
  stateDir: string;
  set?: Record<string, string>;
  /** Config stored encrypted, as `pulumi config set --secret --path` does. */
  secret?: Record<string, string>;
  /** AWS resources and image builds off: their providers cannot be built here. */
  noCloud?: boolean;
  policy?: boolean;
  kubeconfig?: string;
}

export interface EngineResult {
  status: number | null;
  output: string;
  report?: EngineReport;
}

export function engine(operation: string, stack: string, options: EngineOptions): EngineResult {
  const reportFile = path.join(options.stateDir, `report-${operation}-${stack}-${Date.now()}.json`);
  const args = [path.join(ENGINE, "pulumi.ts"), operation, "--stack", stack, "--state-dir", options.stateDir, "--report", reportFile];
  for (const [key, value] of Object.entries(options.set ?? {})) args.push("--set", `${key}=${value}`);
  for (const [key, value] of Object.entries(options.secret ?? {})) args.push("--secret", `${key}=${value}`);
  if (options.noCloud) args.push("--no-cloud");
  if (options.policy === false) args.push("--no-policy");
  const env = engineEnv(options.kubeconfig ? { KUBECONFIG: options.kubeconfig } : {});
  delete env.PULUMI_BACKEND_URL;
  // dev runs on the driver's own published passphrase, as the README's main job does
  if (stack === "dev") delete env.PULUMI_CONFIG_PASSPHRASE;
  else env.PULUMI_CONFIG_PASSPHRASE = TEST_PASSPHRASE;
  const result = spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), args, { cwd: ROOT, env, encoding: "utf8", timeout: 900_000, maxBuffer: 256 * 1024 * 1024 });
  const output = `${result.stdout}${result.stderr}`;
  const report = fs.existsSync(reportFile) ? (JSON.parse(fs.readFileSync(reportFile, "utf8")) as EngineReport) : undefined;
  return { status: result.status, output, report };
}

/** Steps other than "same": what a reviewer of the preview would read. */
export function changedSteps(report: EngineReport): PlannedStep[] {
  return report.steps.filter((s) => s.op !== "same");
}

/** The checkpoint of a stack on the file backend. */
export function checkpoint(stateDir: string, stack: string): { text: string; resources: { type: string; urn: string; id?: string }[] } {
  const text = fs.readFileSync(path.join(stateDir, ".pulumi/stacks/blacklake", `${stack}.json`), "utf8");
  const resources = (JSON.parse(text).checkpoint?.latest?.resources ?? []) as { type: string; urn: string; id?: string }[];
  return { text, resources };
}

/** Every Kubernetes object in a directory of YAML files (the provider's renderYamlToDirectory). */
export function renderedObjects(dir: string): KubernetesObject[] {
  const objects: KubernetesObject[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.ya?ml$/.test(entry.name)) continue;
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(entry.parentPath, entry.name), "utf8"))) {
      const object = doc.toJS() as KubernetesObject | null;
      if (object?.kind) objects.push(object);
    }
  }
  return objects;
}

export const objectKey = (o: { kind: string; metadata: { name: string; namespace?: string } }) => `${o.kind} ${o.metadata.namespace ?? "-"}/${o.metadata.name}`;

/** The Pulumi CLI itself on a stack the driver ran (e.g. `stack export --show-secrets`). */
export function pulumiCli(stateDir: string, stack: string, args: string[], passphrase = TEST_PASSPHRASE): SpawnSyncReturns<string> {
  const env = engineEnv({
    PULUMI_BACKEND_URL: `file://${stateDir}`,
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    PULUMI_HOME: TOOLS_PULUMI_HOME,
    PULUMI_SKIP_UPDATE_CHECK: "true",
  });
  return spawnSync("pulumi", [...args, "--stack", stack, "--non-interactive"], { cwd: workspaceDir(stateDir, stack), env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
}

/** A stack's synthesized objects on disk: the cluster-scoped and the namespaced manifests in a directory each. */
export async function synthToDisk(stack: (typeof STACKS)[number]) {
  const tree = synthTree((await runUnderMocks(stack, stackConfig(stack))).resources);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `synth-${stack}-`));
  for (const [relative, content] of tree) {
    fs.mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    fs.writeFileSync(path.join(dir, relative), content);
  }
  const objects = [...tree.entries()]
    .filter(([p]) => p.startsWith("manifests/"))
    .map(([, content]) => parse(content) as { kind: string; metadata: { name: string; namespace?: string } });
  const namespace = objects.find((o) => o.kind === "Namespace")!.metadata.name;
  return { dir, objects, namespace, clusterDir: path.join(dir, "manifests/_cluster"), namespacedDir: path.join(dir, "manifests", namespace) };
}
