import { RENDERED_HEADER } from "../lib/confFile";

// redis.conf, the ACL file and sentinel.conf from typed options. Passwords live only in
// the ACL file and the replication include, both mounted from Kubernetes Secrets; the
// main redis.conf holds no secret and can live in a ConfigMap.

export interface RedisConfOptions {
  bind: string;
  port: number;
  dataDir: string;
  aclFile: string;
  /** Secret include with `masteruser`/`masterauth`, so replicas can authenticate to the primary. */
  replicationInclude?: string;
  maxmemory: string;
  maxmemoryPolicy: string;
}

export function renderRedisConf(o: RedisConfOptions): string {
  const lines = [
    `# ${RENDERED_HEADER}`,
    `bind ${o.bind}`,
    `port ${o.port}`,
    // Refuse clients that have not authenticated even if bind is widened by mistake.
    "protected-mode yes",
    `dir ${o.dataDir}`,
    `aclfile ${o.aclFile}`,
    "",
    "# Persistence: every write in the append-only file, fsync'd every second, so a crash",
    "# loses at most one second of queued jobs; RDB snapshots speed up restarts.",
    "appendonly yes",
    "appendfsync everysec",
    "aof-use-rdb-preamble yes",
    "save 900 1 300 10 60 10000",
    "",
    "# Memory: a job queue must never silently lose jobs to eviction (noeviction makes",
    "# writes fail loudly instead, and an alert fires well before).",
    `maxmemory ${o.maxmemory}`,
    `maxmemory-policy ${o.maxmemoryPolicy}`,
    "",
    "# Replication",
    "replica-read-only yes",
    "replica-serve-stale-data yes",
    "repl-diskless-sync yes",
    ...(o.replicationInclude ? [`include ${o.replicationInclude}`] : []),
    "",
    "# Observability",
    "slowlog-log-slower-than 10000",
    "slowlog-max-len 256",
    "latency-monitor-threshold 100",
    "tcp-keepalive 60",
  ];
  return `${lines.join("\n")}\n`;
}

export interface RedisUsers {
  app: string;
  exporter: string;
  replication: string;
  sentinel: string;
  admin: string;
}

/**
 * Least privilege per user. The default user is off, so nothing works without a
 * password. It still holds every permission, with no password to log in with: Redis
 * replays the append-only file as the default user and, through 7.4, re-checks its
 * permissions on each MULTI/EXEC there (Lua scripts are written as MULTI/EXEC too), so a
 * default user without them silently drops those writes on restart (redis/redis#14541).
 *
 * The application gets every data command but no admin or dangerous one (no FLUSHALL,
 * CONFIG, KEYS, DEBUG, SHUTDOWN); the exporter reads statistics and key sizes only;
 * replication and sentinel get exactly the commands their protocols use.
 */
export function renderUsersAcl(passwords: RedisUsers): string {
  const user = (name: string, password: string, rules: string) => `user ${name} on >${password} ${rules}`;
  return [
    "user default off resetpass ~* &* +@all",
    user("app", passwords.app, "~* &* +@all -@admin -@dangerous"),
    user(
      "exporter",
      passwords.exporter,
      "~* -@all +client|list +client|info +ping +info +config|get +cluster|info +slowlog|get +slowlog|len +latency|latest +memory|usage +select +scan +type +strlen +llen +scard +zcard +hlen +xlen +pfcount",
    ),
    user("replication", passwords.replication, "-@all +psync +replconf +ping"),
    user(
      "sentinel",
      passwords.sentinel,
      "&* -@all +multi +slaveof +replicaof +ping +exec +subscribe +config|rewrite +role +publish +info +client|setname +client|kill +script|kill",
    ),
    user("admin", passwords.admin, "~* &* +@all"),
    "",
  ].join("\n");
}

export function renderReplicationInclude(password: string): string {
  return `masteruser replication\nmasterauth ${password}\n`;
}

export interface SentinelConfOptions {
  bind: string;
  port: number;
  masterName: string;
  masterHost: string;
  masterPort: number;
  quorum: number;
  /** This sentinel's own address as the others should reach it (a stable DNS name). */
  announceHostname?: string;
  downAfterMilliseconds: number;
  failoverTimeoutMilliseconds: number;
}

/** Sentinel rewrites its config file, so the pod copies this template to a writable volume. */
export function renderSentinelConf(o: SentinelConfOptions): string {
  return [
    `# ${RENDERED_HEADER}`,
    `bind ${o.bind}`,
    `port ${o.port}`,
    "protected-mode no",
    "sentinel resolve-hostnames yes",
    "sentinel announce-hostnames yes",
    ...(o.announceHostname ? [`sentinel announce-ip ${o.announceHostname}`] : []),
    `sentinel monitor ${o.masterName} ${o.masterHost} ${o.masterPort} ${o.quorum}`,
    `sentinel down-after-milliseconds ${o.masterName} ${o.downAfterMilliseconds}`,
    `sentinel failover-timeout ${o.masterName} ${o.failoverTimeoutMilliseconds}`,
    `sentinel parallel-syncs ${o.masterName} 1`,
    // The sentinel's credentials for Redis are appended at start-up from the Secret.
    "",
  ].join("\n");
}
