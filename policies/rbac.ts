import { asArray, K8S, type Props, resourcePolicy, where } from "./lib";

// Kubernetes RBAC beyond wildcards (kubernetes.ts): the resources whose read or create
// rights hand over other identities' credentials or a shell, and bindings to everyone.

const READ = ["get", "list", "watch", "*"];
const LIST = ["list", "watch", "*"];
const CREATE = ["create", "*"];

/** Rights that are credentials in all but name: each entry says when a rule grants it. */
const SENSITIVE: { what: string; resource: string; verbs: string[]; clusterOnly?: boolean; unlessNamed?: boolean }[] = [
  { what: "read every Secret in the cluster", resource: "secrets", verbs: READ, clusterOnly: true },
  { what: "list every Secret of the namespace", resource: "secrets", verbs: LIST, unlessNamed: true },
  { what: "run commands in pods", resource: "pods/exec", verbs: CREATE, unlessNamed: true },
  { what: "attach to pods", resource: "pods/attach", verbs: CREATE, unlessNamed: true },
  { what: "forward ports into pods", resource: "pods/portforward", verbs: CREATE, unlessNamed: true },
  { what: "reach every kubelet's API", resource: "nodes/proxy", verbs: ["get", "create", "*"] },
  { what: "mint tokens for service accounts", resource: "serviceaccounts/token", verbs: CREATE, unlessNamed: true },
  { what: "approve certificate signing requests", resource: "certificatesigningrequests/approval", verbs: ["update", "patch", "*"] },
];

const sensitiveRights = resourcePolicy({
  name: "k8s-rbac-sensitive-resources",
  description:
    "Roles grant no credential-equivalent rights: no cluster-wide Secret read, no listing of a namespace's Secrets, no exec/attach/port-forward or token minting except on named objects, no nodes/proxy, no CSR approval.",
  enforcementLevel: "mandatory",
  types: [K8S.role, K8S.clusterRole],
  validate: ({ type, name, props }, report) => {
    const cluster = type === K8S.clusterRole;
    asArray(props.rules).forEach((rule: Props, i) => {
      const groups = (rule.apiGroups ?? []) as string[];
      if (!groups.includes("") && !groups.includes("*") && !groups.includes("certificates.k8s.io")) return;
      const resources = (rule.resources ?? []) as string[];
      const verbs = (rule.verbs ?? []) as string[];
      const named = ((rule.resourceNames ?? []) as string[]).length > 0;
      for (const s of SENSITIVE) {
        if (s.clusterOnly && !cluster) continue;
        if (s.unlessNamed && named) continue;
        if (!resources.includes(s.resource) && !resources.includes("*")) continue;
        const granted = verbs.filter((v) => s.verbs.includes(v));
        if (granted.length === 0) continue;
        report(
          `${where(type, name, props)}: rules[${i}] grants ${granted.join(", ")} on ${s.resource}${named ? "" : " (no resourceNames)"}, which lets the subject ${s.what}. ` +
            `Grant the named objects it needs (resourceNames), in a Role of its own namespace.`,
        );
      }
    });
  },
});

/** Groups and users that mean "anyone who reaches the API server". */
const EVERYONE = ["system:unauthenticated", "system:anonymous", "system:authenticated"];

const noAnonymousBindings = resourcePolicy({
  name: "k8s-rbac-no-anonymous-subjects",
  description: "No RoleBinding or ClusterRoleBinding binds system:anonymous, system:unauthenticated or system:authenticated.",
  enforcementLevel: "mandatory",
  types: [K8S.roleBinding, K8S.clusterRoleBinding],
  validate: ({ type, name, props }, report) => {
    asArray(props.subjects).forEach((s: Props, i) => {
      if (EVERYONE.includes(s.name)) {
        report(
          `${where(type, name, props)}: subjects[${i}] is ${s.kind} "${s.name}": everyone who reaches the API server gets ${props.roleRef?.kind} "${props.roleRef?.name}". Bind the ServiceAccount that needs it.`,
        );
      }
    });
  },
});

export const rbacPolicies = [sensitiveRights, noAnonymousBindings];
