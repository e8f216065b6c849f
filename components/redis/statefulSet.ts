import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { InClusterArgs } from "../lib/component";
import { preferOnePodPerNode, volumeClaim } from "../lib/placement";
import { kubernetesContainer } from "../lib/container";
import { execProbes, httpProbes } from "../lib/probes";
import { RESOURCE_PRESETS, toResourceRequirements } from "../lib/resources";
import type { ObjectScope } from "../lib/scope";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";
import { redisExporterContainer } from "./containers";
import type { QueueCredentials } from "./credentials";
import { MASTER_NAME, REDIS_PORT, REDIS_UID, type RedisSettings, SENTINEL_PORT } from "./files";
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

  const envCommon = [
    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    { name: "SELF_HOST", value: pulumi.interpolate`$(POD_NAME).${name}-pods.${scope.namespace}.svc` },
    { name: "PRIMARY_HOST", value: pulumi.interpolate`${name}-0.${name}-pods.${scope.namespace}.svc` },
    { name: "MASTER_NAME", value: MASTER_NAME },
  ];
  const configMount = { name: "config", mountPath: "/etc/redis", readOnly: true };
  const redisCliPing = ["sh", "-c", 'redis-cli --user exporter --pass "$EXPORTER_PASSWORD" --no-auth-warning ping | grep -q PONG'];

  const containers: k8s.types.input.core.v1.Container[] = [
    {
      name: "redis",
      image: args.images.redis,
      command: ["sh", "/etc/redis/redis-start.sh"],
      ports: [{ name: "redis", containerPort: REDIS_PORT }],
      env: [
        ...envCommon,
        { name: "SENTINEL_HOST", value: sentinelHost ?? "" },
        ...c.sentinelAuthEnv,
        { name: "EXPORTER_PASSWORD", valueFrom: { secretKeyRef: { name: c.exporter.metadata.name, key: "password" } } },
      ],
      resources: toResourceRequirements(s.resources),
      securityContext: restrictedContainerSecurityContext(),
      ...execProbes(redisCliPing),
      volumeMounts: [
        { name: "data", mountPath: "/data" },
        configMount,
        { name: "acl", mountPath: "/etc/redis-acl", readOnly: true },
        { name: "run-redis", mountPath: "/run/redis" },
      ],
    },
    {
      ...kubernetesContainer(redisExporterContainer(args.images.redisExporter, "localhost", { secretName: c.exporter.metadata.name, key: "password" })),
      resources: toResourceRequirements(RESOURCE_PRESETS.nano),
      securityContext: restrictedContainerSecurityContext(),
      ...httpProbes({ port: "metrics", readinessPath: "/health", livenessPath: "/health" }),
    },
  ];
  if (s.sentinel.enabled) {
    containers.push({
      name: "sentinel",
      image: args.images.redis,
      command: ["sh", "/etc/redis/sentinel-start.sh"],
      ports: [{ name: "sentinel", containerPort: SENTINEL_PORT }],
      env: [...envCommon, { name: "SENTINEL_PASSWORD", valueFrom: { secretKeyRef: { name: c.sentinelSecret.metadata.name, key: "password" } } }, ...c.sentinelAuthEnv],
      resources: toResourceRequirements(RESOURCE_PRESETS.nano),
      securityContext: restrictedContainerSecurityContext(),
      ...execProbes(["sh", "-c", `REDISCLI_AUTH="$SENTINEL_AUTH_PASSWORD" redis-cli -p ${SENTINEL_PORT} ping | grep -q PONG`]),
      volumeMounts: [configMount, { name: "run-sentinel", mountPath: "/run/sentinel" }],
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
          metadata: { labels: scope.labels, annotations: { "kubectl.kubernetes.io/default-container": "redis" } },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurityContext(REDIS_UID),
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
