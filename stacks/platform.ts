import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "./config";
import { kubernetesProvider } from "./providers";
import { PlatformNamespace } from "../components/namespace";
import { PostgresCluster } from "../components/postgres";
import { MinioTenant } from "../components/minio";
import { RedisQueue } from "../components/redis";
import { Keycloak } from "../components/keycloak";
import { ApiWorkload } from "../components/workload";
import { Monitoring } from "../components/monitoring";
import { OffsiteBackup } from "../components/aws";

/**
 * The whole platform for one environment. dev, staging and prod share this function;
 * what differs between them is in their Pulumi.<stack>.yaml, never in a branch on the
 * stack's name. Optional parts are switched by config.
 */
export function composePlatform(config: PlatformConfig) {
  const provider = kubernetesProvider(config.kubernetes);
  const inCluster: pulumi.ComponentResourceOptions = { providers: { kubernetes: provider } };

  const namespace = new PlatformNamespace("namespace", { name: config.namespace }, inCluster);
  const shared = {
    namespace: namespace.name,
    instance: config.namespace,
    images: config.images,
    storageClass: config.kubernetes.storageClass,
  };
  const after = { ...inCluster, dependsOn: [namespace] };

  const objectStore = new MinioTenant("minio", { ...shared, settings: config.minio }, after);
  const database = new PostgresCluster("postgres", { ...shared, settings: config.postgres }, after);
  const queue = new RedisQueue("redis", { ...shared, settings: config.redis }, after);
  const identity = config.keycloak.enabled
    ? new Keycloak("keycloak", { ...shared, settings: config.keycloak }, { ...after, dependsOn: [namespace, database] })
    : undefined;
  const api = config.api.enabled ? new ApiWorkload("api", { ...shared, settings: config.api }, after) : undefined;
  const monitoring = new Monitoring("monitoring", { ...shared, settings: config.monitoring }, after);
  const offsite = config.aws.offsite.enabled ? new OffsiteBackup("offsite", { settings: config.aws.offsite }) : undefined;

  return { provider, namespace, objectStore, database, queue, identity, api, monitoring, offsite };
}
