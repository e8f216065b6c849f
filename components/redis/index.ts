import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { type InClusterArgs, renamedType } from "../lib/component";
import type { MonitoringMixin } from "../lib/mixin";
import { ObjectScope } from "../lib/scope";
import { queueCredentials } from "./credentials";
import { MASTER_NAME, REDIS_PORT, redisConfigFiles, type RedisSettings, SENTINEL_PORT } from "./files";
import { redisMixin } from "./mixin";
import { queueStatefulSet } from "./statefulSet";

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
    const s = args.settings;
    const ns = args.namespace;
    const scope = new ObjectScope(this, args, { name: "redis", instance: args.instance, component: "queue" });
    this.host = pulumi.interpolate`${name}.${ns}.svc`;
    this.sentinelHost = s.sentinel.enabled ? pulumi.interpolate`${name}-sentinel.${ns}.svc` : undefined;

    const credentials = queueCredentials(scope, name, s, { host: this.host, sentinelHost: this.sentinelHost });
    const config = new k8s.core.v1.ConfigMap(`${name}-config`, { metadata: scope.meta(`${name}-config`), data: redisConfigFiles(s, { name, namespace: ns }) }, scope.child);
    queueStatefulSet(scope, name, args, { config, credentials, sentinelHost: this.sentinelHost });
    scope.podDisruptionBudget(name);

    this.appSecretName = credentials.app.metadata.name;
    this.mixin = redisMixin({ namespace: ns, podSelector: scope.selector });
    this.registerOutputs({ host: this.host, appSecretName: this.appSecretName });
  }
}
