import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { httpProbes } from "../lib/probes";
import { toResourceRequirements } from "../lib/resources";
import type { ObjectScope } from "../lib/scope";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";
import { KEYCLOAK_ARGS, KEYCLOAK_HTTP_PORT as HTTP_PORT, KEYCLOAK_IMPORT_DIR, KEYCLOAK_MANAGEMENT_PORT as MANAGEMENT_PORT, KEYCLOAK_UID, keycloakHostnameEnv } from "./files";
import type { KeycloakArgs } from "./index";
import { KEYCLOAK_METRICS_PORT_NAME } from "./mixin";

/**
 * Keycloak's Deployment: surge-only rollouts spread over nodes, its database from the
 * service database Secret, the realm imported from its Secret, health and metrics on the
 * management port.
 */
export function keycloakDeployment(
  scope: ObjectScope,
  name: string,
  args: KeycloakArgs,
  secrets: { admin: k8s.core.v1.Secret; realm: k8s.core.v1.Secret },
  publicUrl: string,
): k8s.apps.v1.Deployment {
  const s = args.settings;
  const fromSecret = (envName: string, secretName: pulumi.Input<string>, key: string) => ({ name: envName, valueFrom: { secretKeyRef: { name: secretName, key } } });
  return new k8s.apps.v1.Deployment(
    name,
    {
      metadata: scope.meta(name),
      spec: {
        replicas: s.autoscaling.enabled ? s.autoscaling.minReplicas : s.replicas,
        selector: { matchLabels: scope.selector },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels: scope.labels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurityContext(KEYCLOAK_UID),
            topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: scope.selector } }],
            containers: [
              {
                name: "keycloak",
                image: args.images.keycloak,
                args: KEYCLOAK_ARGS,
                ports: [
                  { name: "http", containerPort: HTTP_PORT },
                  { name: KEYCLOAK_METRICS_PORT_NAME, containerPort: MANAGEMENT_PORT },
                ],
                env: [
                  { name: "KC_DB", value: "postgres" },
                  fromSecret("KC_DB_URL", args.databaseSecretName, "jdbcUrl"),
                  fromSecret("KC_DB_USERNAME", args.databaseSecretName, "username"),
                  fromSecret("KC_DB_PASSWORD", args.databaseSecretName, "password"),
                  ...Object.entries(keycloakHostnameEnv(publicUrl)).map(([name, value]) => ({ name, value })),
                  // TLS ends at the ingress; Keycloak trusts its X-Forwarded-* headers.
                  { name: "KC_HTTP_ENABLED", value: "true" },
                  { name: "KC_PROXY_HEADERS", value: "xforwarded" },
                  { name: "KC_HEALTH_ENABLED", value: "true" },
                  { name: "KC_METRICS_ENABLED", value: "true" },
                  { name: "KC_EVENT_METRICS_USER_ENABLED", value: "true" },
                  { name: "KC_CACHE", value: "ispn" },
                  fromSecret("KC_BOOTSTRAP_ADMIN_USERNAME", secrets.admin.metadata.name, "username"),
                  fromSecret("KC_BOOTSTRAP_ADMIN_PASSWORD", secrets.admin.metadata.name, "password"),
                  { name: "JAVA_OPTS_KC_HEAP", value: "-XX:MaxRAMPercentage=70" },
                ],
                resources: toResourceRequirements(s.resources),
                // Keycloak's non-optimized start re-augments its Quarkus build under
                // /opt/keycloak at boot, so its root filesystem must stay writable.
                securityContext: restrictedContainerSecurityContext({ readOnlyRootFilesystem: false }),
                ...httpProbes({ port: KEYCLOAK_METRICS_PORT_NAME, readinessPath: "/health/ready", livenessPath: "/health/live", startupSeconds: 300 }),
                volumeMounts: [{ name: "realm", mountPath: KEYCLOAK_IMPORT_DIR, readOnly: true }],
              },
            ],
            volumes: [{ name: "realm", secret: { secretName: secrets.realm.metadata.name, defaultMode: 0o440 } }],
          },
        },
      },
    },
    // The HPA owns the replica count once it exists.
    { ...scope.child, ignoreChanges: s.autoscaling.enabled ? ["spec.replicas"] : [] },
  );
}
