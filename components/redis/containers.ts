import type * as pulumi from "@pulumi/pulumi";
import type { ContainerSpec } from "../lib/container";
import type { Env, EnvValue } from "../lib/env";
import { REDIS_PORT, REDIS_UID } from "./files";
import { DEAD_LETTER_KEY_PATTERN, QUEUE_KEY_PATTERN } from "./mixin";

// The queue's exporter as every target runs it (statefulSet.ts on Kubernetes, stacks/local on Docker).

export const REDIS_EXPORTER_PORT = 9121;
/** redis_exporter, counting the queue's and the dead-letter queue's keys. */
const REDIS_EXPORTER_ARGS = [`--check-keys=${QUEUE_KEY_PATTERN},${DEAD_LETTER_KEY_PATTERN}`, `--web.listen-address=:${REDIS_EXPORTER_PORT}`];

/** The exporter's connection: as the exporter ACL user, to Redis at `host`. */
function redisExporterEnv(host: string, password: EnvValue): Env {
  return { REDIS_ADDR: `redis://${host}:${REDIS_PORT}`, REDIS_USER: "exporter", REDIS_PASSWORD: password };
}

/** redis_exporter, reaching Redis at `host` as the exporter user. */
export function redisExporterContainer(image: pulumi.Input<string>, host: string, password: EnvValue): ContainerSpec {
  return { name: "exporter", image, args: REDIS_EXPORTER_ARGS, ports: [{ name: "metrics", port: REDIS_EXPORTER_PORT }], env: redisExporterEnv(host, password), uid: REDIS_UID };
}
