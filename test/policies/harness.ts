import * as fs from "node:fs";
import * as path from "node:path";
import type {
  EnforcementLevel,
  Policies,
  PolicyPackConfig,
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

// Runs CrossGuard policies the way @pulumi/policy's analyzer server does (server.js:
// analyze / analyzeStack), minus gRPC: same argument shapes, same enforcement-level
// resolution (policy config > policy > pack default), same getConfig (the policy's config
// entry without enforcementLevel), same notApplicable handling. Inputs are captured
// resources from scripts/synth/mockRuntime.ts or hand-written fixtures.

export interface InputResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  urn?: string;
  /** Logical name of the parent resource. */
  parent?: string;
  /** Logical name of the explicit provider. */
  provider?: string;
}

export interface Violation {
  policy: string;
  level: EnforcementLevel;
  message: string;
  /** The resource the violation is about: its URN (resource policies always set it). */
  urn?: string;
  /** `type::name` of the validated resource, for resource policies. */
  resource?: string;
}

export const PACK_ENFORCEMENT_LEVEL: EnforcementLevel = "advisory"; // as in policies/index.ts

const STACK = "test";
const PROJECT = "blacklake";
export const urnOf = (r: InputResource) => r.urn || `urn:pulumi:${STACK}::${PROJECT}::${r.type}::${r.name}`;

class NotApplicableError extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? "not applicable");
  }
}
const throwNotApplicable = (reason?: string): never => {
  throw new NotApplicableError(reason);
};

function isTypeOf(type: string, resourceClass: unknown): boolean {
  const pulumiType = (resourceClass as { __pulumiType?: unknown })?.__pulumiType;
  if (typeof pulumiType === "string" && pulumiType !== "") return type === pulumiType;
  const isInstance = (resourceClass as { isInstance?: (o: unknown) => boolean })?.isInstance;
  return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

function getConfigFor(config: PolicyPackConfig, policyName: string) {
  return <T extends object>(): T => {
    const entry = config[policyName];
    if (!entry || typeof entry === "string") return {} as T;
    const { enforcementLevel: _ignored, ...properties } = entry;
    return properties as T;
  };
}

function levelOf(policy: { name: string; enforcementLevel?: EnforcementLevel }, config: PolicyPackConfig): EnforcementLevel {
  const entry = config[policy.name];
  const configured = typeof entry === "string" ? entry : entry?.enforcementLevel;
  const level = configured || policy.enforcementLevel || PACK_ENFORCEMENT_LEVEL;
  return level === "remediate" ? "mandatory" : level;
}

const isStackPolicy = (p: Policies[number]): p is StackValidationPolicy => typeof (p as StackValidationPolicy).validateStack === "function";
const isResourcePolicy = (p: Policies[number]): p is ResourceValidationPolicy => !isStackPolicy(p);

const clone = <T>(value: T): T => structuredClone(value);

const noOpts = (parentUrn?: string) => ({
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
  ...(parentUrn ? { parent: parentUrn } : {}),
});

/**
 * The engine's PolicyResource view of a stack. The mock runtime does not capture
 * dependencies, so property dependencies are rebuilt from the mock's ids: an input equal
 * to `<name>-id` (what mockRuntime returns as a resource's id) depends on that resource.
 */
export function toPolicyResources(resources: InputResource[]): PolicyResource[] {
  const byName = new Map<string, PolicyResource>();
  const out = resources.map((r): PolicyResource => {
    const props = clone(r.inputs) as Record<string, any>;
    const type = r.type;
    const resource: PolicyResource = {
      type,
      name: r.name,
      urn: urnOf(r),
      props,
      opts: noOpts(),
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => isTypeOf(type, cls),
      asType: ((cls: unknown) => (isTypeOf(type, cls) ? props : undefined)) as PolicyResource["asType"],
    };
    if (r.provider)
      resource.provider = { type: "pulumi:providers:kubernetes", name: r.provider, urn: `urn:pulumi:${STACK}::${PROJECT}::pulumi:providers:kubernetes::${r.provider}`, props: {} };
    if (!byName.has(`${r.name}-id`)) byName.set(`${r.name}-id`, resource); // the mock id; first declared wins
    return resource;
  });
  resources.forEach((r, i) => {
    const resource = out[i]!; // out maps resources one to one
    if (r.parent) {
      const parent = out.find((o) => o.name === r.parent && o !== resource);
      if (parent) {
        resource.parent = parent;
        resource.opts = noOpts(parent.urn);
      }
    }
    for (const [key, value] of Object.entries(resource.props)) {
      const target = typeof value === "string" ? byName.get(value) : undefined;
      if (target && target !== resource) {
        resource.propertyDependencies[key] = [target];
        resource.dependencies.push(target);
      }
    }
  });
  return out;
}

/** Runs every policy over the resources; resource policies see each resource, stack policies the whole stack. */
export async function runPolicies(policies: Policies, resources: InputResource[], config: PolicyPackConfig = {}): Promise<Violation[]> {
  const violations: Violation[] = [];
  const stackResources = toPolicyResources(resources);
  for (const policy of policies) {
    const level = levelOf(policy, config);
    if (level === "disabled") continue;
    const report = (resource?: string, defaultUrn?: string) => (message: string, urn?: string) =>
      violations.push({ policy: policy.name, level, message, urn: urn ?? defaultUrn, resource });
    try {
      if (isResourcePolicy(policy)) {
        if (!policy.validateResource) continue;
        const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
        for (const r of stackResources) {
          for (const validate of validations) {
            const args: ResourceValidationArgs = {
              type: r.type,
              props: clone(r.props),
              urn: r.urn,
              name: r.name,
              opts: r.opts,
              stackTags: new Map(),
              isType: (cls) => isTypeOf(r.type, cls),
              asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? args.props : undefined)) as ResourceValidationArgs["asType"],
              getConfig: getConfigFor(config, policy.name),
              notApplicable: throwNotApplicable,
              ...(r.provider ? { provider: r.provider } : {}),
            };
            try {
              await validate(args, report(`${r.type}::${r.name}`, r.urn));
            } catch (e) {
              if (!(e instanceof NotApplicableError)) throw e;
            }
          }
        }
      } else {
        const args: StackValidationArgs = {
          resources: stackResources,
          stackTags: new Map(),
          getConfig: getConfigFor(config, policy.name),
          notApplicable: throwNotApplicable,
        };
        await policy.validateStack(args, report());
      }
    } catch (e) {
      if (e instanceof NotApplicableError) continue;
      throw new Error(`policy ${policy.name} threw: ${(e as Error).stack ?? e}`);
    }
  }
  return violations;
}

export const mandatory = (violations: Violation[]) => violations.filter((v) => v.level === "mandatory");

export const describe = (violations: Violation[]) => violations.map((v) => `[${v.level}] ${v.policy}: ${v.message}`).join("\n") || "(none)";

/** The policy config a stack is previewed with (`--policy-pack-config policies/config/<stack>.json`). */
export function policyConfigFor(stack: string): PolicyPackConfig {
  const file = path.resolve(__dirname, "../../policies/config", `${stack}.json`);
  return JSON.parse(fs.readFileSync(file, "utf8")) as PolicyPackConfig;
}
