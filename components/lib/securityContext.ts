import type * as k8s from "@pulumi/kubernetes";

// The Pod Security "restricted" profile, as defaults. A component that needs a
// writable root filesystem says so explicitly; nothing here is opt-in.

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type ContainerSecurityContext = k8s.types.input.core.v1.SecurityContext;

/** UID/GID 65532 is the conventional unprivileged "nonroot" user of distroless images. */
export const DEFAULT_RUN_AS_USER = 65532;

export function restrictedPodSecurityContext(runAsUser = DEFAULT_RUN_AS_USER): PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser,
    runAsGroup: runAsUser,
    fsGroup: runAsUser,
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export interface ContainerSecurityOptions {
  /** Servers that must write outside mounted volumes opt out of the read-only root. */
  readOnlyRootFilesystem?: boolean;
}

export function restrictedContainerSecurityContext(options: ContainerSecurityOptions = {}): ContainerSecurityContext {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: options.readOnlyRootFilesystem ?? true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Namespace labels that make the API server enforce the restricted profile. */
export const RESTRICTED_NAMESPACE_LABELS: Record<string, string> = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
  "pod-security.kubernetes.io/audit": "restricted",
  "pod-security.kubernetes.io/warn": "restricted",
};
