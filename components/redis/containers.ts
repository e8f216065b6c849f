import type * as pulumi from "@pulumi/pulumi";
import type { ContainerSpec } from "../lib/container";
import type { Env, EnvValue } from "../lib/env";
import { REDIS_PATHS, REDIS_PORT, REDIS_UID } from "./files";
import { DEAD_LETTER_KEY_PATTERN, QUEUE_KEY_PATTERN } from "./mixin";

// The queue's server and exporter as every target runs them (statefulSet.ts on Kubernetes,
// stacks/local on Docker).

/** The rendered files' text, for targets that copy them in (Kubernetes mounts the ConfigMap and the ACL Secret). */
export interface RedisFiles {
  /** redis.conf and the start scripts, by name. */
  config: Record<string, pulumi.Input<string>>;
  /** users.acl and replication.conf: the users' passwords. */
  acl: Record<string, pulumi.Input<string>>;
}

/**
 * The Redis server. With `replicated` it starts through redis-start.sh, which makes it the
 * primary or a replica (of Sentinel's primary when there is one); a lone instance runs
 * redis-server on redis.conf, since the script would only add replication lines.
 * `env` is what the start script reads; the exporter user's password comes last, for the probe.
 */
export function redisServerContainer(image: pulumi.Input<string>, o: { replicated: boolean; env: Env; exporterPassword: EnvValue; files?: RedisFiles }): ContainerSpec {
  return {
    name: "redis",
    image,
    // A lone instance goes through the image's entrypoint, which runs redis-server as given.
    ...(o.replicated ? { command: ["sh", `${REDIS_PATHS.config}/redis-start.sh`] } : { args: ["redis-server", `${REDIS_PATHS.config}/redis.conf`] }),
    ports: [{ name: "redis", port: REDIS_PORT }],
    env: { ...o.env, EXPORTER_PASSWORD: o.exporterPassword },
    uid: REDIS_UID,
    mounts: [
      { kind: "data", volume: "data", path: REDIS_PATHS.data },
      // A lone instance reads redis.conf only.
      o.replicated || !o.files
        ? { kind: "files", volume: "config", path: REDIS_PATHS.config, files: o.files?.config }
        : { kind: "files", volume: "config", path: `${REDIS_PATHS.config}/redis.conf`, subPath: "redis.conf", files: o.files.config },
      { kind: "files", volume: "acl", path: REDIS_PATHS.aclDir, files: o.files?.acl, secret: true },
      // Where redis-start.sh writes the config it composes.
      ...(o.replicated ? [{ kind: "scratch" as const, volume: "run-redis", path: "/run/redis" }] : []),
    ],
    health: { exec: { readiness: ["sh", "-c", REDIS_READY], liveness: ["sh", "-c", REDIS_ALIVE] }, docker: REDIS_READY },
  };
}

/**
 * redis-cli as the exporter user, whose password the container has; redis-cli reads it
 * from REDISCLI_AUTH, so it is not on a command line that the process list shows.
 */
const REDIS_CLI = 'REDISCLI_AUTH="$EXPORTER_PASSWORD" redis-cli --user exporter ping';
/** Ready: PONG (not while it loads its data set, nor while a replica has lost its primary). */
export const REDIS_READY = `${REDIS_CLI} | grep -q '^PONG'`;
/**
 * Alive: Redis answers at all, LOADING while it reads a large AOF and MASTERDOWN while a
 * replica has lost its primary included. Killed then, it would start the load again, in a loop.
 */
export const REDIS_ALIVE = `${REDIS_CLI} | grep -qE '^(PONG|LOADING|MASTERDOWN)'`;

export const REDIS_EXPORTER_PORT = 9121;
/** redis_exporter, counting the queue's and the dead-letter queue's keys. */
const REDIS_EXPORTER_ARGS = [`--check-keys=${QUEUE_KEY_PATTERN},${DEAD_LETTER_KEY_PATTERN}`, `--web.listen-address=:${REDIS_EXPORTER_PORT}`];

/** The exporter's connection: as the exporter ACL user, to Redis at `host`. */
function redisExporterEnv(host: string, password: EnvValue): Env {
  return { REDIS_ADDR: `redis://${host}:${REDIS_PORT}`, REDIS_USER: "exporter", REDIS_PASSWORD: password };
}

/** redis_exporter, reaching Redis at `host` as the exporter user. */
export function redisExporterContainer(image: pulumi.Input<string>, host: string, password: EnvValue): ContainerSpec {
  return {
    name: "exporter",
    image,
    args: REDIS_EXPORTER_ARGS,
    ports: [{ name: "metrics", port: REDIS_EXPORTER_PORT }],
    env: redisExporterEnv(host, password),
    uid: REDIS_UID,
    // Distroless: no shell for a Docker healthcheck.
    health: { http: { port: "metrics", readinessPath: "/health", livenessPath: "/health" } },
  };
}
