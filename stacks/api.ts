import type * as pulumi from "@pulumi/pulumi";
import type { Env, EnvValue } from "../components/lib/env";
import { BUCKETS } from "../components/lib/names";

// The API's environment, for both compositions: what it connects to, in one order. The
// cluster hands it Secret keys where the local stack hands it values.

/** Where the API answers its probes. */
export const API_PROBE_PATHS = { livenessPath: "/live", readinessPath: "/health/ready" } as const;

export interface ApiConnections {
  databaseUrl: EnvValue;
  redis: {
    /** With Sentinel this reaches every replica (reads only); writers ask Sentinel for the primary. */
    host: pulumi.Input<string>;
    username: EnvValue;
    password: EnvValue;
    sentinel?: { host: pulumi.Input<string>; port: number; masterName: string; password: EnvValue };
  };
  objectStore: { endpoint: EnvValue; accessKey: EnvValue; secretKey: EnvValue };
  /** Keycloak, when enabled: tokens carry `issuer`; discovery, JWKS and introspection go to `discoveryUrl`. */
  oidc?: { discoveryUrl: pulumi.Input<string>; issuer: EnvValue; clientId: EnvValue; clientSecret: EnvValue };
}

/** The order is the one the cluster's Deployment has always had (its settings, then its credentials), so no rollout comes of it. */
export function apiEnv(c: ApiConnections): Env {
  const { redis, objectStore, oidc } = c;
  return {
    REDIS_HOST: redis.host,
    ...(redis.sentinel ? { REDIS_SENTINEL_HOST: redis.sentinel.host, REDIS_SENTINEL_PORT: String(redis.sentinel.port), REDIS_MASTER_NAME: redis.sentinel.masterName } : {}),
    S3_BUCKET: BUCKETS.data,
    S3_EXPORTS_BUCKET: BUCKETS.exports,
    ...(oidc ? { OIDC_DISCOVERY_URL: oidc.discoveryUrl } : {}),
    DATABASE_URL: c.databaseUrl,
    REDIS_USERNAME: redis.username,
    REDIS_PASSWORD: redis.password,
    ...(redis.sentinel ? { REDIS_SENTINEL_PASSWORD: redis.sentinel.password } : {}),
    S3_ENDPOINT: objectStore.endpoint,
    S3_ACCESS_KEY_ID: objectStore.accessKey,
    S3_SECRET_ACCESS_KEY: objectStore.secretKey,
    ...(oidc ? { OIDC_ISSUER: oidc.issuer, OIDC_CLIENT_ID: oidc.clientId, OIDC_CLIENT_SECRET: oidc.clientSecret } : {}),
  };
}
