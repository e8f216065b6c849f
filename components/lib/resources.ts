import type * as k8s from "@pulumi/kubernetes";

// The shape the config schema validates for every container's requests and limits.
export interface ComputeResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/**
 * Node-local disk a container may use beyond its volumes: its writable layer, its logs
 * and (at pod level, summed over the containers) its emptyDirs. Without a limit one
 * container can fill the node's disk and have the kubelet evict its neighbours.
 */
export interface EphemeralStorage {
  request: string;
  limit: string;
}

/** Enough for logs and the scratch emptyDirs the components declare (at most 1Gi each). */
export const DEFAULT_EPHEMERAL_STORAGE: EphemeralStorage = { request: "64Mi", limit: "2Gi" };

export function toResourceRequirements(r: ComputeResources, ephemeral: EphemeralStorage = DEFAULT_EPHEMERAL_STORAGE): k8s.types.input.core.v1.ResourceRequirements {
  return { requests: { ...r.requests, "ephemeral-storage": ephemeral.request }, limits: { ...r.limits, "ephemeral-storage": ephemeral.limit } };
}

/** Named sizes so the config can say "small" instead of repeating four numbers. */
export const RESOURCE_PRESETS = {
  nano: { requests: { cpu: "25m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
  small: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
  medium: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
  large: { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "2", memory: "4Gi" } },
} as const satisfies Record<string, ComputeResources>;

export type ResourcePreset = keyof typeof RESOURCE_PRESETS;
