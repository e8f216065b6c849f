import type { PolicyResource } from "@pulumi/policy";
import { isOn, literalEnv } from "./effective";
import { containersOf, K8S, labelsOf, metadataName, ofType, podLabelsOf, podSpecOf, type Props, resourcePolicy, sameNamespace, stackPolicy, where, WORKLOAD_TYPES } from "./lib";

// Authentication settings as the servers will read them: Grafana's environment, the
// Keycloak realm the stack imports, and which pods hold a Kubernetes API token.

/** Grafana settings (GF_<SECTION>_<KEY>) that let someone in without a password, or make guessing one cheap. */
const GRAFANA_UNSAFE: Record<string, (v: string) => boolean> = {
  GF_AUTH_ANONYMOUS_ENABLED: isOn,
  GF_AUTH_ANONYMOUS_ORG_ROLE: (v) => ["admin", "editor"].includes(v.toLowerCase()),
  GF_AUTH_PROXY_ENABLED: isOn,
  GF_USERS_ALLOW_SIGN_UP: isOn,
  GF_USERS_AUTO_ASSIGN_ORG_ROLE: (v) => ["admin", "editor"].includes(v.toLowerCase()),
  GF_SECURITY_DISABLE_BRUTE_FORCE_LOGIN_PROTECTION: isOn,
};

const grafanaAuth = resourcePolicy({
  name: "platform-grafana-auth",
  description: "Grafana lets nobody in without logging in: no anonymous access, no auth proxy, no self sign-up, no Admin/Editor role by default, brute-force protection on.",
  enforcementLevel: "mandatory",
  types: WORKLOAD_TYPES,
  validate: ({ type, name, props }, report) => {
    const pod = podSpecOf(type, props);
    // Init containers too: a native sidecar (restartPolicy Always) serves for the pod's life.
    for (const { container: c } of pod ? containersOf(pod) : []) {
      if (!/grafana/.test(String(c.image))) continue;
      for (const e of literalEnv(c)) {
        const unsafe = GRAFANA_UNSAFE[e.name.toUpperCase()];
        if (unsafe?.(e.value)) {
          report(
            `${where(type, name, props)}: container "${c.name}" sets ${e.name}=${e.value}. Remove it: Grafana users log in through the login form (or Keycloak) with their own role.`,
          );
        }
      }
    }
  },
});

/** The realm documents a Secret or ConfigMap carries (JSON with a "realm" key). */
function realmsOf(props: Props): { key: string; realm: Props }[] {
  const data: Record<string, unknown> = { ...(props.data ?? {}), ...(props.stringData ?? {}) };
  return Object.entries(data).flatMap(([key, value]) => {
    if (typeof value !== "string" || !key.endsWith(".json")) return [];
    try {
      const realm = JSON.parse(value) as Props;
      return typeof realm?.realm === "string" ? [{ key, realm }] : [];
    } catch {
      return [];
    }
  });
}

const keycloakRealm = resourcePolicy({
  name: "platform-keycloak-realm",
  description: "Imported Keycloak realms protect logins against guessing (bruteForceProtected), require TLS (sslRequired external or all) and allow no self-registration.",
  enforcementLevel: "mandatory",
  types: [K8S.secret, K8S.configMap],
  validate: ({ type, name, props }, report) => {
    for (const { key, realm } of realmsOf(props)) {
      const at = `${where(type, name, props)}: realm "${realm.realm}" (${key})`;
      if (realm.bruteForceProtected !== true)
        report(`${at} has bruteForceProtected ${realm.bruteForceProtected ?? "unset (false)"}. Set it to true so repeated failed logins lock the account.`);
      if (!["external", "all"].includes(realm.sslRequired)) report(`${at} has sslRequired ${realm.sslRequired ?? "unset"}. Set it to "external" (or "all").`);
      if (realm.registrationAllowed === true) report(`${at} allows self-registration. Set registrationAllowed: false; accounts come from the platform's administrators.`);
    }
  },
});

const tokenMounted = (pod: Props, account: Props | undefined) => pod.automountServiceAccountToken ?? account?.automountServiceAccountToken ?? true;

/**
 * A pod that mounts an API token must be one of the workloads its ServiceAccount was made
 * for: the account's app.kubernetes.io/name and component labels are the pod's. Without
 * it, any pod naming an allow-listed account (prometheus) would get that account's rights.
 */
const tokenOwner = stackPolicy({
  name: "stack-api-token-owner",
  description:
    "Pods that mount a Kubernetes API token carry their ServiceAccount's app.kubernetes.io/name and app.kubernetes.io/component labels: no pod borrows another workload's account.",
  enforcementLevel: "mandatory",
  validate: ({ resources }, report) => {
    const accounts = ofType(resources, K8S.serviceAccount);
    for (const w of resources.filter((r: PolicyResource) => WORKLOAD_TYPES.includes(r.type))) {
      const pod = podSpecOf(w.type, w.props);
      if (!pod) continue;
      const accountName: string = pod.spec.serviceAccountName ?? pod.spec.serviceAccount ?? "default";
      const account = accounts.find((a) => metadataName(a.props, a.name) === accountName && sameNamespace(a.props, w.props));
      if (!tokenMounted(pod.spec, account?.props) || !account) continue; // k8s-automount-service-account-token reports the rest
      const owner = labelsOf(account.props);
      const labels = podLabelsOf(w.type, w.props);
      const differs = ["app.kubernetes.io/name", "app.kubernetes.io/component"].filter((k) => owner[k] !== labels[k]);
      if (differs.length > 0) {
        report(
          `${where(w.type, w.name, w.props)}: mounts the API token of ServiceAccount "${accountName}", which belongs to ${differs.map((k) => `${k}=${owner[k]}`).join(", ")} ` +
            `(the pod has ${differs.map((k) => `${k}=${labels[k] ?? "(none)"}`).join(", ")}). Give the workload its own ServiceAccount and Role.`,
          w.urn,
        );
      }
    }
  },
});

export const authPolicies = [grafanaAuth, keycloakRealm];
export const authStackPolicies = [tokenOwner];
