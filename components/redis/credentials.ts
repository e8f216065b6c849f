import * as pulumi from "@pulumi/pulumi";
import { generatedPassword } from "../lib/credentials";
import type { Env } from "../lib/env";
import type { ObjectScope } from "../lib/scope";
import { MASTER_NAME, REDIS_PORT, type RedisSettings, redisAclFiles, SENTINEL_PORT } from "./files";

/**
 * The queue's ACL users (app, exporter, replication, sentinel, admin; the default user is
 * off), each with a generated password, the ACL files, and the Secrets clients read.
 */
export function queueCredentials(scope: ObjectScope, name: string, s: RedisSettings, hosts: { host: pulumi.Output<string>; sentinelHost?: pulumi.Output<string> }) {
  const password = (user: string) => generatedPassword(`${name}-${user}`, scope.parent);
  const passwords = { app: password("app"), exporter: password("exporter"), replication: password("replication"), sentinel: password("sentinel"), admin: password("admin") };
  const sentinelAuthPassword = s.sentinel.enabled ? password("sentinel-auth") : undefined;
  const secret = (secretName: string, stringData: Record<string, pulumi.Input<string>>) => scope.secret(secretName, stringData);

  const aclFiles = pulumi
    .all([passwords.app, passwords.exporter, passwords.replication, passwords.sentinel, passwords.admin])
    .apply(([app, exporter, replication, sentinel, admin]) => redisAclFiles({ app, exporter, replication, sentinel, admin }));
  const aclData = { "users.acl": aclFiles.apply((f) => f["users.acl"]), "replication.conf": aclFiles.apply((f) => f["replication.conf"]) };
  const acl = secret(`${name}-acl`, aclData);
  const app = secret(`${name}-app`, {
    username: "app",
    password: passwords.app,
    host: hosts.host,
    port: String(REDIS_PORT),
    ...(hosts.sentinelHost && sentinelAuthPassword
      ? { sentinelHost: hosts.sentinelHost, sentinelPort: String(SENTINEL_PORT), masterName: MASTER_NAME, sentinelPassword: sentinelAuthPassword }
      : {}),
  });
  const exporter = secret(`${name}-exporter`, { username: "exporter", password: passwords.exporter });
  secret(`${name}-admin`, { username: "admin", password: passwords.admin });
  const sentinelSecret = secret(`${name}-sentinel`, { username: "sentinel", password: passwords.sentinel });
  // What clients (and the sentinels among themselves) authenticate to Sentinel with: a
  // password of its own, since the sentinel user's above may reconfigure Redis.
  const sentinelAuth = sentinelAuthPassword ? secret(`${name}-sentinel-auth`, { password: sentinelAuthPassword }) : undefined;
  const sentinelAuthEnv: Env = sentinelAuth ? { SENTINEL_AUTH_PASSWORD: { secretName: sentinelAuth.metadata.name, key: "password" } } : {};
  return { acl, aclData, app, exporter, sentinelSecret, sentinelAuthEnv };
}

export type QueueCredentials = ReturnType<typeof queueCredentials>;
