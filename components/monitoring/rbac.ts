import * as k8s from "@pulumi/kubernetes";
import { standardLabels } from "../lib/labels";
import type { ObjectScope } from "../lib/scope";

/** An app's ServiceAccount; its token is mounted only by the pods that call the API. */
export function serviceAccount(app: ObjectScope): k8s.core.v1.ServiceAccount {
  const name = app.identity.name;
  return new k8s.core.v1.ServiceAccount(app.childName(name), { metadata: app.meta(name), automountServiceAccountToken: false }, app.childOpts(name));
}

/**
 * Grants an app's ServiceAccount `rules`: in the namespace (a Role) or cluster-wide (a
 * ClusterRole, named after the namespace, which is unique in the cluster).
 */
export function grant(app: ObjectScope, kind: "Role" | "ClusterRole", rules: k8s.types.input.rbac.v1.PolicyRule[], account: k8s.core.v1.ServiceAccount): void {
  const name = app.identity.name;
  const subjects = [{ kind: "ServiceAccount", name: account.metadata.name, namespace: app.namespace }];
  if (kind === "Role") {
    const role = new k8s.rbac.v1.Role(app.childName(`${name}-discovery`), { metadata: app.meta(name), rules }, app.childOpts(`${name}-discovery`));
    new k8s.rbac.v1.RoleBinding(
      app.childName(`${name}-discovery`),
      { metadata: app.meta(name), roleRef: { apiGroup: "rbac.authorization.k8s.io", kind, name: role.metadata.name }, subjects },
      app.childOpts(`${name}-discovery`),
    );
    return;
  }
  const clusterMeta = { name: `${app.namespace}-${name}`, labels: standardLabels(app.identity) };
  const role = new k8s.rbac.v1.ClusterRole(app.childName(`${name}-cluster`), { metadata: clusterMeta, rules }, app.childOpts(`${name}-cluster`));
  new k8s.rbac.v1.ClusterRoleBinding(
    app.childName(`${name}-cluster`),
    { metadata: clusterMeta, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind, name: role.metadata.name }, subjects },
    app.childOpts(`${name}-cluster`),
  );
}
