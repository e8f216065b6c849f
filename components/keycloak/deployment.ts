import * as k8s from "@pulumi/kubernetes";
import { configChecksumAnnotation, type FileSet } from "../lib/checksum";
import { kubernetesContainer } from "../lib/container";
import { toResourceRequirements } from "../lib/resources";
import type { ObjectScope } from "../lib/scope";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";
import { KEYCLOAK_UID, keycloakContainer } from "./files";
import type { KeycloakArgs } from "./index";

/**
 * Keycloak's Deployment: surge-only rollouts spread over nodes, its database from the
 * service database Secret, the realm imported from its Secret, health and metrics on the
 * management port.
 */
export function keycloakDeployment(
  scope: ObjectScope,
  name: string,
  args: KeycloakArgs,
  secrets: { admin: k8s.core.v1.Secret; realm: k8s.core.v1.Secret; realmFiles: FileSet },
  publicUrl: string,
): k8s.apps.v1.Deployment {
  const s = args.settings;
  // The service database Secret PostgreSQL made for Keycloak.
  const fromSecret = (key: string) => ({ secretName: args.databaseSecretName, key });
  return new k8s.apps.v1.Deployment(
    name,
    {
      metadata: scope.meta(name),
      spec: {
        replicas: s.autoscaling.enabled ? s.autoscaling.minReplicas : s.replicas,
        selector: { matchLabels: scope.selector },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          // The realm is imported at start: a changed realm file rolls the pods.
          metadata: { labels: scope.labels, annotations: configChecksumAnnotation(secrets.realmFiles) },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurityContext(KEYCLOAK_UID),
            topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: scope.selector } }],
            containers: [
              {
                ...kubernetesContainer(
                  keycloakContainer(
                    args.images.keycloak,
                    {
                      database: { url: fromSecret("jdbcUrl"), username: fromSecret("username"), password: fromSecret("password") },
                      publicUrl,
                      admin: { username: { secretName: secrets.admin.metadata.name, key: "username" }, password: { secretName: secrets.admin.metadata.name, key: "password" } },
                      behindProxy: true,
                      cache: "ispn",
                    },
                    { files: [args.databaseCa.mount] },
                  ),
                ),
                resources: toResourceRequirements(s.resources),
                // Keycloak's non-optimized start re-augments its Quarkus build under
                // /opt/keycloak at boot, so its root filesystem must stay writable.
                securityContext: restrictedContainerSecurityContext({ readOnlyRootFilesystem: false }),
              },
            ],
            volumes: [{ name: "realm", secret: { secretName: secrets.realm.metadata.name, defaultMode: 0o440 } }, args.databaseCa.volume],
          },
        },
      },
    },
    // The HPA owns the replica count once it exists.
    { ...scope.child, ignoreChanges: s.autoscaling.enabled ? ["spec.replicas"] : [] },
  );
}
