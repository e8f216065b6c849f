import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderRedisConf, renderReplicationInclude, renderSentinelConf, renderUsersAcl, type RedisUsers } from "../../components/redis/redisConf";
import { ROOT } from "../harness";
import { freePort, RedisProcess, redisCli, waitFor, writeRedisInstance } from "./support/redis";

// Debian's redis-server and redis-sentinel started with OUR rendered files on 127.0.0.1.

const passwords: RedisUsers = { app: "app-pw-1", exporter: "exp-pw-2", replication: "repl-pw-3", sentinel: "sent-pw-4", admin: "adm-pw-5" };
const app = { user: "app", password: passwords.app };
const exporter = { user: "exporter", password: passwords.exporter };
const admin = { user: "admin", password: passwords.admin };
/** Sentinel's own password (SENTINEL_AUTH_PASSWORD in the pod), for clients and between sentinels. */
const sentinelClients = { user: "default", password: "sentinel-clients-pw-7" };

const started: RedisProcess[] = [];
let base: string;

function instance(name: string, port: number, options: { maxmemory?: string; replicaOf?: number } = {}) {
  const file = writeRedisInstance(path.join(base, name), port, passwords, { maxmemory: options.maxmemory });
  if (options.replicaOf) fs.appendFileSync(file, `replicaof 127.0.0.1 ${options.replicaOf}\n`);
  const redis = new RedisProcess("redis-server", file, port);
  started.push(redis);
  return redis;
}

beforeAll(() => {
  execFileSync("bash", [path.join(ROOT, "scripts/integration/install-redis.sh")], { stdio: "ignore" });
  base = fs.mkdtempSync(path.join(os.tmpdir(), "redis-it-"));
});

afterAll(async () => {
  for (const redis of started) await redis.crash();
  fs.rmSync(base, { recursive: true, force: true });
});

describe("redis-server with our redis.conf and ACL file", () => {
  let port: number;
  let redis: RedisProcess;

  beforeAll(async () => {
    port = await freePort();
    redis = instance("single", port);
    await redis.start();
  });

  it("refuses commands without authentication", () => {
    expect(redisCli(port, {}, ["PING"])).toMatch(/NOAUTH/);
    expect(redisCli(port, {}, ["SET", "k", "v"])).toMatch(/NOAUTH/);
  });

  it("refuses the default user and a wrong password", () => {
    expect(redisCli(port, { user: "default", password: "" }, ["PING"])).toMatch(/WRONGPASS|invalid/i);
    expect(redisCli(port, { user: "app", password: "wrong" }, ["PING"])).toMatch(/WRONGPASS/);
  });

  it("lets the app user work the queue but not flush or reconfigure", () => {
    expect(redisCli(port, app, ["LPUSH", "queue:jobs", "job-1", "job-2"])).toBe("2");
    expect(redisCli(port, app, ["RPOP", "queue:jobs"])).toBe("job-1");
    expect(redisCli(port, app, ["FLUSHALL"])).toMatch(/NOPERM/);
    expect(redisCli(port, app, ["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"])).toMatch(/NOPERM/);
    expect(redisCli(port, app, ["KEYS", "*"])).toMatch(/NOPERM/);
  });

  it("lets the exporter read statistics and queue depth, nothing else", () => {
    expect(redisCli(port, exporter, ["INFO", "memory"])).toMatch(/used_memory:/);
    expect(redisCli(port, exporter, ["LLEN", "queue:jobs"])).toBe("1");
    expect(redisCli(port, exporter, ["FLUSHALL"])).toMatch(/NOPERM/);
    expect(redisCli(port, exporter, ["RPOP", "queue:jobs"])).toMatch(/NOPERM/);
    expect(redisCli(port, exporter, ["SET", "x", "y"])).toMatch(/NOPERM/);
  });

  it("runs with AOF every second and the noeviction memory policy", () => {
    expect(redisCli(port, admin, ["CONFIG", "GET", "appendonly"])).toBe("appendonly\nyes");
    expect(redisCli(port, admin, ["CONFIG", "GET", "appendfsync"])).toBe("appendfsync\neverysec");
    expect(redisCli(port, admin, ["CONFIG", "GET", "maxmemory-policy"])).toBe("maxmemory-policy\nnoeviction");
    expect(redisCli(port, admin, ["CONFIG", "GET", "maxmemory"])).toBe(`maxmemory\n${256 * 1024 * 1024}`);
  });

  it("keeps acknowledged writes across a crash", async () => {
    for (let i = 0; i < 50; i++) redisCli(port, app, ["LPUSH", "queue:durable", `job-${i}`]);
    await new Promise((r) => setTimeout(r, 1500)); // appendfsync everysec
    await redis.crash();
    await redis.start();
    expect(redisCli(port, app, ["LLEN", "queue:durable"])).toBe("50");
    expect(redisCli(port, app, ["LINDEX", "queue:durable", "0"])).toBe("job-49");
  });

  // A Lua script's writes and a transaction's are kept in the AOF as MULTI/EXEC, which
  // Redis up to 7.4 replays with the default user's permissions (redis/redis#14541): with
  // a default user that has none, they vanish on restart without an error.
  it("keeps a script's and a transaction's writes across a restart", async () => {
    const script = "for i = 1, 100 do redis.call('LPUSH', KEYS[1], 'job-' .. i) end return redis.call('LLEN', KEYS[1])";
    expect(redisCli(port, app, ["EVAL", script, "1", "queue:scripted"])).toBe("100");
    const transaction = spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "--user", "app", "--no-auth-warning"], {
      input: "MULTI\nSET tx:a 1\nSET tx:b 2\nEXEC\n",
      env: { ...process.env, REDISCLI_AUTH: passwords.app },
      encoding: "utf8",
    });
    expect(transaction.stdout).toMatch(/QUEUED[\s\S]*OK\nOK/);
    await new Promise((r) => setTimeout(r, 1500)); // appendfsync everysec
    await redis.crash();
    await redis.start();
    expect(redisCli(port, app, ["LLEN", "queue:scripted"])).toBe("100");
    expect(redisCli(port, app, ["MGET", "tx:a", "tx:b"])).toBe("1\n2");
    // The default user's permissions do not let anyone in: it is off and has no password.
    expect(redisCli(port, { user: "default", password: "" }, ["PING"])).toMatch(/WRONGPASS|invalid/i);
  });
});

describe("noeviction under memory pressure", () => {
  it("refuses writes instead of evicting queued jobs", async () => {
    const port = await freePort();
    const redis = instance("tiny", port, { maxmemory: "2mb" });
    await redis.start();
    const chunk = "x".repeat(64 * 1024);
    let error = "";
    for (let i = 0; i < 200 && !error; i++) {
      const reply = redisCli(port, app, ["LPUSH", "queue:big", chunk]);
      if (!/^\d+$/.test(reply)) error = reply;
    }
    expect(error).toMatch(/OOM command not allowed/);
    const kept = Number(redisCli(port, app, ["LLEN", "queue:big"]));
    expect(kept).toBeGreaterThan(0);
    expect(redisCli(port, admin, ["INFO", "stats"])).toMatch(/evicted_keys:0/);
  });
});

describe("replication and Sentinel failover with our users", () => {
  it("replicates with the replication user and fails over to the replica when the primary dies", async () => {
    const [primaryPort, replicaPort] = [await freePort(), await freePort()];
    const primary = instance("primary", primaryPort);
    await primary.start();
    const replica = instance("replica", replicaPort, { replicaOf: primaryPort });
    await replica.start();
    await waitFor(() => /master_link_status:up/.test(redisCli(replicaPort, admin, ["INFO", "replication"])), "the replica's link to the primary");
    redisCli(primaryPort, app, ["SET", "jobs:counter", "42"]);
    await waitFor(() => redisCli(replicaPort, app, ["GET", "jobs:counter"]) === "42", "the write to reach the replica");

    const sentinelPorts = [await freePort(), await freePort(), await freePort()];
    for (const [i, sentinelPort] of sentinelPorts.entries()) {
      const dir = path.join(base, `sentinel-${i}`);
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, "sentinel.conf");
      const conf = renderSentinelConf({
        bind: "127.0.0.1",
        port: sentinelPort,
        masterName: "queue",
        masterHost: "127.0.0.1",
        masterPort: primaryPort,
        quorum: 2,
        downAfterMilliseconds: 2000,
        failoverTimeoutMilliseconds: 10000,
      });
      // What sentinel-start.sh appends: credentials for Redis, and the password clients and the other sentinels use.
      fs.writeFileSync(
        file,
        `${conf}sentinel auth-user queue sentinel\nsentinel auth-pass queue ${passwords.sentinel}\nrequirepass ${sentinelClients.password}\nsentinel sentinel-pass ${sentinelClients.password}\n`,
      );
      const sentinel = new RedisProcess("redis-sentinel", file, sentinelPort);
      started.push(sentinel);
      await sentinel.start();
    }
    await waitFor(() => /num-other-sentinels\n2/.test(redisCli(sentinelPorts[0]!, sentinelClients, ["SENTINEL", "MASTER", "queue"])), "the sentinels to find each other", 30_000);

    await primary.crash();
    await waitFor(
      () => redisCli(sentinelPorts[0]!, sentinelClients, ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "queue"]).endsWith(String(replicaPort)),
      "Sentinel to promote the replica",
      40_000,
    );
    await waitFor(() => /role:master/.test(redisCli(replicaPort, admin, ["INFO", "replication"])), "the replica to become primary");
    expect(redisCli(replicaPort, app, ["GET", "jobs:counter"])).toBe("42");
    expect(redisCli(replicaPort, app, ["INCR", "jobs:counter"])).toBe("43");
  });
});

describe("our start scripts under busybox sh (the redis alpine image has no bash)", () => {
  const script = (name: string) => path.join(ROOT, "components/redis/scripts", name);

  /** A Redis started the way the pod starts it: busybox sh redis-start.sh, our files in a config dir. */
  function scripted(name: string, port: number, env: Record<string, string>) {
    const configDir = path.join(base, `${name}-config`);
    const runDir = path.join(base, `${name}-run`);
    const dataDir = path.join(base, `${name}-data`);
    for (const dir of [configDir, runDir, dataDir]) fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(configDir, "users.acl"), renderUsersAcl(passwords));
    fs.writeFileSync(path.join(configDir, "replication.conf"), renderReplicationInclude(passwords.replication));
    fs.writeFileSync(
      path.join(configDir, "redis.conf"),
      renderRedisConf({
        bind: "127.0.0.1",
        port,
        dataDir,
        aclFile: path.join(configDir, "users.acl"),
        replicationInclude: path.join(configDir, "replication.conf"),
        maxmemory: "64mb",
        maxmemoryPolicy: "noeviction",
      }),
    );
    const redis = new RedisProcess("redis-server", path.join(runDir, "redis.conf"), port, {
      command: "busybox",
      args: ["sh", script("redis-start.sh")],
      env: { POD_NAME: name, MASTER_NAME: "queue", REDIS_CONFIG_DIR: configDir, REDIS_RUN_DIR: runDir, ...env },
    });
    started.push(redis);
    return { redis, configDir };
  }

  it("starts ordinal 0 as primary, another as its replica, and asks Sentinel first when there is one", async () => {
    const sentinelAuth = "sentinel-auth-pw-6";
    const [primaryPort, replicaPort, laterPort, sentinelPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    // SELF_HOST tells the script who it is: "127.0.0.1" is the primary's name, "localhost" a replica's.
    const primary = scripted("scripted-0", primaryPort, { PRIMARY_HOST: "127.0.0.1", SELF_HOST: "127.0.0.1", SENTINEL_HOST: "" });
    await primary.redis.start();
    expect(redisCli(primaryPort, admin, ["INFO", "replication"])).toMatch(/role:master/);
    expect(fs.readFileSync(primary.redis.log, "utf8")).toContain("redis-start: scripted-0 starts as primary");

    const replica = scripted("scripted-1", replicaPort, { PRIMARY_HOST: "127.0.0.1", PRIMARY_PORT: String(primaryPort), SELF_HOST: "localhost", SENTINEL_HOST: "" });
    await replica.redis.start();
    await waitFor(() => /master_link_status:up/.test(redisCli(replicaPort, admin, ["INFO", "replication"])), "the scripted replica's link");
    redisCli(primaryPort, app, ["LPUSH", "queue:scripted", "job-1"]);
    await waitFor(() => redisCli(replicaPort, app, ["LLEN", "queue:scripted"]) === "1", "the job to reach the replica");

    // Sentinel, started by its script, then a Redis that must take Sentinel's answer over PRIMARY_HOST.
    const sentinelDir = path.join(base, "scripted-sentinel");
    const sentinelRun = path.join(base, "scripted-sentinel-run");
    fs.mkdirSync(sentinelDir, { recursive: true });
    fs.mkdirSync(sentinelRun, { recursive: true });
    fs.writeFileSync(
      path.join(sentinelDir, "sentinel.conf"),
      renderSentinelConf({
        bind: "127.0.0.1",
        port: sentinelPort,
        masterName: "queue",
        masterHost: "127.0.0.1",
        masterPort: primaryPort,
        quorum: 1,
        downAfterMilliseconds: 2000,
        failoverTimeoutMilliseconds: 10000,
      }),
    );
    const sentinel = new RedisProcess("redis-sentinel", path.join(sentinelRun, "sentinel.conf"), sentinelPort, {
      command: "busybox",
      args: ["sh", script("sentinel-start.sh")],
      env: {
        SELF_HOST: "127.0.0.1",
        MASTER_NAME: "queue",
        SENTINEL_PASSWORD: passwords.sentinel,
        SENTINEL_AUTH_PASSWORD: sentinelAuth,
        REDIS_CONFIG_DIR: sentinelDir,
        SENTINEL_RUN_DIR: sentinelRun,
      },
    });
    started.push(sentinel);
    await sentinel.start();
    expect(fs.readFileSync(path.join(sentinelRun, "sentinel.conf"), "utf8")).toContain(`sentinel auth-pass queue ${passwords.sentinel}`);
    // Clients must authenticate to Sentinel: it could otherwise be told to fail over or to monitor elsewhere.
    expect(redisCli(sentinelPort, {}, ["SENTINEL", "MASTERS"])).toMatch(/NOAUTH/);
    expect(redisCli(sentinelPort, { user: "default", password: "wrong" }, ["PING"])).toMatch(/WRONGPASS|invalid/i);
    const client = { user: "default", password: sentinelAuth };
    await waitFor(() => /flags\nmaster\n/.test(redisCli(sentinelPort, client, ["SENTINEL", "MASTER", "queue"])), "Sentinel to see the primary as healthy");

    const later = scripted("scripted-2", laterPort, {
      PRIMARY_HOST: "no-such-host.invalid",
      PRIMARY_PORT: String(primaryPort),
      SELF_HOST: "localhost",
      SENTINEL_HOST: "127.0.0.1",
      SENTINEL_PORT: String(sentinelPort),
      SENTINEL_AUTH_PASSWORD: sentinelAuth,
    });
    await later.redis.start();
    expect(fs.readFileSync(later.redis.log, "utf8")).toContain("starts as replica of 127.0.0.1");
    await waitFor(() => redisCli(laterPort, app, ["LLEN", "queue:scripted"]) === "1", "the Sentinel-directed replica to sync");
  });
});
