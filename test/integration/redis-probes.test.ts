import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDIS_ALIVE, REDIS_READY, redisServerContainer } from "../../components/redis/containers";
import type { RedisUsers } from "../../components/redis/redisConf";
import { ROOT } from "../harness";
import { freePort } from "./support";
import { RedisProcess, redisCli, waitFor, writeRedisInstance } from "./support/redis";

// The Redis container's probes, run as the kubelet runs them (sh -c, the container's
// environment) against the real redis-server with our rendered config, while it loads a
// large AOF after a restart: liveness must hold (killed, it would start the load again, in
// a loop), readiness must not (no traffic before the data is there). The load is made slow
// with Redis' own key-load-delay, so the window is seconds, not milliseconds.
//
// The data is written as plain SETs, fast to pipe in; that scripts' and transactions'
// writes survive the AOF replay too is redis.test.ts' "keeps a script's ..." case.

const PASSWORDS: RedisUsers = { app: "app-pw", exporter: "exporter-pw", replication: "repl-pw", sentinel: "sentinel-pw", admin: "admin-pw" };
const KEYS = 50_000;
let dir: string;
let port: number;
let redis: RedisProcess;

/** A probe command of the container's spec, with redis-cli pointed at this server's port; its exit status. */
function probe(command: string): number | null {
  const env = { PATH: process.env.PATH ?? "", EXPORTER_PASSWORD: PASSWORDS.exporter };
  return spawnSync("sh", ["-c", command.replace("redis-cli", `redis-cli -p ${port}`)], { env, timeout: 10_000 }).status;
}

beforeAll(async () => {
  spawnSync("bash", [path.join(ROOT, "scripts/integration/install-redis.sh")], { stdio: "ignore" });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-probes-"));
  port = await freePort();
  const conf = writeRedisInstance(dir, port, PASSWORDS);
  redis = new RedisProcess("redis-server", conf, port);
  await redis.start();
  // Plain SETs through redis-cli --pipe, one AOF entry a key.
  const resp = (args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
  const input = Array.from({ length: KEYS }, (_, i) => resp(["SET", `job:${i}`, "payload"])).join("");
  const piped = spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "--user", "admin", "--pipe"], {
    input,
    env: { ...process.env, REDISCLI_AUTH: PASSWORDS.admin },
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(piped.stdout, piped.stderr).toMatch(new RegExp(`errors: 0, replies: ${KEYS}`));
  await redis.stop();
  // Restarted slowly loading: 50 microseconds a key.
  fs.appendFileSync(conf, "\nkey-load-delay 50\n");
  await redis.start();
}, 120_000);

afterAll(async () => {
  await redis?.crash();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("the Redis container's probes on the real redis-server loading its AOF", () => {
  it("are the spec's: readiness and liveness differ", () => {
    const spec = redisServerContainer("redis", { replicated: true, env: {}, exporterPassword: "x" });
    expect(spec.health).toMatchObject({ exec: { readiness: ["sh", "-c", REDIS_READY], liveness: ["sh", "-c", REDIS_ALIVE] } });
    expect(REDIS_READY).not.toContain("--pass");
  });

  it("keep it alive but not ready while it loads, then ready", async () => {
    const admin = { user: "admin", password: PASSWORDS.admin };
    expect(redisCli(port, admin, ["PING"])).toMatch(/^LOADING/);
    expect(probe(REDIS_ALIVE), "liveness while loading").toBe(0);
    expect(probe(REDIS_READY), "readiness while loading").not.toBe(0);
    await waitFor(() => redisCli(port, admin, ["PING"]) === "PONG", "the load to finish", 120_000);
    expect(probe(REDIS_READY)).toBe(0);
    expect(probe(REDIS_ALIVE)).toBe(0);
    expect(redisCli(port, admin, ["DBSIZE"])).toBe(String(KEYS));
  }, 180_000);

  it("fail liveness too once the server is gone", async () => {
    await redis.crash();
    expect(probe(REDIS_ALIVE)).not.toBe(0);
  });
});
