import type { PlatformConfig } from "../../stacks/config";

// What a cluster must have before `pulumi up` of a stack (docs/prerequisites.md), as
// checks over a read-only view of the cluster. Each check says what it looked for and,
// when it is not there, what to do. "missing" stops the preflight; "warn" is something
// it cannot prove either way from the API (a CNI that enforces NetworkPolicy, an issuer
// whose controller has not reported).

export type Outcome = "ok" | "warn" | "missing";

export interface CheckResult {
  check: string;
  outcome: Outcome;
  detail: string;
}

/** An object as the API server returns it, or undefined when it does not exist. */
export type KubeObject = { metadata: { name: string }; spec?: Record<string, unknown>; status?: { conditions?: { type: string; status: string; message?: string }[] } };

/** The read-only questions the checks ask of the cluster (kubectl in main.ts). */
export interface ClusterView {
  serverVersion(): { major: number; minor: number } | undefined;
  get(resource: string, name: string, namespace?: string): KubeObject | undefined;
  list(resource: string, namespace?: string): KubeObject[];
}

/** The oldest Kubernetes the stacks are written for (PodDisruptionBudget v1, HPA v2, Pod Security admission). */
export const MIN_KUBERNETES = { major: 1, minor: 29 };

const ready = (o: KubeObject) => o.status?.conditions?.find((c) => c.type === "Ready");

/** Every storage class a volume of the stack names: the default and each override. */
function storageClasses(config: PlatformConfig): string[] {
  const found = new Set<string>([config.kubernetes.storageClass]);
  const walk = (value: unknown) => {
    if (!value || typeof value !== "object") return;
    for (const [key, v] of Object.entries(value)) {
      if (key === "storageClass" && typeof v === "string") found.add(v);
      else walk(v);
    }
  };
  walk(config);
  return [...found].sort();
}

function issuerCheck(view: ClusterView, config: PlatformConfig, what: string, ref: { kind: string; name: string }, needsCa: boolean): CheckResult {
  const check = `${what} issuer ${ref.kind}/${ref.name}`;
  const issuer = ref.kind === "ClusterIssuer" ? view.get("clusterissuers.cert-manager.io", ref.name) : view.get("issuers.cert-manager.io", ref.name, config.namespace);
  if (!issuer)
    return {
      check,
      outcome: "missing",
      detail: `create the ${ref.kind} ${ref.name}${ref.kind === "Issuer" ? ` in namespace ${config.namespace}` : ""}, or name yours in the stack config`,
    };
  if (needsCa && issuer.spec?.acme) {
    return {
      check,
      outcome: "missing",
      detail: "is an ACME issuer, which writes no ca.crt: the in-cluster clients verify PostgreSQL and MinIO with ca.crt, so use a CA (or Vault) issuer",
    };
  }
  const condition = ready(issuer);
  if (condition?.status === "True") return { check, outcome: "ok", detail: "exists and is Ready" };
  return {
    check,
    outcome: "warn",
    detail: condition ? `exists but is not Ready: ${condition.message ?? condition.status}` : "exists, but cert-manager has not reported it Ready (is cert-manager running?)",
  };
}

/** Every check for one stack's config, in the order docs/prerequisites.md lists them. */
export function preflightChecks(view: ClusterView, config: PlatformConfig): CheckResult[] {
  const results: CheckResult[] = [];
  const version = view.serverVersion();
  if (!version) return [{ check: "Kubernetes API", outcome: "missing", detail: "no answer from the API server of this kubeconfig/context" }];
  const oldEnough = version.major > MIN_KUBERNETES.major || (version.major === MIN_KUBERNETES.major && version.minor >= MIN_KUBERNETES.minor);
  results.push({
    check: "Kubernetes version",
    outcome: oldEnough ? "ok" : "missing",
    detail: `${version.major}.${version.minor}${oldEnough ? "" : `; expected ${MIN_KUBERNETES.major}.${MIN_KUBERNETES.minor} or newer`}`,
  });

  const crds = [
    "certificates.cert-manager.io",
    ...(config.tls.issuer.kind === "Issuer" || config.ingress.issuer.kind === "Issuer" ? ["issuers.cert-manager.io"] : []),
    "clusterissuers.cert-manager.io",
  ];
  const missingCrds = crds.filter((crd) => !view.get("customresourcedefinitions.apiextensions.k8s.io", crd));
  results.push(
    missingCrds.length === 0
      ? { check: "cert-manager", outcome: "ok", detail: "its CustomResourceDefinitions are installed" }
      : { check: "cert-manager", outcome: "missing", detail: `install cert-manager (no ${missingCrds.join(", ")})` },
  );
  if (missingCrds.length === 0) {
    results.push(issuerCheck(view, config, "in-cluster (tls.issuer)", config.tls.issuer, true));
    if (config.ingress.enabled) results.push(issuerCheck(view, config, "public (ingress.issuer)", config.ingress.issuer, false));
  }

  for (const storageClass of storageClasses(config)) {
    results.push(
      view.get("storageclasses.storage.k8s.io", storageClass)
        ? { check: `storage class ${storageClass}`, outcome: "ok", detail: "exists" }
        : { check: `storage class ${storageClass}`, outcome: "missing", detail: "create it, or set kubernetes.storageClass (or the volume's storageClass) to one the cluster has" },
    );
  }

  if (config.ingress.enabled) {
    results.push(
      view.get("ingressclasses.networking.k8s.io", config.ingress.className)
        ? { check: `IngressClass ${config.ingress.className}`, outcome: "ok", detail: "exists" }
        : {
            check: `IngressClass ${config.ingress.className}`,
            outcome: "missing",
            detail: "install an ingress controller of that class, or set ingress.className to the cluster's",
          },
    );
  }
  results.push(
    view.get("namespaces", config.network.ingressNamespace)
      ? { check: `ingress controller namespace ${config.network.ingressNamespace}`, outcome: "ok", detail: "exists (the NetworkPolicies admit it)" }
      : {
          check: `ingress controller namespace ${config.network.ingressNamespace}`,
          outcome: "missing",
          detail: "set network.ingressNamespace to where the controller runs: the NetworkPolicies admit only that namespace",
        },
  );

  const metrics = view.get("apiservices.apiregistration.k8s.io", "v1beta1.metrics.k8s.io");
  const metricsAvailable = metrics?.status?.conditions?.find((c) => c.type === "Available")?.status === "True";
  results.push(
    metricsAvailable
      ? { check: "resource metrics API", outcome: "ok", detail: "v1beta1.metrics.k8s.io is Available (the HPAs scale on it)" }
      : {
          check: "resource metrics API",
          outcome: "missing",
          detail: `install metrics-server: the HPAs cannot read CPU without v1beta1.metrics.k8s.io (${metrics ? "registered, not Available" : "not registered"})`,
        },
  );

  // No API tells whether the CNI enforces NetworkPolicy; the known enforcing ones run as pods in kube-system.
  const enforcing = ["calico-node", "cilium", "antrea-agent", "kube-router", "weave-net", "canal"];
  const cni = view.list("daemonsets.apps", "kube-system").find((d) => enforcing.some((name) => d.metadata.name.startsWith(name)));
  results.push(
    cni
      ? { check: "NetworkPolicy enforcement", outcome: "ok", detail: `${cni.metadata.name} runs in kube-system` }
      : {
          check: "NetworkPolicy enforcement",
          outcome: "warn",
          detail: `no known enforcing CNI (${enforcing.join(", ")}) in kube-system: make sure yours enforces NetworkPolicy, or the default-deny policies do nothing`,
        },
  );
  return results;
}
