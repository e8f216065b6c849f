// The names one part of the platform produces and another consumes: the Services the
// stack names its components after (and so their DNS names), the buckets, the API's
// OIDC client, Keycloak's database. Producer and consumer both import them from here, so
// a rename cannot leave a consumer behind. Pure data: no Pulumi, no I/O.

/** The component (and so Service) names a stack gives its services. */
export const SERVICES = {
  postgres: "postgres",
  minio: "minio",
  redis: "redis",
  keycloak: "keycloak",
  api: "api",
  monitoring: "monitoring",
} as const;

/** A Service's in-cluster DNS name. */
export const serviceHost = (service: string, namespace: string) => `${service}.${namespace}.svc`;

/**
 * The platform's public host names under the stack's domain: the Ingress serves them, and
 * Keycloak's issuer URL is its host's (tokens carry it, so the two must never differ).
 */
export const publicHosts = (domain: string) => ({ api: `api.${domain}`, keycloak: `auth.${domain}`, grafana: `grafana.${domain}` }) as const;

/** The object store's buckets: the application's data, its exports, pgBackRest's repository. */
export const BUCKETS = {
  data: "blacklake-data",
  exports: "blacklake-exports",
  pgbackrest: "pgbackrest",
} as const;

/** Where pgBackRest keeps its repository inside an object-store bucket. */
export const PGBACKREST_REPO_PATH = "/pgbackrest";

/** The API's confidential OIDC client in the realm. */
export const API_OIDC_CLIENT_ID = "blacklake-api";

/**
 * Where every PostgreSQL client (and the server itself) mounts the database's TLS Secret:
 * the server reads tls.crt and tls.key, a client only ca.crt, and the connection strings
 * the database hands out name that file.
 */
export const POSTGRES_TLS_DIR = "/etc/postgres-tls";

/** Keycloak's own database on the platform PostgreSQL, owned by its own role. */
export const KEYCLOAK_DATABASE = { name: "keycloak", owner: "keycloak" } as const;
