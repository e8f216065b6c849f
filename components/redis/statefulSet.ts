import { priorityOf } from "../lib/component";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { InClusterArgs } from "../lib/component";
import { preferOnePodPerNode, volumeClaim } from "../lib/placement";
import { configChecksumAnnotation } from "../lib/checksum";
import { kubernetesContainer } from "../lib/container";
import { type Env, kubernetesEnv } from "../lib/env";
import { execProbes } from "../lib/probes";
import { RESOURCE_PRESETS, toResourceRequirements } from "../lib/resources";
import type { ObjectScope } from "../lib/scope";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";
import { redisExporterContainer, redisServerContainer } from "./containers";
import type { QueueCredentials } from "./credentials";
import { MASTER_NAME, REDIS_PATHS, REDIS_PORT, REDIS_UID, type RedisSettings, SENTINEL_PORT } from "./files";
import type { RedisImages } from "./index";

/**
 * The queue's Services (headless for the pods' names, the client Service, Sentinel's) and
 * its StatefulSet: Redis, its exporter, and with Sentinel a sentinel beside each replica.
 */
export function queueStatefulSet(
  scope: ObjectScope,
  name: string,
  args: InClusterArgs<RedisSettings, RedisImages>,
  d: { config: k8s.core.v1.ConfigMap; credentials: QueueCredentials; sentinelHost?: pulumi.Output<string> },
): void {
  const s = args.settings;
  const c = d.credentials;
  const config = d.config;
  const sentinelHost = d.sentinelHost;
  const service = (serviceName: string, spec: k8s.types.input.core.v1.ServiceSpec) =>
    new k8s.core.v1.Service(serviceName, { metadata: scope.meta(serviceName), spec }, scope.child);
  const redisPort = { name: "redis", port: REDIS_PORT, targetPort: "redis" };
  const sentinelPort = { name: "sentinel", port: SENTINEL_PORT, targetPort: "sentinel" };
  const headless = service(`${name}-pods`, {
    clusterIP: "None",
    publishNotReadyAddresses: true,
    selector: scope.selector,
    ports: s.sentinel.enabled ? [redisPort, sentinelPort] : [redisPort],
  });
  // Without Sentinel, ordinal 0 is always the primary. With Sentinel, clients must ask
  // Sentinel; this Service then only serves clients that read.
  service(name, {
    type: "ClusterIP",
    selector: s.sentinel.enabled ? scope.selector : { ...scope.selector, "statefulset.kubernetes.io/pod-name": `${name}-0` },
    ports: [redisPort],
  });
  if (s.sentinel.enabled) service(`${name}-sentinel`, { type: "ClusterIP", selector: scope.selector, ports: [sentinelPort] });

  // Who this pod is and where the primary is, for the start scripts.
  const envCommon: Env = {
    POD_NAME: { fieldPath: "metadata.name" },
    SELF_HOST: pulumi.interpolate`$(POD_NAME).${name}-pods.${scope.namespace}.svc`,
    PRIMARY_HOST: pulumi.interpolate`${name}-0.${name}-pods.${scope.namespace}.svc`,
    MASTER_NAME,
  };
  const exporterPassword = { secretName: c.exporter.metadata.name, key: "password" };

  const containers: k8s.types.input.core.v1.Container[] = [
    {
      ...kubernetesContainer(
        redisServerContainer(args.images.redis, { replicated: true, env: { ...envCommon, SENTINEL_HOST: sentinelHost ?? "", ...c.sentinelAuthEnv }, exporterPassword }),
      ),
      resources: toResourceRequirements(s.resources),
      securityContext: restrictedContainerSecurityContext(),
    },
    {
      ...kubernetesContainer(redisExporterContainer(args.images.redisExporter, "localhost", exporterPassword)),
      resources: toResourceRequirements(RESOURCE_PRESETS.nano),
      securityContext: restrictedContainerSecurityContext(),
    },
  ];
  if (s.sentinel.enabled) {
    containers.push({
      name: "sentinel",
      image: args.images.redis,
      command: ["sh", "/etc/redis/sentinel-start.sh"],
      ports: [{ name: "sentinel", containerPort: SENTINEL_PORT }],
      env: kubernetesEnv({ ...envCommon, SENTINEL_PASSWORD: { secretName: c.sentinelSecret.metadata.name, key: "password" }, ...c.sentinelAuthEnv }),
      resources: toResourceRequirements(RESOURCE_PRESETS.nano),
      securityContext: restrictedContainerSecurityContext(),
      ...execProbes(["sh", "-c", `REDISCLI_AUTH="$SENTINEL_AUTH_PASSWORD" redis-cli -p ${SENTINEL_PORT} ping | grep -q PONG`]),
      volumeMounts: [
        { name: "config", mountPath: REDIS_PATHS.config, readOnly: true },
        { name: "run-sentinel", mountPath: "/run/sentinel" },
      ],
    });
  }

  new k8s.apps.v1.StatefulSet(
    name,
    {
      metadata: scope.meta(name),
      spec: {
        serviceName: headless.metadata.name,
        replicas: s.replicas,
        selector: { matchLabels: scope.selector },
        template: {
          metadata: { labels: scope.labels, annotations: { "kubectl.kubernetes.io/default-container": "redis", ...configChecksumAnnotation(config.data, c.aclData) } },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurityContext(REDIS_UID),
            ...priorityOf(args),
            affinity: preferOnePodPerNode(scope.selector),
            containers,
            volumes: [
              { name: "config", configMap: { name: config.metadata.name, defaultMode: 0o444 } },
              { name: "acl", secret: { secretName: c.acl.metadata.name, defaultMode: 0o440 } },
              { name: "run-redis", emptyDir: { sizeLimit: "16Mi" } },
              { name: "run-sentinel", emptyDir: { sizeLimit: "16Mi" } },
            ],
          },
        },
        volumeClaimTemplates: [volumeClaim("data", scope.labels, s.storage, args.storageClass)],
      },
    },
    scope.child,
  );
}
