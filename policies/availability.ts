import type { PolicyResource } from "@pulumi/policy";
import { K8S, kindOf, ofType, stackPolicy, where } from "./lib";
import { pdbsFor, replicasOf } from "./stack";

// Availability as the scheduler and a node drain will see it: replicas after any
// HorizontalPodAutoscaler, and what each PodDisruptionBudget lets a drain take.

const DEFAULT_MIN_REPLICAS = 2;
const at = (r: PolicyResource) => where(r.type, r.name, r.props);

/** Pods a PDB lets a drain evict at once out of `replicas` (Kubernetes rounds a maxUnavailable percentage up, a minAvailable one up). */
export function evictable(spec: { maxUnavailable?: unknown; minAvailable?: unknown }, replicas: number): number {
  const pct = (v: unknown) => (typeof v === "string" && v.endsWith("%") ? Number(v.slice(0, -1)) : undefined);
  if (spec.maxUnavailable !== undefined) {
    const p = pct(spec.maxUnavailable);
    return p !== undefined ? Math.ceil((replicas * p) / 100) : Number(spec.maxUnavailable);
  }
  if (spec.minAvailable !== undefined) {
    const p = pct(spec.minAvailable);
    return replicas - (p !== undefined ? Math.ceil((replicas * p) / 100) : Number(spec.minAvailable));
  }
  return replicas; // a PDB with neither field protects nothing
}

const replicatedUnderBudget = stackPolicy({
  name: "stack-ha-replicas",
  description:
    "In highly available stacks (policy config highAvailability, default true) every workload a PodDisruptionBudget protects runs at least minReplicas (default 2) pods, counting its HPA's minReplicas, and no budget lets a drain evict all of them.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      highAvailability: { type: "boolean", default: true, description: "Whether this stack must survive the loss of a pod (prod: true)." },
      minReplicas: { type: "integer", minimum: 2, default: DEFAULT_MIN_REPLICAS, description: "Fewest pods of a protected workload in an HA stack." },
    },
  },
  validate: ({ resources, getConfig }, report) => {
    const config = getConfig<{ highAvailability?: boolean; minReplicas?: number }>();
    if (config.highAvailability === false) return; // a single pod is the stack's choice; its budget then protects nothing anyway
    const min = config.minReplicas ?? DEFAULT_MIN_REPLICAS;
    const hpas = ofType(resources, K8S.hpa);
    const pdbs = ofType(resources, K8S.pdb);
    for (const w of ofType(resources, K8S.deployment, K8S.statefulSet)) {
      const budgets = pdbsFor(w, pdbs);
      if (budgets.length === 0) continue;
      const replicas = replicasOf(w, hpas);
      if (replicas < min) {
        report(
          `${at(w)} runs ${replicas} replica${replicas === 1 ? "" : "s"} (spec.replicas, and no HorizontalPodAutoscaler raises it), below ${min}: ` +
            `one pod lost is an outage, which its PodDisruptionBudget cannot prevent. Run at least ${min} (replicas or autoscaling.minReplicas in the stack config).`,
          w.urn,
        );
      }
      for (const pdb of budgets) {
        const n = evictable(pdb.props.spec ?? {}, replicas);
        if (n >= replicas && replicas > 0) {
          report(
            `${at(pdb)}: lets a drain evict ${n} of ${kindOf(w.type)} "${w.props.metadata?.name ?? w.name}"'s ${replicas} pods at once ` +
              `(maxUnavailable ${pdb.props.spec?.maxUnavailable ?? "unset"}, minAvailable ${pdb.props.spec?.minAvailable ?? "unset"}). Set maxUnavailable: 1.`,
            pdb.urn,
          );
        }
      }
    }
  },
});

export const availabilityStackPolicies = [replicatedUnderBudget];
