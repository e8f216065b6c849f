import * as fs from "node:fs";
import * as path from "node:path";
import type { MinioSettings } from "./settings";
import { MINIO_PROMETHEUS_TOKEN_SECRET } from "./mixin";
import { type Consumer, platformBuckets, platformConsumers, prometheusBearerToken, renderBootstrapFiles } from "./policies";

// The files the MinIO bootstrap reads, for every target: the Kubernetes component puts
// them in the bootstrap Job's ConfigMap, the local (Docker) stack uploads them into its
// bootstrap container. The consumers' keys (credentialFiles) are added from secrets.

export type { MinioSettings };

export const MINIO_API_PORT = 9000;
export const MINIO_CONSOLE_PORT = 9001;
/** MinIO and mc run as this unprivileged user. */
export const MINIO_UID = 1000;

const bootstrapScript = fs.readFileSync(path.join(__dirname, "bootstrap.sh"), "utf8");

/** Buckets, consumers and BOOTSTRAP_DIR's non-secret files (file name -> text). */
export function minioBootstrapFiles(s: MinioSettings): { consumers: Consumer[]; files: Record<string, string> } {
  const buckets = platformBuckets({ noncurrentVersionExpirationDays: s.noncurrentVersionExpirationDays });
  const consumers = platformConsumers(buckets, { mirroredBuckets: s.mirror.enabled ? s.mirror.buckets : undefined });
  return { consumers, files: { ...renderBootstrapFiles(buckets, consumers, { prometheusUser: true }), "bootstrap.sh": bootstrapScript } };
}

/** A fixed expiry keeps the token stable across deployments; rotating the scrape user's keys revokes it. */
const PROMETHEUS_TOKEN_EXPIRY = new Date("2125-01-01T00:00:00Z");

/** The bearer token Prometheus scrapes MinIO with (its secret's file name -> token), signed by the scrape user's keys. */
export function minioPrometheusTokenFiles(accessKey: string, secretKey: string): Record<typeof MINIO_PROMETHEUS_TOKEN_SECRET.key, string> {
  return { [MINIO_PROMETHEUS_TOKEN_SECRET.key]: prometheusBearerToken(accessKey, secretKey, PROMETHEUS_TOKEN_EXPIRY) };
}
