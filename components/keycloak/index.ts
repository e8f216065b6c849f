import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { horizontalPodAutoscaler } from "../lib/autoscaling";
import { type InClusterArgs, objectNamespace } from "../lib/component";
import { generatedPassword, opaqueSecret } from "../lib/credentials";
import { selectorLabels, standardLabels } from "../lib/labels";
import type { MonitoringMixin } from "../lib/mixin";
import { httpProbes } from "../lib/probes";
import { toResourceRequirements } from "../lib/resources";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";
import { keycloakMixin, KEYCLOAK_METRICS_PORT_NAME } from "./mixin";
import { API_CLIENT_ID, DEFAULT_REALM } from "./realm";
import {
  KEYCLOAK_ARGS,
  KEYCLOAK_HTTP_PORT as HTTP_PORT,
  KEYCLOAK_IMPORT_DIR,
  KEYCLOAK_MANAGEMENT_PORT as MANAGEMENT_PORT,
  KEYCLOAK_UID,
  keycloakHostnameEnv,
  keycloakRealmFiles,
  REALM_FILE,
  type KeycloakSettings,
} from "./files";

export type { KeycloakSettings };

export interface KeycloakArgs extends InClusterArgs<KeycloakSettings, Record<"keycloak", string>> {
  /** The platform's base DNS name: Keycloak serves https://auth.<domain>, the UI https://<domain>. */
  domain: string;
  /** Secret (PostgresCluster.serviceDatabaseSecret) with username, password and jdbcUrl. */
  databaseSecretName: pulumi.Input<string>;
}

/**
 * Keycloak with the blacklake realm imported at start-up, its data in its own database
 * on the platform PostgreSQL, clustered through that database (Keycloak 26's default
 * jdbc-ping discovery), health and metrics on the management port.
 */
export class Keycloak extends pulumi.ComponentResource {
  readonly url: string;
  readonly internalUrl: pulumi.Output<string>;
  /** Secret with the API client's id and secret, for the API workload. */
  readonly apiClientSecretName: pulumi.Output<string>;
  readonly mixin: MonitoringMixin;

  constructor(name: string, args: KeycloakArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:keycloak:Keycloak", name, {}, opts);
    const child = { parent: this };
    const s = args.settings;
    const ns = args.namespace;
    const id = { name: "keycloak", instance: args.instance, component: "identity" };
    const selector = selectorLabels(id);
    const meta = (objectName: string) => ({ name: objectName, namespace: objectNamespace(args), labels: standardLabels(id) });
    this.url = `https://auth.${args.domain}`;
    this.internalUrl = pulumi.interpolate`http://${name}.${ns}.svc:${HTTP_PORT}`;

    const password = (purpose: string) => generatedPassword(`${name}-${purpose}`, this);
    const adminPassword = password("admin");
    const apiClientSecret = password("api-client");

    const secret = (secretName: string, stringData: Record<string, pulumi.Input<string>>) => opaqueSecret(secretName, meta(secretName), stringData, this);
    const admin = secret(`${name}-admin`, { username: "admin", password: adminPassword });
    const apiClient = secret(`${name}-api-client`, { clientId: API_CLIENT_ID, clientSecret: apiClientSecret, issuer: `${this.url}/realms/${DEFAULT_REALM}` });
    // The realm file holds the API client's secret, so it is a Secret, not a ConfigMap.
    const realm = secret(`${name}-realm`, {
      [REALM_FILE]: apiClientSecret.apply((clientSecret) => keycloakRealmFiles(s, { domain: args.domain, apiClientSecret: clientSecret })[REALM_FILE]),
    });

    const fromSecret = (envName: string, secretName: pulumi.Input<string>, key: string) => ({ name: envName, valueFrom: { secretKeyRef: { name: secretName, key } } });
    const deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata: meta(name),
        spec: {
          replicas: s.autoscaling.enabled ? s.autoscaling.minReplicas : s.replicas,
          selector: { matchLabels: selector },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template: {
            metadata: { labels: standardLabels(id) },
            spec: {
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurityContext(KEYCLOAK_UID),
              topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } }],
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
                    ...Object.entries(keycloakHostnameEnv(this.url)).map(([name, value]) => ({ name, value })),
                    // TLS ends at the ingress; Keycloak trusts its X-Forwarded-* headers.
                    { name: "KC_HTTP_ENABLED", value: "true" },
                    { name: "KC_PROXY_HEADERS", value: "xforwarded" },
                    { name: "KC_HEALTH_ENABLED", value: "true" },
                    { name: "KC_METRICS_ENABLED", value: "true" },
                    { name: "KC_EVENT_METRICS_USER_ENABLED", value: "true" },
                    { name: "KC_CACHE", value: "ispn" },
                    fromSecret("KC_BOOTSTRAP_ADMIN_USERNAME", admin.metadata.name, "username"),
                    fromSecret("KC_BOOTSTRAP_ADMIN_PASSWORD", admin.metadata.name, "password"),
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
              volumes: [{ name: "realm", secret: { secretName: realm.metadata.name, defaultMode: 0o440 } }],
            },
          },
        },
      },
      // The HPA owns the replica count once it exists.
      { ...child, ignoreChanges: s.autoscaling.enabled ? ["spec.replicas"] : [] },
    );

    new k8s.core.v1.Service(name, { metadata: meta(name), spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: HTTP_PORT, targetPort: "http" }] } }, child);
    new k8s.policy.v1.PodDisruptionBudget(name, { metadata: meta(name), spec: { maxUnavailable: 1, selector: { matchLabels: selector } } }, child);
    if (s.autoscaling.enabled) {
      horizontalPodAutoscaler(name, meta(name), { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name }, s.autoscaling, child);
    }

    this.apiClientSecretName = apiClient.metadata.name;
    this.mixin = keycloakMixin({ namespace: ns, podSelector: selector });
    this.registerOutputs({ url: this.url, internalUrl: this.internalUrl, apiClientSecretName: this.apiClientSecretName });
  }
}
