import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { type InClusterArgs, objectNamespace, renamedType } from "../lib/component";
import { generatedPassword, opaqueSecret } from "../lib/credentials";
import { selectorLabels, standardLabels } from "../lib/labels";
import type { MonitoringMixin } from "../lib/mixin";
import { execProbes, httpProbes } from "../lib/probes";
import { preferOnePodPerNode, volumeClaim } from "../lib/placement";
import { RESOURCE_PRESETS, toResourceRequirements } from "../lib/resources";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";
import { DEAD_LETTER_KEY_PATTERN, QUEUE_KEY_PATTERN, redisMixin } from "./mixin";
import { MASTER_NAME, REDIS_PORT, REDIS_UID, redisAclFiles, redisConfigFiles, type RedisSettings, SENTINEL_PORT } from "./files";

export { MASTER_NAME, REDIS_PORT, SENTINEL_PORT };
export type { RedisSettings };
export type RedisImages = Record<"redis" | "redisExporter", string>;

/**
 * Redis for the job queue: password-only access through ACL users, AOF persistence,
 * noeviction, and (when settings.sentinel.enabled) Sentinel-managed failover between
 * the replicas of the StatefulSet.
 */
export class RedisQueue extends pulumi.ComponentResource {
  readonly host: pulumi.Output<string>;
  readonly port = REDIS_PORT;
  /** Sentinel's Service when Sentinel is on; clients ask it for the primary. */
  readonly sentinelHost?: pulumi.Output<string>;
  /** Secret with username and password of the application's user. */
  readonly appSecretName: pulumi.Output<string>;
  readonly mixin: MonitoringMixin;

  constructor(name: string, args: InClusterArgs<RedisSettings, RedisImages>, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:redis:RedisQueue", name, {}, renamedType("blacklake:redis:Queue", opts));
    const child = { parent: this };
    const s = args.settings;
    const ns = args.namespace;
    const id = { name: "redis", instance: args.instance, component: "queue" };
    const selector = selectorLabels(id);
    const meta = (objectName: string) => ({ name: objectName, namespace: objectNamespace(args), labels: standardLabels(id) });

    const password = (user: string) => generatedPassword(`${name}-${user}`, this);
    const passwords = { app: password("app"), exporter: password("exporter"), replication: password("replication"), sentinel: password("sentinel"), admin: password("admin") };
    const sentinelAuthPassword = s.sentinel.enabled ? password("sentinel-auth") : undefined;
    const secret = (secretName: string, stringData: Record<string, pulumi.Input<string>>) => opaqueSecret(secretName, meta(secretName), stringData, this);

    const podHost = (ordinal: number | string) => pulumi.interpolate`${name}-${ordinal}.${name}-pods.${ns}.svc`;
    this.host = pulumi.interpolate`${name}.${ns}.svc`;
    this.sentinelHost = s.sentinel.enabled ? pulumi.interpolate`${name}-sentinel.${ns}.svc` : undefined;

    const aclFiles = pulumi
      .all([passwords.app, passwords.exporter, passwords.replication, passwords.sentinel, passwords.admin])
      .apply(([app, exporter, replication, sentinel, admin]) => redisAclFiles({ app, exporter, replication, sentinel, admin }));
    const acl = secret(`${name}-acl`, {
      "users.acl": aclFiles.apply((f) => f["users.acl"]),
      "replication.conf": aclFiles.apply((f) => f["replication.conf"]),
    });
    const app = secret(`${name}-app`, {
      username: "app",
      password: passwords.app,
      host: this.host,
      port: String(REDIS_PORT),
      ...(this.sentinelHost && sentinelAuthPassword
        ? { sentinelHost: this.sentinelHost, sentinelPort: String(SENTINEL_PORT), masterName: MASTER_NAME, sentinelPassword: sentinelAuthPassword }
        : {}),
    });
    const exporter = secret(`${name}-exporter`, { username: "exporter", password: passwords.exporter });
    secret(`${name}-admin`, { username: "admin", password: passwords.admin });
    const sentinelSecret = secret(`${name}-sentinel`, { username: "sentinel", password: passwords.sentinel });
    // What clients (and the sentinels among themselves) authenticate to Sentinel with: a
    // password of its own, since the sentinel user's above may reconfigure Redis.
    const sentinelAuth = sentinelAuthPassword ? secret(`${name}-sentinel-auth`, { password: sentinelAuthPassword }) : undefined;
    const sentinelAuthEnv = sentinelAuth ? [{ name: "SENTINEL_AUTH_PASSWORD", valueFrom: { secretKeyRef: { name: sentinelAuth.metadata.name, key: "password" } } }] : [];

    const config = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      {
        metadata: meta(`${name}-config`),
        data: redisConfigFiles(s, { name, namespace: ns }),
      },
      child,
    );

    const service = (serviceName: string, spec: k8s.types.input.core.v1.ServiceSpec) => new k8s.core.v1.Service(serviceName, { metadata: meta(serviceName), spec }, child);
    const redisPort = { name: "redis", port: REDIS_PORT, targetPort: "redis" };
    const sentinelPort = { name: "sentinel", port: SENTINEL_PORT, targetPort: "sentinel" };
    const headless = service(`${name}-pods`, {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector,
      ports: s.sentinel.enabled ? [redisPort, sentinelPort] : [redisPort],
    });
    // Without Sentinel, ordinal 0 is always the primary. With Sentinel, clients must ask
    // Sentinel; this Service then only serves clients that read.
    service(name, { type: "ClusterIP", selector: s.sentinel.enabled ? selector : { ...selector, "statefulset.kubernetes.io/pod-name": `${name}-0` }, ports: [redisPort] });
    if (s.sentinel.enabled) service(`${name}-sentinel`, { type: "ClusterIP", selector, ports: [sentinelPort] });

    const envCommon = [
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "SELF_HOST", value: pulumi.interpolate`$(POD_NAME).${name}-pods.${ns}.svc` },
      { name: "PRIMARY_HOST", value: podHost(0) },
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
          { name: "SENTINEL_HOST", value: this.sentinelHost ?? "" },
          ...sentinelAuthEnv,
          { name: "EXPORTER_PASSWORD", valueFrom: { secretKeyRef: { name: exporter.metadata.name, key: "password" } } },
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
        name: "exporter",
        image: args.images.redisExporter,
        args: [`--check-keys=${QUEUE_KEY_PATTERN},${DEAD_LETTER_KEY_PATTERN}`, "--web.listen-address=:9121"],
        ports: [{ name: "metrics", containerPort: 9121 }],
        env: [
          { name: "REDIS_ADDR", value: `redis://localhost:${REDIS_PORT}` },
          { name: "REDIS_USER", value: "exporter" },
          { name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: exporter.metadata.name, key: "password" } } },
        ],
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
        env: [...envCommon, { name: "SENTINEL_PASSWORD", valueFrom: { secretKeyRef: { name: sentinelSecret.metadata.name, key: "password" } } }, ...sentinelAuthEnv],
        resources: toResourceRequirements(RESOURCE_PRESETS.nano),
        securityContext: restrictedContainerSecurityContext(),
        ...execProbes(["sh", "-c", `REDISCLI_AUTH="$SENTINEL_AUTH_PASSWORD" redis-cli -p ${SENTINEL_PORT} ping | grep -q PONG`]),
        volumeMounts: [configMount, { name: "run-sentinel", mountPath: "/run/sentinel" }],
      });
    }

    new k8s.apps.v1.StatefulSet(
      name,
      {
        metadata: meta(name),
        spec: {
          serviceName: headless.metadata.name,
          replicas: s.replicas,
          selector: { matchLabels: selector },
          template: {
            metadata: { labels: standardLabels(id), annotations: { "kubectl.kubernetes.io/default-container": "redis" } },
            spec: {
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurityContext(REDIS_UID),
              affinity: preferOnePodPerNode(selector),
              containers,
              volumes: [
                { name: "config", configMap: { name: config.metadata.name, defaultMode: 0o444 } },
                { name: "acl", secret: { secretName: acl.metadata.name, defaultMode: 0o440 } },
                { name: "run-redis", emptyDir: { sizeLimit: "16Mi" } },
                { name: "run-sentinel", emptyDir: { sizeLimit: "16Mi" } },
              ],
            },
          },
          volumeClaimTemplates: [volumeClaim("data", standardLabels(id), s.storage, args.storageClass)],
        },
      },
      child,
    );

    new k8s.policy.v1.PodDisruptionBudget(name, { metadata: meta(name), spec: { maxUnavailable: 1, selector: { matchLabels: selector } } }, child);

    this.appSecretName = app.metadata.name;
    this.mixin = redisMixin({ namespace: ns, podSelector: selector });
    this.registerOutputs({ host: this.host, appSecretName: this.appSecretName });
  }
}
