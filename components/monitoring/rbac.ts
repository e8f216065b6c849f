import * as k8s from "@pulumi/kubernetes";
import { standardLabels } from "../lib/labels";
import type { ObjectScope } from "../lib/scope";

/** An app's ServiceAccount; its token is mounted only by the pods that call the API. */
export function serviceAccount(app: ObjectScope): k8s.core.v1.ServiceAccount {
  const name = app.identity.name;
  return new k8s.core.v1.ServiceAccount(name, { metadata: app.meta(name), automountServiceAccountToken: false }, app.child);
}

/**
 * Grants an app's ServiceAccount `rules`: in the namespace (a Role) or cluster-wide (a
 * ClusterRole, named after the namespace, which is unique in the cluster).
 */
export function grant(app: ObjectScope, kind: "Role" | "ClusterRole", rules: k8s.types.input.rbac.v1.PolicyRule[], account: k8s.core.v1.ServiceAccount): void {
  const name = app.identity.name;
  const subjects = [{ kind: "ServiceAccount", name: account.metadata.name, namespace: app.namespace }];
  if (kind === "Role") {
    const role = new k8s.rbac.v1.Role(`${name}-discovery`, { metadata: app.meta(name), rules }, app.child);
    new k8s.rbac.v1.RoleBinding(
      `${name}-discovery`,
      { metadata: app.meta(name), roleRef: { apiGroup: "rbac.authorization.k8s.io", kind, name: role.metadata.name }, subjects },
      app.child,
    );
    return;
  }
  const clusterMeta = { name: `${app.namespace}-${name}`, labels: standardLabels(app.identity) };
  const role = new k8s.rbac.v1.ClusterRole(`${name}-cluster`, { metadata: clusterMeta, rules }, app.child);
  new k8s.rbac.v1.ClusterRoleBinding(
    `${name}-cluster`,
    { metadata: clusterMeta, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind, name: role.metadata.name }, subjects },
    app.child,
  );
}
