import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { horizontalPodAutoscaler } from "../lib/autoscaling";
import type { InClusterArgs } from "../lib/component";
import { generatedPassword } from "../lib/credentials";
import type { MonitoringMixin } from "../lib/mixin";
import type { PodFiles } from "../lib/mounts";
import { publicHosts } from "../lib/names";
import { ObjectScope } from "../lib/scope";
import { keycloakDeployment } from "./deployment";
import { KEYCLOAK_HTTP_PORT as HTTP_PORT, type KeycloakSettings, keycloakRealmFiles, REALM_FILE } from "./files";
import { keycloakMixin } from "./mixin";
import { API_CLIENT_ID, DEFAULT_REALM } from "./realm";

export type { KeycloakSettings };

export interface KeycloakArgs extends InClusterArgs<KeycloakSettings, Record<"keycloak", string>> {
  /** The platform's base DNS name: Keycloak serves https://auth.<domain>, the UI https://<domain>. */
  domain: string;
  /** Secret (PostgresCluster.serviceDatabaseSecret) with username, password and jdbcUrl. */
  databaseSecretName: pulumi.Input<string>;
  /** The database server's CA (PostgresCluster.clientCa), which the jdbcUrl verifies it with. */
  databaseCa: PodFiles;
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
    const s = args.settings;
    const ns = args.namespace;
    const scope = new ObjectScope(this, args, { name: "keycloak", instance: args.instance, component: "identity" });
    this.url = `https://${publicHosts(args.domain).keycloak}`;
    this.internalUrl = pulumi.interpolate`http://${name}.${ns}.svc:${HTTP_PORT}`;

    const password = (purpose: string) => generatedPassword(`${name}-${purpose}`, this);
    const adminPassword = password("admin");
    const apiClientSecret = password("api-client");

    const admin = scope.secret(`${name}-admin`, { username: "admin", password: adminPassword });
    const apiClient = scope.secret(`${name}-api-client`, { clientId: API_CLIENT_ID, clientSecret: apiClientSecret, issuer: `${this.url}/realms/${DEFAULT_REALM}` });
    // The realm file holds the API client's secret, so it is a Secret, not a ConfigMap.
    const realmFiles = { [REALM_FILE]: apiClientSecret.apply((clientSecret) => keycloakRealmFiles(s, { domain: args.domain, apiClientSecret: clientSecret })[REALM_FILE]) };
    const realm = scope.secret(`${name}-realm`, realmFiles);

    const deployment = keycloakDeployment(scope, name, args, { admin, realm, realmFiles }, this.url);

    new k8s.core.v1.Service(
      name,
      { metadata: scope.meta(name), spec: { type: "ClusterIP", selector: scope.selector, ports: [{ name: "http", port: HTTP_PORT, targetPort: "http" }] } },
      scope.child,
    );
    scope.podDisruptionBudget(name);
    if (s.autoscaling.enabled) {
      horizontalPodAutoscaler(name, scope.meta(name), { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name }, s.autoscaling, scope.child);
    }

    this.apiClientSecretName = apiClient.metadata.name;
    this.mixin = keycloakMixin({ namespace: ns, podSelector: scope.selector });
    this.registerOutputs({ url: this.url, internalUrl: this.internalUrl, apiClientSecretName: this.apiClientSecretName });
  }
}
