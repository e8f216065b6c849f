import type * as pulumi from "@pulumi/pulumi";
import type { ContainerSpec } from "../lib/container";
import type { Env, EnvValue } from "../lib/env";
import type { FilesMount } from "../lib/mounts";
import { KEYCLOAK_METRICS_PORT_NAME } from "./mixin";
import { KEYCLOAK_HEAP_PERCENT, type KeycloakSettings } from "./settings";
import { DEFAULT_REALM, renderRealm } from "./realm";

// The files Keycloak reads, for every target: the Kubernetes component puts the realm in
// a Secret (it holds the API client's secret), the local (Docker) stack uploads it as a
// secret into its container's import directory.

export type { KeycloakSettings };

export const KEYCLOAK_HTTP_PORT = 8080;
export const KEYCLOAK_MANAGEMENT_PORT = 9000;
/** The keycloak user of the official image. */
export const KEYCLOAK_UID = 1000;
/** The optimised server with the realm imported at start-up (start-dev would skip both). */
export const KEYCLOAK_ARGS = ["start", "--import-realm"];

/**
 * Keycloak's hostname settings on every target: browsers and token issuers use the public
 * URL; a service that asks on the internal address (the API, whose NetworkPolicy reaches
 * Keycloak but not the ingress) gets token, JWKS and introspection endpoints on that
 * address, while tokens keep the public issuer.
 */
export function keycloakHostnameEnv(publicUrl: string): Record<string, string> {
  return { KC_HOSTNAME: publicUrl, KC_HOSTNAME_BACKCHANNEL_DYNAMIC: "true" };
}

/**
 * Keycloak's environment on every target. Its database and admin come from Secrets on
 * Kubernetes and as values on Docker; `behindProxy`: TLS ends at an ingress whose
 * X-Forwarded-* headers Keycloak trusts; `cache`: "ispn" clusters the replicas through
 * the database, "local" is one node without discovery.
 */
function keycloakEnv(o: {
  database: { url: EnvValue; username: EnvValue; password: EnvValue };
  publicUrl: string;
  admin: { username: EnvValue; password: EnvValue };
  behindProxy: boolean;
  cache: "ispn" | "local";
}): Env {
  return {
    KC_DB: "postgres",
    KC_DB_URL: o.database.url,
    KC_DB_USERNAME: o.database.username,
    KC_DB_PASSWORD: o.database.password,
    ...keycloakHostnameEnv(o.publicUrl),
    KC_HTTP_ENABLED: "true",
    ...(o.behindProxy ? { KC_PROXY_HEADERS: "xforwarded" } : {}),
    KC_HEALTH_ENABLED: "true",
    KC_METRICS_ENABLED: "true",
    KC_EVENT_METRICS_USER_ENABLED: "true",
    KC_CACHE: o.cache,
    KC_BOOTSTRAP_ADMIN_USERNAME: o.admin.username,
    KC_BOOTSTRAP_ADMIN_PASSWORD: o.admin.password,
    // The schema checks the memory limit against this share (KEYCLOAK_HEAP_PERCENT).
    JAVA_OPTS_KC_HEAP: `-XX:MaxRAMPercentage=${KEYCLOAK_HEAP_PERCENT}`,
  };
}

/**
 * Keycloak's container on every target: `start --import-realm`, HTTP and the management
 * port; `files`: mounts of other components' files (the database's CA, which the JDBC URL names).
 */
export function keycloakContainer(
  image: pulumi.Input<string>,
  env: Parameters<typeof keycloakEnv>[0],
  o: { realm?: Record<string, pulumi.Input<string>>; files?: FilesMount[] } = {},
): ContainerSpec {
  return {
    name: "keycloak",
    image,
    args: KEYCLOAK_ARGS,
    ports: [
      { name: "http", port: KEYCLOAK_HTTP_PORT },
      { name: KEYCLOAK_METRICS_PORT_NAME, port: KEYCLOAK_MANAGEMENT_PORT },
    ],
    env: keycloakEnv(env),
    uid: KEYCLOAK_UID,
    // The realm file carries the API client's secret. Its text is for targets that copy files in.
    mounts: [{ kind: "files", volume: "realm", path: KEYCLOAK_IMPORT_DIR, files: o.realm, secret: true }, ...(o.files ?? [])],
    health: {
      http: { port: KEYCLOAK_METRICS_PORT_NAME, readinessPath: "/health/ready", livenessPath: "/health/live", startupSeconds: 300 },
      // The image has bash but no curl: a raw HTTP request to the management port.
      docker: `exec 3<>/dev/tcp/127.0.0.1/${KEYCLOAK_MANAGEMENT_PORT} && printf 'GET /health/ready HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '200 OK' <&3`,
    },
  };
}

/** Where a service in the platform's network discovers the realm's endpoints. */
export const realmDiscoveryPath = (realm: string) => `/realms/${realm}/.well-known/openid-configuration`;
/** `start --import-realm` reads every realm file here. */
export const KEYCLOAK_IMPORT_DIR = "/opt/keycloak/data/import";

/** The realm's import file name. */
export const REALM_FILE = `${DEFAULT_REALM}.json` as const;

/** The realm import: file name -> JSON text. The UI lives at https://<domain>. */
export function keycloakRealmFiles(s: KeycloakSettings, o: { domain: string; apiClientSecret: string }): Record<typeof REALM_FILE, string> {
  return {
    [REALM_FILE]: JSON.stringify(
      renderRealm({
        ui: { rootUrl: `https://${o.domain}`, redirectUris: [`https://${o.domain}/*`] },
        api: { secret: o.apiClientSecret },
        accessTokenLifespanSeconds: s.accessTokenLifespanSeconds,
        ssoSessionIdleTimeoutSeconds: s.ssoSessionIdleTimeoutSeconds,
      }),
      null,
      2,
    ),
  };
}
