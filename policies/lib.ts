// What the policy pack's rules share: the resource readers (containers, labels, selectors,
// images, config files) and the rule constructors. Over 300 lines because the readers are
// many small pure functions that every rule file imports.

import type {
  EnforcementLevel,
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

// Helpers shared by the rule groups. Everything here works on plain resource inputs
// (what the engine hands a policy as `props`), so the rules run the same under the
// Pulumi engine and under the unit-test harness (test/policies/harness.ts).

// biome-ignore lint/suspicious/noExplicitAny: resource inputs are whatever the program registered; every rule checks the shape it reads.
export type Props = Record<string, any>;

/** A resource-level rule: the policy's validateResource is a single function. */
export type ResourcePolicy = ResourceValidationPolicy & {
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => void | Promise<void>;
};
export type StackPolicy = StackValidationPolicy;

/** Declares a resource-level policy; `types` limits it to those resource type tokens. */
export function resourcePolicy(def: {
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  configSchema?: PolicyConfigSchema;
  types?: readonly string[];
  validate: (args: ResourceValidationArgs, report: ReportViolation) => void;
}): ResourcePolicy {
  const { validate, types, ...policy } = def;
  return {
    ...policy,
    validateResource: (args, report) => {
      if (types && !types.includes(args.type)) return;
      validate(args, report);
    },
  };
}

/**
 * A per-container rule over every workload kind's pod spec (init containers included):
 * `check` looks at one container and reports with `at` naming the resource.
 */
export function containerPolicy(def: {
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  configSchema?: PolicyConfigSchema;
  /** Default: every workload kind. */
  types?: readonly string[];
  /** Default: init containers and containers. */
  kinds?: ContainerAt["kind"][];
  check: (c: ContainerAt, at: string, report: ReportViolation, pod: PodSpecAt) => void;
}): ResourcePolicy {
  const { check, kinds, types = WORKLOAD_TYPES, ...policy } = def;
  return resourcePolicy({
    ...policy,
    types,
    validate: ({ type, name, props }, report) => {
      const pod = podSpecOf(type, props);
      if (!pod) return;
      const at = where(type, name, props);
      for (const c of containersOf(pod, kinds)) check(c, at, report, pod);
    },
  });
}

export function stackPolicy(def: {
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  configSchema?: PolicyConfigSchema;
  validate: (args: StackValidationArgs, report: ReportViolation) => void;
}): StackPolicy {
  const { validate, ...policy } = def;
  return { ...policy, validateStack: validate };
}

// ---------------------------------------------------------------- Kubernetes types

export const K8S = {
  namespace: "kubernetes:core/v1:Namespace",
  pod: "kubernetes:core/v1:Pod",
  service: "kubernetes:core/v1:Service",
  configMap: "kubernetes:core/v1:ConfigMap",
  secret: "kubernetes:core/v1:Secret",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
  pvc: "kubernetes:core/v1:PersistentVolumeClaim",
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  daemonSet: "kubernetes:apps/v1:DaemonSet",
  replicaSet: "kubernetes:apps/v1:ReplicaSet",
  job: "kubernetes:batch/v1:Job",
  cronJob: "kubernetes:batch/v1:CronJob",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
  clusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
  roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  clusterRoleBinding: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
} as const;

/** Every type that carries a pod template (or is a pod). */
export const WORKLOAD_TYPES: readonly string[] = [K8S.pod, K8S.deployment, K8S.statefulSet, K8S.daemonSet, K8S.replicaSet, K8S.job, K8S.cronJob];
/** Workloads whose pods are meant to keep running (and so need probes). */
export const LONG_RUNNING_TYPES: readonly string[] = [K8S.pod, K8S.deployment, K8S.statefulSet, K8S.daemonSet, K8S.replicaSet];

/** Kinds without a namespace. */
export const CLUSTER_SCOPED_TYPES: readonly string[] = [
  K8S.namespace,
  K8S.clusterRole,
  K8S.clusterRoleBinding,
  "kubernetes:core/v1:PersistentVolume",
  "kubernetes:storage.k8s.io/v1:StorageClass",
  "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
  "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration",
  "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration",
  "kubernetes:scheduling.k8s.io/v1:PriorityClass",
];

export const isKubernetesObject = (type: string) => type.startsWith("kubernetes:") && !type.startsWith("kubernetes:yaml") && !type.startsWith("kubernetes:helm");

/** "Deployment" from "kubernetes:apps/v1:Deployment". */
export const kindOf = (type: string) => type.split(":").pop() ?? type;

/**
 * How a violation names a resource: `Deployment "api"` (with the namespace when known). A
 * Kubernetes object goes by its own name, which is what kubectl shows; when its Pulumi name
 * differs (a component prefixes it), that follows, for `pulumi state` and `--target`.
 */
export function where(type: string, name: string, props?: Props): string {
  const ns = props?.metadata?.namespace;
  const objectName = props?.metadata?.name;
  const shown = typeof objectName === "string" ? objectName : name;
  const details = [...(shown !== name ? [`Pulumi name ${name}`] : []), ...(typeof ns === "string" ? [`namespace ${ns}`] : [])];
  return `${kindOf(type)} "${shown}"${details.length > 0 ? ` (${details.join(", ")})` : ""}`;
}

export interface PodSpecAt {
  spec: Props;
  /** Field path of the pod spec inside the resource's inputs, e.g. `spec.template.spec`. */
  path: string;
}

/** The pod spec a workload declares, with its field path; undefined for other types. */
export function podSpecOf(type: string, props: Props): PodSpecAt | undefined {
  switch (type) {
    case K8S.pod:
      return props.spec ? { spec: props.spec, path: "spec" } : undefined;
    case K8S.cronJob: {
      const spec = props.spec?.jobTemplate?.spec?.template?.spec;
      return spec ? { spec, path: "spec.jobTemplate.spec.template.spec" } : undefined;
    }
    case K8S.deployment:
    case K8S.statefulSet:
    case K8S.daemonSet:
    case K8S.replicaSet:
    case K8S.job: {
      const spec = props.spec?.template?.spec;
      return spec ? { spec, path: "spec.template.spec" } : undefined;
    }
    default:
      return undefined;
  }
}

/** Labels of the pods a workload creates. */
export function podLabelsOf(type: string, props: Props): Record<string, string> {
  if (type === K8S.pod) return props.metadata?.labels ?? {};
  if (type === K8S.cronJob) return props.spec?.jobTemplate?.spec?.template?.metadata?.labels ?? {};
  return props.spec?.template?.metadata?.labels ?? {};
}

export interface ContainerAt {
  container: Props;
  /** e.g. `spec.template.spec.containers[0]` */
  path: string;
  kind: "containers" | "initContainers" | "ephemeralContainers";
}

export function containersOf(pod: PodSpecAt, kinds: ContainerAt["kind"][] = ["initContainers", "containers"]): ContainerAt[] {
  return kinds.flatMap((kind) => asArray(pod.spec[kind]).map((container, i) => ({ container, path: `${pod.path}.${kind}[${i}]`, kind })));
}

/** Sidecars are init containers with restartPolicy Always: they run for the pod's lifetime. */
export const isSidecar = (c: ContainerAt) => c.kind === "initContainers" && c.container.restartPolicy === "Always";

export const asArray = (value: unknown): Props[] => (Array.isArray(value) ? (value as Props[]) : []);

export const labelsOf = (props: Props): Record<string, string> => props.metadata?.labels ?? {};
export const namespaceOf = (props: Props): string | undefined => props.metadata?.namespace;
export const metadataName = (props: Props, fallback: string): string => props.metadata?.name ?? fallback;

/** True when a label selector (matchLabels and matchExpressions) selects these labels. */
export function selectorMatches(selector: Props | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  const matchLabels: Record<string, string> = selector.matchLabels ?? {};
  const expressions = asArray(selector.matchExpressions);
  if (Object.keys(matchLabels).length === 0 && expressions.length === 0) return false;
  const labelsOk = Object.entries(matchLabels).every(([k, v]) => labels[k] === v);
  const exprsOk = expressions.every((e) => {
    const values: string[] = e.values ?? [];
    const label = labels[e.key];
    switch (e.operator) {
      case "In":
        return label !== undefined && values.includes(label);
      case "NotIn":
        return label === undefined || !values.includes(label);
      case "Exists":
        return e.key in labels;
      case "DoesNotExist":
        return !(e.key in labels);
      default:
        return false;
    }
  });
  return labelsOk && exprsOk;
}

// ---------------------------------------------------------------- image references

/** The tag of an image reference, or undefined when it has none (a digest counts as pinned). */
export function imageTag(image: string): { tag?: string; digest?: string } {
  const [withoutDigest = "", digest] = image.split("@");
  const lastSegment = withoutDigest.split("/").pop() ?? "";
  const colon = lastSegment.lastIndexOf(":");
  return { tag: colon >= 0 ? lastSegment.slice(colon + 1) : undefined, digest };
}

/** Registry host of an image reference (docker.io when the reference has none). */
export function imageRegistry(image: string): string {
  const first = image.split("/")[0] ?? "";
  if (image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")) return first;
  return "docker.io";
}

// ---------------------------------------------------------------- config files

/** `key = value` settings of a postgresql.conf (last one wins; quotes stripped). */
export function parsePostgresqlConf(text: string): Map<string, string> {
  const settings = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = stripConfComment(raw).trim();
    const [, key, value] = /^([A-Za-z_][\w.]*)\s*=?\s*(.*)$/.exec(line) ?? [];
    if (!key || !value) continue;
    settings.set(key.toLowerCase(), unquote(value.trim()));
  }
  return settings;
}

function stripConfComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "'") quoted = !quoted;
    if (line[i] === "#" && !quoted) return line.slice(0, i);
  }
  return line;
}

const unquote = (v: string) => (v.length >= 2 && v.startsWith("'") && v.endsWith("'") ? v.slice(1, -1).replace(/''/g, "'") : v);

/** A postgresql.conf time value in seconds (bare numbers are seconds). */
export function postgresSeconds(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?$/.exec(value.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const factor = { ms: 0.001, s: 1, min: 60, h: 3600, d: 86400 }[m[2] ?? "s"] ?? 1;
  return n * factor;
}

/** pgbackrest.conf as sections of key=value (keys lower-case). */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current = "";
  sections.set(current, new Map());
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = section[1] ?? "";
      if (!sections.has(current)) sections.set(current, new Map());
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    sections.get(current)!.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  return sections;
}

// ---------------------------------------------------------------- stack helpers

export const ofType = (resources: PolicyResource[], ...types: string[]) => resources.filter((r) => types.includes(r.type));

export function sameNamespace(a: Props, b: Props): boolean {
  return (namespaceOf(a) ?? "default") === (namespaceOf(b) ?? "default");
}

/**
 * True when `ref` (an input such as a BucketVersioning's `bucket`) refers to `target`:
 * through the engine's property dependencies, or by the target's physical name or logical name.
 */
export function refersTo(ref: PolicyResource, property: string, target: PolicyResource, physicalNameProp: string): boolean {
  const deps = ref.propertyDependencies?.[property] ?? [];
  if (deps.some((d) => d.urn === target.urn)) return true;
  const value = ref.props[property];
  if (typeof value !== "string") return false;
  return value === target.props[physicalNameProp] || value === target.name;
}
