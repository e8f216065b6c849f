import * as fs from "node:fs";
import * as path from "node:path";
import type { RedisSettings } from "./settings";
import { renderRedisConf, renderReplicationInclude, renderSentinelConf, renderUsersAcl, type RedisUsers } from "./redisConf";

// The files Redis reads, for every target: the Kubernetes component puts them in its
// ConfigMap, the local (Docker) stack uploads them into its container. The ACL file and
// the replication include hold passwords: they come from renderUsersAcl and
// renderReplicationInclude and travel as secrets on both targets.

export type { RedisSettings };

export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;
export const MASTER_NAME = "queue";
/** The redis user of the official image. */
export const REDIS_UID = 999;

/** Where the files and data live inside the Redis container, on every target. */
export const REDIS_PATHS = {
  data: "/data",
  config: "/etc/redis",
  aclDir: "/etc/redis-acl",
  aclFile: "/etc/redis-acl/users.acl",
  replicationInclude: "/etc/redis-acl/replication.conf",
} as const;

const script = (name: string) => fs.readFileSync(path.join(__dirname, "scripts", name), "utf8");

/** Every file of Redis' configuration directory: file name -> text. `name` and `namespace` locate the primary for Sentinel. */
export function redisConfigFiles(s: RedisSettings, o: { name: string; namespace: string }): Record<string, string> {
  return {
    "redis.conf": renderRedisConf({
      bind: "0.0.0.0",
      port: REDIS_PORT,
      dataDir: REDIS_PATHS.data,
      aclFile: REDIS_PATHS.aclFile,
      replicationInclude: REDIS_PATHS.replicationInclude,
      maxmemory: s.maxmemory,
      maxmemoryPolicy: s.maxmemoryPolicy,
    }),
    "redis-start.sh": script("redis-start.sh"),
    ...(s.sentinel.enabled
      ? {
          "sentinel.conf": renderSentinelConf({
            bind: "0.0.0.0",
            port: SENTINEL_PORT,
            masterName: MASTER_NAME,
            masterHost: `${o.name}-0.${o.name}-pods.${o.namespace}.svc`,
            masterPort: REDIS_PORT,
            quorum: Math.floor(s.replicas / 2) + 1,
            downAfterMilliseconds: 5000,
            failoverTimeoutMilliseconds: 60000,
          }),
          "sentinel-start.sh": script("sentinel-start.sh"),
        }
      : {}),
  };
}

/** The files of the ACL directory (passwords inside: a Secret on Kubernetes, a secret upload on Docker). */
export function redisAclFiles(passwords: RedisUsers): Record<"users.acl" | "replication.conf", string> {
  return { "users.acl": renderUsersAcl(passwords), "replication.conf": renderReplicationInclude(passwords.replication) };
}
