import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dockerEnv } from "../../components/lib/env";
import { parseQuantity } from "../../components/lib/quantity";
import { postgresBytes } from "../../components/lib/settings";
import { keycloakContainer } from "../../components/keycloak/files";
import { API_CLIENT_ID, renderRealm } from "../../components/keycloak/realm";
import type { RedisUsers } from "../../components/redis/redisConf";
import { configFromStackFile, type PlatformConfig, validateConfig } from "../../stacks/config";
import { type Cluster, ensurePostgresInstalled, ROOT, Sandbox } from "./support";
import { MemoryCgroup, memoryCgroupsUnavailable } from "./support/cgroup";
import { ensureKeycloakInstalled, KeycloakServer, postForm } from "./support/keycloak";
import { RedisProcess, redisCli, writeRedisInstance } from "./support/redis";
import { freePort } from "./support/cluster";

// The servers under the memory limits the stacks render, each in a memory cgroup of its
// own as the kubelet would put its container: dev's PostgreSQL (its 256Mi limit with the
// buffers the schema lets it have), dev's Redis (64Mi, maxmemory 32mb) and Keycloak's
// default (1536Mi, its heap a share of it). Each must start, serve a workload that fills
// what it was given, and never be OOM-killed. A control run with what dev used to render
// (shared_buffers as large as the limit) must be killed, or the limit proves nothing.

const unavailable = memoryCgroupsUnavailable();
if (unavailable) process.stderr.write(`memory-limits.test.ts: SKIPPED, no memory cgroup can be made here (${unavailable}); the servers were not run under their limits\n`);

function stackSettings(stack: string): PlatformConfig {
  const result = validateConfig(configFromStackFile(path.join(ROOT, `Pulumi.${stack}.yaml`)));
  if (!result.ok) throw new Error(`Pulumi.${stack}.yaml does not validate:\n${result.problems.join("\n")}`);
  return result.config;
}

const dev = stackSettings("dev");
const limitOf = (resources: { limits: { memory: string } }) => parseQuantity(resources.limits.memory) ?? 0;
const groups: MemoryCgroup[] = [];
const cgroup = (name: string, limit: number, o?: { serverUser?: boolean }) => {
  const group = MemoryCgroup.create(name, limit, o);
  groups.push(group);
  return group;
};
const MIB = 1024 * 1024;

afterAll(() => {
  for (const g of groups) {
    try {
      g.remove();
    } catch (error) {
      process.stderr.write(`memory-limits.test.ts: ${g.dir} not removed: ${(error as Error).message}\n`);
    }
  }
});

describe.skipIf(unavailable !== undefined)("servers under the memory limits the stacks render (a memory cgroup each)", () => {
  describe("PostgreSQL with dev's settings, under dev's limit", () => {
    let sandbox: Sandbox;
    afterAll(async () => sandbox?.cleanup());
    const p = dev.postgres.parameters;
    const devSettings = {
      shared_buffers: p.sharedBuffers,
      effective_cache_size: p.effectiveCacheSize,
      work_mem: p.workMem,
      maintenance_work_mem: p.maintenanceWorkMem,
      max_connections: String(p.maxConnections),
    };

    /** Reads the table into shared_buffers, touching every buffer. */
    const prewarm = (pg: Cluster) => pg.psql("CREATE EXTENSION IF NOT EXISTS pg_prewarm; SELECT pg_prewarm('filler', 'buffer')", { timeoutMs: 300_000 });

    async function loaded(pg: Cluster) {
      // ~120 MB of rows: more than the buffers, loaded into every one of them (pg_prewarm:
      // scans and bulk writes use a small ring instead), indexed (maintenance_work_mem)
      // and sorted by 8 sessions at once (work_mem each).
      await pg.psql("CREATE TABLE filler AS SELECT g, repeat(md5(g::text), 8) AS pad FROM generate_series(1, 400000) g", { timeoutMs: 300_000 });
      await prewarm(pg);
      await pg.psql("CREATE INDEX ON filler (pad)", { timeoutMs: 300_000 });
      await Promise.all(Array.from({ length: 8 }, () => pg.psql("SELECT pad FROM filler ORDER BY md5(pad) DESC LIMIT 3", { timeoutMs: 300_000 })));
      return pg.psql("SELECT count(*) FROM filler");
    }

    it(`starts and serves a workload larger than its buffers, never OOM-killed (${dev.postgres.resources.limits.memory}, shared_buffers ${p.sharedBuffers})`, async () => {
      sandbox = new Sandbox(ensurePostgresInstalled(), "blacklake-memory-");
      const limit = cgroup("postgres", limitOf(dev.postgres.resources), { serverUser: true });
      const pg = await sandbox.cluster("dev-sized", sandbox.newRepo());
      await pg.initdb();
      await pg.start({ cgroup: limit, settings: devSettings });
      expect(await loaded(pg)).toBe("400000");
      expect(pg.running).toBe(true);
      expect(limit.oomKills()).toBe(0);
      // The buffers were used: the peak is above them (and, being a cgroup, at most the limit).
      expect(limit.peakBytes()).toBeGreaterThan(postgresBytes(p.sharedBuffers));
      process.stderr.write(`postgres under ${dev.postgres.resources.limits.memory}: peak ${(limit.peakBytes() / MIB).toFixed(0)} MiB, 0 OOM kills\n`);
      await pg.stop();
    });

    it("the control: shared_buffers as large as the limit (what dev rendered before the schema's rule) is OOM-killed", async () => {
      const limit = cgroup("postgres-control", limitOf(dev.postgres.resources), { serverUser: true });
      const pg = await sandbox.cluster("oversized", sandbox.newRepo());
      await pg.initdb();
      await pg.start({ cgroup: limit, settings: { ...devSettings, shared_buffers: "256MB" } });
      // ~330 MB of rows read into 256 MB of buffers touches all of them.
      await pg.psql("CREATE TABLE filler AS SELECT g, repeat(md5(g::text), 32) AS pad FROM generate_series(1, 300000) g", { timeoutMs: 300_000 });
      const crashed = await prewarm(pg).then(
        () => "",
        (error: Error) => error.message,
      );
      expect(crashed, "the session filling the buffers lost its server").toMatch(/terminated|server closed the connection|connection to server/);
      expect(limit.oomKills(), "the kernel killed a PostgreSQL process for exceeding the limit").toBeGreaterThan(0);
      pg.kill();
    });
  });

  describe("Redis with dev's redis.conf, under dev's limit", () => {
    const passwords: RedisUsers = { app: "app-pw-1", exporter: "exp-pw-2", replication: "repl-pw-3", sentinel: "sent-pw-4", admin: "adm-pw-5" };
    let redis: RedisProcess;
    let dir: string;
    afterAll(async () => {
      await redis?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it(`fills maxmemory (${dev.redis.maxmemory}) and refuses writes there (noeviction), never OOM-killed (${dev.redis.resources.limits.memory})`, async () => {
      execFileSync("bash", [path.join(ROOT, "scripts/integration/install-redis.sh")], { stdio: "ignore" });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "blacklake-redis-memory-"));
      const port = await freePort();
      const file = writeRedisInstance(dir, port, passwords, { maxmemory: dev.redis.maxmemory });
      const limit = cgroup("redis", limitOf(dev.redis.resources));
      const [command, args] = limit.wrap("redis-server", [file]);
      redis = new RedisProcess("redis-server", file, port, { command, args, env: {} });
      await redis.start();
      const app = { user: "app", password: passwords.app };
      // Each call writes 4 MB; a write is refused once used memory is past maxmemory.
      const fill = "for i = 1, 4096 do redis.call('SET', KEYS[1] .. ':' .. i, string.rep('x', 1024)) end return 'filled'";
      let refused = "";
      for (let batch = 0; batch < 40 && !refused; batch++) {
        const out = redisCli(port, app, ["EVAL", fill, "1", `job:${batch}`]);
        if (/OOM command not allowed/.test(out)) refused = out;
        else expect(out).toBe("filled");
      }
      expect(refused, "Redis refused a write at maxmemory").toMatch(/OOM command not allowed when used memory > 'maxmemory'/);
      expect(redisCli(port, app, ["GET", "job:0:1"])).toBe("x".repeat(1024));
      expect(limit.oomKills()).toBe(0);
      expect(limit.pids().length, "redis-server is alive in its cgroup").toBeGreaterThan(0);
      process.stderr.write(`redis under ${dev.redis.resources.limits.memory}: peak ${(limit.peakBytes() / MIB).toFixed(0)} MiB, 0 OOM kills\n`);
    });
  });

  describe("Keycloak with its rendered heap settings, under its default limit", () => {
    const keycloak = stackSettings("prod").keycloak;
    let kc: KeycloakServer | undefined;
    afterAll(async () => kc?.stop(), 60_000);

    it(`starts, issues a token, and sizes its heap to ${keycloak.resources.limits.memory} (never OOM-killed)`, async () => {
      const limitBytes = limitOf(keycloak.resources);
      const limit = cgroup("keycloak", limitBytes);
      const secret = "memory-test-secret";
      const spec = keycloakContainer("keycloak", {
        database: { url: "unused", username: "unused", password: "unused" },
        publicUrl: "http://127.0.0.1",
        admin: { username: "unused", password: "unused" },
        behindProxy: false,
        cache: "local",
      });
      const heapOptions = String(dockerEnv(spec.env ?? {}).JAVA_OPTS_KC_HEAP);
      expect(heapOptions).toMatch(/MaxRAMPercentage/);
      kc = await KeycloakServer.start({
        installDir: ensureKeycloakInstalled(),
        realms: [
          renderRealm({
            ui: { rootUrl: "https://ui.example.test", redirectUris: ["https://ui.example.test/*"] },
            api: { secret },
            accessTokenLifespanSeconds: 300,
            ssoSessionIdleTimeoutSeconds: 900,
          }),
        ],
        admin: { username: "memory-admin", password: "Memory-Admin-Pw-9" },
        timeoutMs: 400_000,
        // Our heap options, as the container has them; gc+init logs the heap the JVM chose.
        env: { JAVA_OPTS_KC_HEAP: heapOptions, JAVA_OPTS_APPEND: "-Xlog:gc+init" },
        cgroup: limit,
      });
      const token = await postForm(kc.tokenUrl("blacklake"), { grant_type: "client_credentials", client_id: API_CLIENT_ID, client_secret: secret });
      expect(token.status, token.text).toBe(200);
      const maxHeap = /Heap Max Capacity: (\d+)M/.exec(fs.readFileSync(kc.logFile, "utf8"))?.[1];
      expect(maxHeap, "the JVM logged its heap").toBeDefined();
      // The JVM read the cgroup's limit: its heap is our share of it, not of the machine's 24 GiB.
      expect(Number(maxHeap) * MIB).toBeGreaterThan(limitBytes * 0.65);
      expect(Number(maxHeap) * MIB).toBeLessThanOrEqual(limitBytes * 0.71); // 70%, rounded up to the JVM's alignment
      expect(limit.oomKills()).toBe(0);
      process.stderr.write(`keycloak under ${keycloak.resources.limits.memory}: heap ${maxHeap} MiB, peak ${(limit.peakBytes() / MIB).toFixed(0)} MiB, 0 OOM kills\n`);
    });
  });
});
