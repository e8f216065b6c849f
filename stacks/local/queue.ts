// The local stack's queue: one Redis instance (no Sentinel) and its exporter.

import * as pulumi from "@pulumi/pulumi";
import { SERVICES } from "../../components/lib/names";
import { redisExporterContainer, redisServerContainer } from "../../components/redis/containers";
import { redisAclFiles, redisConfigFiles } from "../../components/redis/files";
import { fromSpec } from "./container";
import type { LocalContext } from "./context";

/** Redis. */
export function localRedis(ctx: LocalContext) {
  const { config, ns, image, password, run } = ctx;
  const redisPasswords = {
    app: password("redis-app"),
    exporter: password("redis-exporter"),
    replication: password("redis-replication"),
    sentinel: password("redis-sentinel"),
    admin: password("redis-admin"),
  };
  const aclFiles = pulumi
    .all([redisPasswords.app, redisPasswords.exporter, redisPasswords.replication, redisPasswords.sentinel, redisPasswords.admin])
    .apply(([app, exporter, replication, sentinel, admin]) => redisAclFiles({ app, exporter, replication, sentinel, admin }));
  const redisFiles = redisConfigFiles(config.redis, { name: SERVICES.redis, namespace: ns });
  const aclFile = (file: "users.acl" | "replication.conf") => aclFiles.apply((f) => f[file]);
  run(
    fromSpec(
      SERVICES.redis,
      // One instance and no Sentinel.
      redisServerContainer(image(config.images.redis), {
        replicated: false,
        env: {},
        exporterPassword: redisPasswords.exporter,
        files: { config: redisFiles, acl: { "users.acl": aclFile("users.acl"), "replication.conf": aclFile("replication.conf") } },
      }),
    ),
  );
  run(fromSpec("redis-exporter", redisExporterContainer(image(config.images.redisExporter), SERVICES.redis, redisPasswords.exporter)));

  return { redisPasswords };
}
