import type * as k8s from "@pulumi/kubernetes";

// Where stateful pods go and what they keep: shared by every StatefulSet of the platform.

/** Prefer one pod of the set per node, so a node loss takes at most one replica. */
export function preferOnePodPerNode(selector: Record<string, string>): k8s.types.input.core.v1.Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selector } } }],
    },
  };
}

/** A volumeClaimTemplate with an explicit storage class: the setting's own, else the stack's. */
export function volumeClaim(
  name: string,
  labels: Record<string, string>,
  storage: { size: string; storageClass?: string },
  defaultStorageClass: string,
): k8s.types.input.core.v1.PersistentVolumeClaim {
  return {
    metadata: { name, labels },
    spec: {
      accessModes: ["ReadWriteOnce"],
      storageClassName: storage.storageClass ?? defaultStorageClass,
      resources: { requests: { storage: storage.size } },
    },
  };
}
