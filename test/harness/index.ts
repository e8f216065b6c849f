import * as path from "node:path";
import { configFromStackFile, RawConfig } from "../../stacks/config";
import { CapturedResource, runUnderMocks } from "../../scripts/synth/mockRuntime";

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

  one(type: string, name: string): CapturedResource {
    const found = this.resources.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
    return found[0];
  }

  has(type: string, name: string): boolean {
    return this.resources.some((r) => r.type === type && r.name === name);
  }

  childrenOf(parentName: string): CapturedResource[] {
    return this.resources.filter((r) => r.parent === parentName);
  }

  kubernetesObjects(): CapturedResource[] {
    return this.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
  }
}

export async function runStack(stack: StackName, config: RawConfig = stackConfig(stack)): Promise<Registered> {
  const { resources } = await runUnderMocks(stack, config);
  return new Registered(resources);
}
