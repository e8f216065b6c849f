// The Kubernetes rules of the policy pack. Over 300 lines because each rule is a short
// function of the same shape and the pack's reviewers read the Kubernetes rules together;
// the shared readers live in lib.ts.

import {
  asArray,
  CLUSTER_SCOPED_TYPES,
  containersOf,
  imageRegistry,
  imageTag,
  isKubernetesObject,
  isSidecar,
  K8S,
  kindOf,
  labelsOf,
  LONG_RUNNING_TYPES,
  podSpecOf,
  type Props,
  containerPolicy,
  resourcePolicy,
  type ResourcePolicy,
  where,
  WORKLOAD_TYPES,
} from "./lib";

// Resource-level rules for Kubernetes objects: each looks at one object's inputs.
// Pod-level rules cover every pod-template carrier (Pod, Deployment, StatefulSet,
// DaemonSet, ReplicaSet, Job, CronJob's jobTemplate), init containers included.

/**
 * A tag names one release when it carries a full version (1.2.3, v0.28.1, 7.4.2-alpine) or
 * a release date (RELEASE.2025-04-22T22-12-26Z). `latest`, `main`, `stable`, a bare major
 * (`7`, `16-alpine`) or minor (`3.4`) move to new images without a change here.
 */
export const isReleaseTag = (tag: string) => /\d+\.\d+\.\d+/.test(tag) || /\d{4}-\d{2}-\d{2}/.test(tag);

const imagePinned = containerPolicy({
  name: "k8s-image-pinned-tag",
  description:
    "Container images name one release: a digest, or a tag with a full version (1.2.3) or a release date; never latest, a branch (main) or a bare major/minor (7-alpine, 3.4).",
  enforcementLevel: "mandatory",
  kinds: ["initContainers", "containers", "ephemeralContainers"],
  check: (c, at, report) => {
    const image: unknown = c.container.image;
    if (typeof image !== "string" || image === "") {
      report(`${at}: ${c.path}.image is empty. Set an image with a pinned version tag, e.g. "registry/app:1.2.3".`);
      return;
    }
    const { tag, digest } = imageTag(image);
    if (digest) return;
    if (!tag || !isReleaseTag(tag)) {
      const bare = tag ? image.slice(0, -(tag.length + 1)) : image;
      report(
        `${at}: ${c.path}.image "${image}" is ${!tag ? "untagged (implicitly latest)" : tag === "latest" ? "tagged latest" : `tagged "${tag}", a moving tag`}. ` +
          `Pin a version tag (e.g. "${bare}:1.2.3") or a digest (@sha256:...) so rollouts are reproducible.`,
      );
    }
  },
});

const containerResources = containerPolicy({
  name: "k8s-container-resources",
  description: "Every container and init container sets resources.requests (cpu, memory) and resources.limits (cpu, memory).",
  enforcementLevel: "mandatory",
  check: (c, at, report) => {
    const resources = c.container.resources ?? {};
    const missing = [
      ...["cpu", "memory"].filter((r) => resources.requests?.[r] === undefined).map((r) => `requests.${r}`),
      ...["cpu", "memory"].filter((r) => resources.limits?.[r] === undefined).map((r) => `limits.${r}`),
    ];
    if (missing.length > 0) {
      report(
        `${at}: container "${c.container.name}" (${c.path}.resources) lacks ${missing.join(", ")}. ` +
          `Set resources.requests and resources.limits for cpu and memory so the scheduler can place it and it cannot starve its neighbours.`,
      );
    }
  },
});

const probes = containerPolicy({
  name: "k8s-probes",
  description: "Long-running workloads (not Jobs/CronJobs) define readiness and liveness probes on every container (and sidecar).",
  enforcementLevel: "mandatory",
  types: LONG_RUNNING_TYPES,
  check: (c, at, report) => {
    if (c.kind === "initContainers" && !isSidecar(c)) return;
    const missing = ["readinessProbe", "livenessProbe"].filter((p) => !c.container[p]);
    if (missing.length > 0) {
      report(
        `${at}: container "${c.container.name}" (${c.path}) has no ${missing.join(" and no ")}. ` +
          `Add ${missing.join(" and ")} (httpGet, tcpSocket, grpc or exec) so Kubernetes routes traffic only to ready pods and restarts hung ones.`,
      );
    }
  },
});

/** A container's effective security setting: the container's own, else the pod's. */
function effective(pod: Props, container: Props, field: string): unknown {
  return container.securityContext?.[field] ?? pod.securityContext?.[field];
}

const runAsNonRoot = containerPolicy({
  name: "k8s-run-as-non-root",
  description: "Every container runs with runAsNonRoot: true (set at pod or container level, not overridden to false).",
  enforcementLevel: "mandatory",
  check: (c, at, report, pod) => {
    if (effective(pod.spec, c.container, "runAsNonRoot") !== true || c.container.securityContext?.runAsUser === 0) {
      report(
        `${at}: container "${c.container.name}" may run as root (${c.path}.securityContext.runAsNonRoot is not true` +
          ` and ${pod.path}.securityContext.runAsNonRoot does not apply). Set securityContext.runAsNonRoot: true with a non-zero runAsUser.`,
      );
    }
  },
});

const noPrivilegeEscalation = containerPolicy({
  name: "k8s-no-privilege-escalation",
  description: "Every container sets securityContext.allowPrivilegeEscalation: false.",
  enforcementLevel: "mandatory",
  check: (c, at, report) => {
    if (c.container.securityContext?.allowPrivilegeEscalation !== false) {
      report(
        `${at}: container "${c.container.name}" allows privilege escalation ` +
          `(${c.path}.securityContext.allowPrivilegeEscalation is not false). Set allowPrivilegeEscalation: false.`,
      );
    }
  },
});

const dropAllCapabilities = containerPolicy({
  name: "k8s-drop-all-capabilities",
  description: "Every container drops ALL capabilities and adds back at most NET_BIND_SERVICE (Pod Security 'restricted').",
  enforcementLevel: "mandatory",
  check: (c, at, report) => {
    const caps = c.container.securityContext?.capabilities ?? {};
    const drop: string[] = caps.drop ?? [];
    const added = ((caps.add ?? []) as string[]).filter((cap) => cap !== "NET_BIND_SERVICE");
    if (!drop.includes("ALL")) {
      report(
        `${at}: container "${c.container.name}" does not drop all capabilities ` +
          `(${c.path}.securityContext.capabilities.drop is ${JSON.stringify(drop)}). Set capabilities.drop: ["ALL"].`,
      );
    }
    if (added.length > 0) {
      report(
        `${at}: container "${c.container.name}" adds capabilities ${added.join(", ")} ` +
          `(${c.path}.securityContext.capabilities.add). Remove them; only NET_BIND_SERVICE may be added back.`,
      );
    }
  },
});

const seccomp = containerPolicy({
  name: "k8s-seccomp-runtime-default",
  description: "Every container runs under seccompProfile RuntimeDefault (or Localhost), set at pod or container level.",
  enforcementLevel: "mandatory",
  check: (c, at, report, pod) => {
    const profile = (effective(pod.spec, c.container, "seccompProfile") as Props | undefined)?.type;
    if (profile !== "RuntimeDefault" && profile !== "Localhost") {
      report(
        `${at}: container "${c.container.name}" has seccomp profile ${profile ?? "unset"} ` +
          `(${c.path}.securityContext.seccompProfile / ${pod.path}.securityContext.seccompProfile). Set seccompProfile: { type: "RuntimeDefault" } on the pod.`,
      );
    }
  },
});

const noPrivileged = containerPolicy({
  name: "k8s-no-privileged",
  description: "No container runs privileged.",
  enforcementLevel: "mandatory",
  kinds: ["initContainers", "containers", "ephemeralContainers"],
  check: (c, at, report) => {
    if (c.container.securityContext?.privileged === true) {
      report(`${at}: container "${c.container.name}" is privileged (${c.path}.securityContext.privileged: true). Remove privileged and grant only what the container needs.`);
    }
  },
});

const noHostPath = resourcePolicy({
  name: "k8s-no-host-path",
  description: "Pods mount no hostPath volumes.",
  enforcementLevel: "mandatory",
  types: WORKLOAD_TYPES,
  validate: ({ type, name, props }, report) => {
    const pod = podSpecOf(type, props);
    if (!pod) return;
    asArray(pod.spec.volumes).forEach((v, i) => {
      if (v.hostPath) {
        report(
          `${where(type, name, props)}: volume "${v.name}" (${pod.path}.volumes[${i}].hostPath) mounts host path ${v.hostPath.path}. ` +
            `Use a PersistentVolumeClaim, emptyDir, ConfigMap or Secret volume instead.`,
        );
      }
    });
  },
});

const noHostNamespaces = resourcePolicy({
  name: "k8s-no-host-namespaces",
  description: "Pods do not share the node's network, PID or IPC namespace (hostNetwork/hostPID/hostIPC).",
  enforcementLevel: "mandatory",
  types: WORKLOAD_TYPES,
  validate: ({ type, name, props }, report) => {
    const pod = podSpecOf(type, props);
    if (!pod) return;
    for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
      if (pod.spec[field] === true) {
        report(`${where(type, name, props)}: ${pod.path}.${field} is true. Remove ${field} (or set it to false); pods must not share the node's namespaces.`);
      }
    }
    for (const c of containersOf(pod)) {
      asArray(c.container.ports).forEach((p, i) => {
        if (p.hostPort) {
          report(
            `${where(type, name, props)}: container "${c.container.name}" binds hostPort ${p.hostPort} (${c.path}.ports[${i}].hostPort). ` +
              `Remove hostPort and expose the port through a Service.`,
          );
        }
      });
    }
  },
});

const serviceTypes = resourcePolicy({
  name: "k8s-service-type",
  description: "Services are ClusterIP (or headless) unless the stack's policy config allows LoadBalancer/NodePort/ExternalName.",
  enforcementLevel: "mandatory",
  types: [K8S.service],
  configSchema: {
    properties: {
      allowedTypes: {
        type: "array",
        items: { type: "string", enum: ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"] },
        default: ["ClusterIP"],
        description: "Service types this stack may declare.",
      },
    },
  },
  validate: ({ type, name, props, getConfig }, report) => {
    const allowed = getConfig<{ allowedTypes?: string[] }>().allowedTypes ?? ["ClusterIP"];
    const serviceType: string = props.spec?.type ?? "ClusterIP";
    if (!allowed.includes(serviceType)) {
      report(
        `${where(type, name, props)}: spec.type is ${serviceType}, which this stack does not allow (allowed: ${allowed.join(", ")}). ` +
          `Use ClusterIP behind the ingress, or add ${serviceType} to k8s-service-type.allowedTypes in the stack's policy config.`,
      );
    }
  },
});

const pvcStorageClass = resourcePolicy({
  name: "k8s-pvc-storage-class",
  description: "PersistentVolumeClaims and StatefulSet volumeClaimTemplates name their storageClassName explicitly.",
  enforcementLevel: "mandatory",
  types: [K8S.pvc, K8S.statefulSet],
  validate: ({ type, name, props }, report) => {
    const fix = `Set storageClassName to the stack's storage class (kubernetes.storageClass in the stack config) instead of relying on the cluster default.`;
    if (type === K8S.pvc) {
      if (!props.spec?.storageClassName) report(`${where(type, name, props)}: spec.storageClassName is not set. ${fix}`);
      return;
    }
    asArray(props.spec?.volumeClaimTemplates).forEach((t, i) => {
      if (!t.spec?.storageClassName) {
        report(`${where(type, name, props)}: volume claim template "${t.metadata?.name}" (spec.volumeClaimTemplates[${i}].spec.storageClassName) is not set. ${fix}`);
      }
    });
  },
});

const namespacePodSecurity = resourcePolicy({
  name: "k8s-namespace-pod-security",
  description: "Namespaces enforce the Pod Security 'restricted' standard (label pod-security.kubernetes.io/enforce=restricted).",
  enforcementLevel: "mandatory",
  types: [K8S.namespace],
  validate: ({ type, name, props }, report) => {
    const level = labelsOf(props)["pod-security.kubernetes.io/enforce"];
    if (level !== "restricted") {
      report(
        `${where(type, name, props)}: metadata.labels["pod-security.kubernetes.io/enforce"] is ${level ?? "missing"}. ` +
          `Label the namespace pod-security.kubernetes.io/enforce: restricted.`,
      );
    }
  },
});

const DEFAULT_TOKEN_ACCOUNTS = ["prometheus", "kube-state-metrics", "postgres-backup"];
const automountToken = resourcePolicy({
  name: "k8s-automount-service-account-token",
  description: "Pods set automountServiceAccountToken: false unless their service account is allow-listed as needing the Kubernetes API.",
  enforcementLevel: "mandatory",
  types: WORKLOAD_TYPES,
  configSchema: {
    properties: {
      apiServiceAccounts: {
        type: "array",
        items: { type: "string" },
        default: DEFAULT_TOKEN_ACCOUNTS,
        description: "Service accounts whose pods need an API token mounted.",
      },
    },
  },
  validate: ({ type, name, props, getConfig }, report) => {
    const pod = podSpecOf(type, props);
    if (!pod) return;
    const allowed = getConfig<{ apiServiceAccounts?: string[] }>().apiServiceAccounts ?? DEFAULT_TOKEN_ACCOUNTS;
    const account: string = pod.spec.serviceAccountName ?? pod.spec.serviceAccount ?? "default";
    if (pod.spec.automountServiceAccountToken !== false && !allowed.includes(account)) {
      report(
        `${where(type, name, props)}: ${pod.path}.automountServiceAccountToken is ${pod.spec.automountServiceAccountToken ?? "unset (defaults to true)"} ` +
          `for service account "${account}", which is not allow-listed. Set automountServiceAccountToken: false, or add "${account}" ` +
          `to k8s-automount-service-account-token.apiServiceAccounts if the pod really calls the API.`,
      );
    }
  },
});

const REQUIRED_LABELS = ["app.kubernetes.io/name", "app.kubernetes.io/part-of"];
const recommendedLabels = resourcePolicy({
  name: "k8s-recommended-labels",
  description: "Every Kubernetes object carries app.kubernetes.io/name and app.kubernetes.io/part-of labels.",
  enforcementLevel: "mandatory",
  validate: ({ type, name, props }, report) => {
    if (!isKubernetesObject(type)) return;
    const labels = labelsOf(props);
    const missing = REQUIRED_LABELS.filter((l) => !labels[l]);
    if (missing.length > 0) {
      report(`${where(type, name, props)}: metadata.labels lacks ${missing.join(" and ")}. Add them (components/lib/labels.ts builds the standard set).`);
    }
  },
});

const DEFAULT_MAX_HISTORY = 10;
const cronJobHygiene = resourcePolicy({
  name: "k8s-cronjob-concurrency-history",
  description: "CronJobs set concurrencyPolicy: Forbid and explicit successful/failed job history limits (at most maxHistory).",
  enforcementLevel: "mandatory",
  types: [K8S.cronJob],
  configSchema: {
    properties: { maxHistory: { type: "integer", minimum: 1, default: DEFAULT_MAX_HISTORY, description: "Largest history limit allowed." } },
  },
  validate: ({ type, name, props, getConfig }, report) => {
    const spec = props.spec ?? {};
    const maxHistory = getConfig<{ maxHistory?: number }>().maxHistory ?? DEFAULT_MAX_HISTORY;
    if (spec.concurrencyPolicy !== "Forbid") {
      report(
        `${where(type, name, props)}: spec.concurrencyPolicy is ${spec.concurrencyPolicy ?? "unset (Allow)"}. ` +
          `Set concurrencyPolicy: Forbid so a slow run is never overlapped by the next one.`,
      );
    }
    for (const field of ["successfulJobsHistoryLimit", "failedJobsHistoryLimit"]) {
      const value = spec[field];
      if (typeof value !== "number" || value > maxHistory) {
        report(`${where(type, name, props)}: spec.${field} is ${value ?? "unset"}. Set it explicitly to a number between 0 and ${maxHistory}.`);
      }
    }
  },
});

const readOnlyRootFs = containerPolicy({
  name: "k8s-read-only-root-filesystem",
  description: "Containers mount their root filesystem read-only (advisory: some images need a writable root).",
  enforcementLevel: "advisory",
  check: (c, at, report) => {
    if (c.container.securityContext?.readOnlyRootFilesystem !== true) {
      report(
        `${at}: container "${c.container.name}" has a writable root filesystem ` +
          `(${c.path}.securityContext.readOnlyRootFilesystem is not true). Set it to true and mount emptyDir volumes where the process writes.`,
      );
    }
  },
});

const explicitNamespace = resourcePolicy({
  name: "k8s-explicit-namespace",
  description: "Namespaced objects name their namespace explicitly and never use `default`.",
  enforcementLevel: "mandatory",
  validate: ({ type, name, props }, report) => {
    if (!isKubernetesObject(type) || CLUSTER_SCOPED_TYPES.includes(type) || type.startsWith("kubernetes:core/v1:List")) return;
    const ns = props.metadata?.namespace;
    if (!ns || ns === "default") {
      report(`${kindOf(type)} "${name}": metadata.namespace is ${ns ?? "unset"}. Set metadata.namespace to the platform namespace (PlatformNamespace's name), not "default".`);
    }
  },
});

const DEFAULT_REGISTRIES = ["ghcr.io", "quay.io", "docker.io", "registry.k8s.io"];

/** An entry is a registry host, or "*.<rest>" for any one leading label (an ECR registry's account id). */
export function registryAllowed(registry: string, allowed: string[]): boolean {
  return allowed.some((entry) => (entry.startsWith("*.") ? registry.endsWith(entry.slice(1)) && !registry.slice(0, -entry.length + 1).includes(".") : registry === entry));
}
const allowedRegistries = resourcePolicy({
  name: "k8s-allowed-registries",
  description: "Container images come from an allow-listed registry.",
  enforcementLevel: "mandatory",
  types: WORKLOAD_TYPES,
  configSchema: {
    properties: {
      registries: {
        type: "array",
        items: { type: "string" },
        default: DEFAULT_REGISTRIES,
        description: 'Registry hosts images may come from; "*.dkr.ecr.<region>.amazonaws.com" allows any account\'s ECR in that region.',
      },
    },
  },
  validate: ({ type, name, props, getConfig }, report) => {
    const pod = podSpecOf(type, props);
    if (!pod) return;
    const registries = getConfig<{ registries?: string[] }>().registries ?? DEFAULT_REGISTRIES;
    for (const c of containersOf(pod, ["initContainers", "containers", "ephemeralContainers"])) {
      if (typeof c.container.image !== "string") continue;
      const registry = imageRegistry(c.container.image);
      if (!registryAllowed(registry, registries)) {
        report(
          `${where(type, name, props)}: ${c.path}.image "${c.container.image}" comes from registry ${registry}, which is not allowed ` +
            `(${registries.join(", ")}). Mirror the image into an allowed registry or add the registry to k8s-allowed-registries.registries.`,
        );
      }
    }
  },
});

const emptyDirLimits = resourcePolicy({
  name: "k8s-emptydir-size-limit",
  description: "emptyDir volumes set a sizeLimit (advisory).",
  enforcementLevel: "advisory",
  types: WORKLOAD_TYPES,
  validate: ({ type, name, props }, report) => {
    const pod = podSpecOf(type, props);
    if (!pod) return;
    asArray(pod.spec.volumes).forEach((v, i) => {
      if (v.emptyDir && !v.emptyDir.sizeLimit && v.emptyDir.medium !== "Memory") {
        report(
          `${where(type, name, props)}: emptyDir volume "${v.name}" (${pod.path}.volumes[${i}].emptyDir.sizeLimit) has no sizeLimit. Set one so a runaway writer cannot fill the node's disk.`,
        );
      }
    });
  },
});

const rbacNoWildcards = resourcePolicy({
  name: "k8s-rbac-no-wildcards",
  description: "Roles and ClusterRoles grant no wildcard (`*`) apiGroups, resources or verbs, and no escalate/bind/impersonate.",
  enforcementLevel: "mandatory",
  types: [K8S.role, K8S.clusterRole],
  validate: ({ type, name, props }, report) => {
    asArray(props.rules).forEach((rule, i) => {
      for (const field of ["apiGroups", "resources", "verbs"]) {
        if (((rule[field] ?? []) as string[]).includes("*")) {
          report(`${where(type, name, props)}: rules[${i}].${field} contains "*". List the exact ${field} the subject needs.`);
        }
      }
      const dangerous = ((rule.verbs ?? []) as string[]).filter((v) => ["escalate", "bind", "impersonate"].includes(v));
      if (dangerous.length > 0) {
        report(`${where(type, name, props)}: rules[${i}].verbs grants ${dangerous.join(", ")}, which allows privilege escalation. Remove these verbs.`);
      }
    });
  },
});

const noClusterAdmin = resourcePolicy({
  name: "k8s-no-cluster-admin-binding",
  description: "No RoleBinding or ClusterRoleBinding grants the cluster-admin, admin or edit ClusterRoles.",
  enforcementLevel: "mandatory",
  types: [K8S.roleBinding, K8S.clusterRoleBinding],
  validate: ({ type, name, props }, report) => {
    const role = props.roleRef?.name;
    if (props.roleRef?.kind === "ClusterRole" && ["cluster-admin", "admin", "edit"].includes(role)) {
      report(`${where(type, name, props)}: roleRef.name is the built-in "${role}" ClusterRole. Bind a Role/ClusterRole that lists only the permissions the subject needs.`);
    }
  },
});

export const kubernetesPolicies: ResourcePolicy[] = [
  imagePinned,
  containerResources,
  probes,
  runAsNonRoot,
  noPrivilegeEscalation,
  dropAllCapabilities,
  seccomp,
  noPrivileged,
  noHostPath,
  noHostNamespaces,
  serviceTypes,
  pvcStorageClass,
  namespacePodSecurity,
  automountToken,
  recommendedLabels,
  cronJobHygiene,
  readOnlyRootFs,
  explicitNamespace,
  allowedRegistries,
  emptyDirLimits,
  rbacNoWildcards,
  noClusterAdmin,
];
