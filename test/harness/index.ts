import * as path from "node:path";
import { configFromStackFile, type RawConfig } from "../../stacks/config";
import { type CapturedResource, type MockCaller, runUnderMocks } from "../../scripts/synth/mockRuntime";

// The unit tests' view of a program run: every registered resource, and small queries
// over them. The program itself is the real one; only the engine is mocked.

export const ROOT = path.resolve(__dirname, "../..");
export const STACKS = ["dev", "staging", "prod"] as const;
export type StackName = (typeof STACKS)[number];

export function stackConfig(stack: StackName): RawConfig {
  return configFromStackFile(path.join(ROOT, `Pulumi.${stack}.yaml`));
}

export class Registered {
  constructor(readonly resources: CapturedResource[]) {}

  ofType(type: string): CapturedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The resource of that type by its Pulumi name, or (a Kubernetes object) by its own metadata.name. */
  one(type: string, name: string): CapturedResource {
    const found = this.named(type, name);
    if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
    return found[0]!;
  }

  has(type: string, name: string): boolean {
    return this.named(type, name).length > 0;
  }

  private named(type: string, name: string): CapturedResource[] {
    const ofType = this.ofType(type);
    const byPulumiName = ofType.filter((r) => r.name === name);
    return byPulumiName.length > 0 ? byPulumiName : ofType.filter((r) => kubernetesName(r) === name);
  }

  childrenOf(parentName: string): CapturedResource[] {
    return this.resources.filter((r) => r.parent === parentName);
  }

  kubernetesObjects(): CapturedResource[] {
    return this.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
  }
}

/** A Kubernetes object's metadata.name, which a component's Pulumi name may prefix (monitoring-prometheus: prometheus). */
export function kubernetesName(r: CapturedResource): string | undefined {
  const name = (r.inputs as { metadata?: { name?: unknown } }).metadata?.name;
  return typeof name === "string" ? name : undefined;
}

/** A workload's pod template: spec.template (Deployment, StatefulSet, Job) or a CronJob's spec.jobTemplate.spec.template. */
export function podTemplateOf(r: CapturedResource): { metadata?: Record<string, any>; spec?: Record<string, any> } | undefined {
  const spec = (r.inputs as { spec?: Record<string, any> }).spec;
  return spec?.template ?? spec?.jobTemplate?.spec?.template;
}

const committedRuns = new Map<StackName, Promise<Registered>>();

/**
 * Runs the program for a stack. With the committed stack file the run is shared by the
 * tests of a file (the program is deterministic and tests only read the result), which
 * keeps the unit tier fast; a test that passes its own config gets a run of its own.
 */
export function runStack(stack: StackName, config?: RawConfig, caller?: MockCaller): Promise<Registered> {
  if (config || caller) return runUnderMocks(stack, config ?? stackConfig(stack), undefined, caller).then(({ resources }) => new Registered(resources));
  let run = committedRuns.get(stack);
  if (!run) {
    run = runUnderMocks(stack, stackConfig(stack)).then(({ resources }) => new Registered(Object.freeze(resources) as CapturedResource[]));
    committedRuns.set(stack, run);
  }
  return run;
}

/** The local stack (target "docker"): not in STACKS, which are the Kubernetes environments. */
export function localConfig(): RawConfig {
  return configFromStackFile(path.join(ROOT, "Pulumi.local.yaml"));
}

let localRun: Promise<Registered> | undefined;

/** Runs the program for the local stack; with the committed file the run is shared, like runStack's. */
export function runLocal(config?: RawConfig): Promise<Registered> {
  if (config) return runUnderMocks("local", config).then(({ resources }) => new Registered(resources));
  localRun ??= runUnderMocks("local", localConfig()).then(({ resources }) => new Registered(Object.freeze(resources) as CapturedResource[]));
  return localRun;
}

/**
 * Runs another program than the platform's (an example, or one component on its own)
 * under the same mocks; `values` are its config, keyed without the project prefix.
 */
export async function runProgram<Outputs>(program: () => Outputs, values: Record<string, unknown> = {}) {
  const { resources, outputs } = await runUnderMocks("example", { values, secretPaths: [] }, program);
  return { registered: new Registered(resources), outputs };
}
