/**
 * npm run bench:preview: how long a reviewer waits for the plan, printed as one JSON line.
 *
 * - mock: the program's evaluation under the mock runtime (synth), per stack;
 * - preview: the real `pulumi preview` with the policy pack, per stack (staging and prod
 *   against a kube-apiserver on loopback, --no-cloud as in the engine tier), and the
 *   resources it plans; previewWithoutPolicyPack: the same without the pack, to show its share;
 * - floor: `kubectl apply --server-side --dry-run=server` of the same objects (rendered
 *   by the mock runtime, as `npm run synth` writes them; prod refuses renderYamlToDirectory)
 *   on the same API server: what any tool that asks the server about every object must
 *   pay. Target: prod's preview <= 3x its floor.
 *
 * Each figure is the median of BENCH_RUNS runs (default 3). Not a test: a busy machine
 * moves the numbers, which is why they are measured here and not asserted.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runUnderMocks } from "../synth/mockRuntime";
import { stackConfig, STACKS, type StackName } from "../../test/harness";
import { ControlPlane, engine, type EngineOptions, synthToDisk } from "../../test/engine/support";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function median(xs: number[]): number {
  const middle = [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  if (middle === undefined) throw new Error("median of no runs");
  return middle;
}
const round = (x: number) => Math.round(x * 100) / 100;
const log = (line: string) => process.stderr.write(`[bench:preview] ${line}\n`);

async function mockSeconds(stack: StackName): Promise<{ seconds: number; resources: number }> {
  const times: number[] = [];
  let resources = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    resources = (await runUnderMocks(stack, stackConfig(stack))).resources.length;
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { seconds: median(times), resources };
}

function previewSeconds(stack: StackName, options: EngineOptions): { seconds: number; resources: number } {
  const times: number[] = [];
  let resources = 0;
  for (let i = 0; i < RUNS; i++) {
    const preview = engine("preview", stack, options);
    if (preview.status !== 0 || !preview.report) throw new Error(`preview of ${stack} failed:\n${preview.output.slice(-4000)}`);
    times.push(preview.report.seconds);
    resources = preview.report.steps.length;
  }
  return { seconds: median(times), resources };
}

/** The stack's Kubernetes objects, as the mock runtime renders them, applied with a server-side dry run. */
async function dryRunFloorSeconds(stack: StackName, plane: ControlPlane): Promise<{ seconds: number; objects: number }> {
  const synth = await synthToDisk(stack);
  try {
    // Namespaced objects need their namespace to exist, even in a dry run.
    const namespace = synth.objects.find((o) => o.kind === "Namespace")!;
    plane.kubectl(["create", "namespace", namespace.metadata.name]);
    return { seconds: dryRunSeconds(stack, plane, path.join(synth.dir, "manifests")), objects: synth.objects.length };
  } finally {
    fs.rmSync(synth.dir, { recursive: true, force: true });
  }
}

function dryRunSeconds(stack: StackName, plane: ControlPlane, dir: string): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const result = plane.kubectl(["apply", "--server-side", "--dry-run=server", "--field-manager=pulumi-kubernetes", "-R", "-f", dir]);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    if (result.status !== 0) throw new Error(`kubectl dry run of ${stack} failed: ${result.stderr}`);
  }
  return median(times);
}

async function main() {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "blacklake-bench-preview-"));
  const plane = await ControlPlane.start();
  try {
    plane.installCertManagerCrds();
    // A preview never waits, so no skipAwait (which prod refuses).
    const cluster: EngineOptions = { stateDir, kubeconfig: plane.kubeconfig, noCloud: true };
    const result: Record<string, unknown> = {
      bench: "preview",
      runs: RUNS,
      cpus: os.cpus().length,
      mock: {},
      preview: {},
      previewWithoutPolicyPack: {},
      floor: {},
      ratio: {},
    };
    for (const stack of STACKS) {
      log(`mock runtime: ${stack}`);
      (result.mock as Record<string, unknown>)[stack] = await mockSeconds(stack);
    }
    for (const stack of STACKS) {
      log(`real preview: ${stack}`);
      const options = stack === "dev" ? { stateDir, set: { "kubernetes.renderYamlToDirectory": path.join(stateDir, "dev-manifests") } } : cluster;
      (result.preview as Record<string, unknown>)[stack] = previewSeconds(stack, options);
      (result.previewWithoutPolicyPack as Record<string, unknown>)[stack] = previewSeconds(stack, { ...options, policy: false });
    }
    for (const stack of ["staging", "prod"] as const) {
      log(`kubectl apply --dry-run=server: ${stack}`);
      const floor = await dryRunFloorSeconds(stack, plane);
      (result.floor as Record<string, unknown>)[stack] = floor;
      const preview = (result.preview as Record<string, { seconds: number }>)[stack];
      if (!preview) throw new Error(`no preview figure for ${stack}`);
      (result.ratio as Record<string, unknown>)[stack] = round(preview.seconds / floor.seconds);
    }
    result.target = "prod preview <= 3x its kubectl dry-run floor";
    result.targetMet = ((result.ratio as Record<string, number>).prod ?? Number.POSITIVE_INFINITY) <= 3;
    process.stdout.write(`${JSON.stringify(result, (_k, v) => (typeof v === "number" ? round(v) : v))}\n`);
  } finally {
    plane.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`bench:preview: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
