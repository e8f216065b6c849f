import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerSpec } from "../../components/lib/container";
import { dockerEnv } from "../../components/lib/env";
import { postgresExporterContainer } from "../../components/postgres/containers";
import { customMetric, renderExporterQueries } from "../../components/postgres/exporterQueries";
import { POSTGRES_CLIENT_TLS, POSTGRES_PATHS, POSTGRES_PORT } from "../../components/postgres/files";
import { redisExporterContainer } from "../../components/redis/containers";
import type { RedisUsers } from "../../components/redis/redisConf";
import { parseExposition } from "../harness/exposition";
import { ROOT } from "../harness";
import { type Cluster, ensureExportersInstalled, ensurePostgresInstalled, freePort, Sandbox } from "./support";
import { recordOrCompare } from "./support/metrics";
import { RedisProcess, redisCli, waitFor, writeRedisInstance } from "./support/redis";

// The exporters the stacks deploy, at the pinned versions, with the arguments and
// environment their ContainerSpecs give them, scraped while they watch the real servers.
// What they say is recorded in test/fixtures/metrics (RECORD_METRICS=1 rewrites it); the
// unit tier checks every rule and dashboard against those recordings, so a rule that
// selects a metric or label no exporter produces fails there. This test keeps the
// recordings honest: each must have exactly the metric names and label sets the real
// exporter produces now.
//
// pgbackrest_exporter cannot be built here (the module proxy refuses it; see
// scripts/integration/install-exporters.sh), so its series are not recorded or checked.

const BOOTSTRAP_VARS = { app_database: "blacklake", app_user: "blacklake_app", replication_user: "replicator", exporter_user: "metrics" };
const BOOTSTRAP_PASSWORDS = { APP_PASSWORD: "app-pw", REPLICATION_PASSWORD: "repl-pw", EXPORTER_PASSWORD: "metrics-pw" };
const REDIS_PASSWORDS: RedisUsers = { app: "app-pw", exporter: "exporter-pw", replication: "repl-pw", sentinel: "sentinel-pw", admin: "admin-pw" };

let work: string;
let sandbox: Sandbox;
let pg: Cluster;
let redis: RedisProcess;
let redisPort: number;
const exporters: { kill: () => void }[] = [];
let bins: Map<string, string>;
let redisVersion = "";

/** Starts an exporter from its spec's args and env (listening on `port` instead of the pod's), and waits for /metrics. */
async function startExporter(binary: string, spec: ContainerSpec, port: number, rewrite: (arg: string) => string = (a) => a): Promise<string> {
  const args = (spec.args ?? []).map((a) => String(a)).map((a) => (a.startsWith("--web.listen-address=") ? `--web.listen-address=127.0.0.1:${port}` : rewrite(a)));
  const env = Object.fromEntries(Object.entries(dockerEnv(spec.env ?? {})).map(([k, v]) => [k, String(v)]));
  const logFile = path.join(work, `${path.basename(binary)}.log`);
  // As this process's user: the binaries live in its tool cache, which the servers' user cannot read.
  const log = fs.openSync(logFile, "a");
  const child = spawn(binary, args, { env: { PATH: process.env.PATH ?? "", HOME: work, ...env }, cwd: work, stdio: ["ignore", log, log] });
  fs.closeSync(log);
  exporters.push({ kill: () => child.kill("SIGKILL") });
  const url = `http://127.0.0.1:${port}/metrics`;
  let text = "";
  // 60 s, not the usual 20: once on a busy CI machine postgres_exporter took longer to
  // answer its first scrape. Its log is printed when it never does (the work folder goes).
  await waitFor(
    () => {
      text = execFileSync("curl", ["-sf", url], { encoding: "utf8", timeout: 10_000 });
      return text.length > 0;
    },
    `${path.basename(binary)} on ${url}`,
    60_000,
  ).catch((e: Error) => {
    const tail = fs.readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n");
    throw new Error(`${e.message}\n${path.basename(binary)} exited ${child.exitCode ?? "no"}; its log's last lines:\n${tail}`);
  });
  return text;
}

/** The first line an exporter prints for --version (postgres_exporter on stdout, redis_exporter in a log line on stderr). */
function versionOf(binary: string): string {
  const r = spawnSync(binary, ["--version"], { encoding: "utf8", timeout: 10_000 });
  const text = `${r.stdout}${r.stderr}`;
  return (/msg="([^"]+?)\s{2,}/.exec(text)?.[1] ?? text.split("\n")[0] ?? binary).trim();
}

beforeAll(async () => {
  bins = ensureExportersInstalled();
  work = fs.mkdtempSync(path.join(os.tmpdir(), "blacklake-exporters-"));
  sandbox = new Sandbox(ensurePostgresInstalled(), "blacklake-exporters-");
  pg = await sandbox.cluster("exporters", sandbox.newRepo());
  await pg.initdb();
  await pg.start();
  // The metrics role exactly as the StatefulSet's first start makes it.
  await pg.psqlFile(path.join(ROOT, "components/postgres/scripts/bootstrap.sql"), BOOTSTRAP_VARS, "postgres", BOOTSTRAP_PASSWORDS);
  // Some traffic, so the per-database and per-statement queries return rows. The
  // repository has no stanza, so archive_command fails and the switched segment waits.
  await pg.psql("CREATE TABLE items AS SELECT g AS id FROM generate_series(1, 1000) g; SELECT count(*) FROM items;");
  await pg.psql("SELECT pg_switch_wal()");

  execFileSync("bash", [path.join(ROOT, "scripts/integration/install-redis.sh")], { stdio: "ignore" });
  const passwords = REDIS_PASSWORDS;
  const port = await freePort();
  redisPort = port;
  const conf = writeRedisInstance(path.join(work, "redis"), port, passwords, { maxmemory: "64mb" });
  redis = new RedisProcess("redis-server", conf, port);
  await redis.start();
  // A job queue and a dead letter, as the API keeps them, and a lookup that hits.
  const app = { user: "app", password: passwords.app };
  redisCli(port, app, ["RPUSH", "queue:default", "job-1", "job-2"]);
  redisCli(port, app, ["RPUSH", "dlq:default", "job-0"]);
  redisCli(port, app, ["SET", "cache:x", "1"]);
  redisCli(port, app, ["GET", "cache:x"]);
  redisCli(port, app, ["GET", "cache:missing"]);
  redisVersion = execFileSync("redis-server", ["--version"], { encoding: "utf8" }).trim();
}, 900_000);

afterAll(async () => {
  for (const e of exporters) e.kill();
  await redis?.crash();
  await sandbox?.cleanup();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("the exporters we deploy, scraped while they watch the real servers", () => {
  it("postgres_exporter with our exporter-queries.yaml: the recording holds exactly its series' names and label sets", async () => {
    const bin = bins.get("postgres_exporter");
    expect(bin, "install-exporters.sh built no postgres_exporter").toBeDefined();
    const queries = path.join(work, "exporter-queries.yaml");
    fs.writeFileSync(queries, renderExporterQueries());
    const spec = postgresExporterContainer("postgres_exporter", { host: "localhost", password: BOOTSTRAP_PASSWORDS.EXPORTER_PASSWORD, tls: true });
    const portArg = (a: string) => a.replace(`${POSTGRES_PATHS.config}/exporter-queries.yaml`, queries);
    // The pod reaches the server on localhost:5432 over TLS, verified with the CA it mounts;
    // here the server is on the sandbox's port and the CA is the test's.
    const uri = String(spec.env?.DATA_SOURCE_URI).replace(`:${POSTGRES_PORT}/`, `:${pg.port}/`).replace(POSTGRES_CLIENT_TLS.sslrootcert, sandbox.tls.caFile);
    expect(uri, "the exporter verifies the server").toContain("sslmode=verify-full");
    const text = await startExporter(bin!, { ...spec, env: { ...spec.env, DATA_SOURCE_URI: uri } }, await freePort(), portArg);
    const server = await pg.psql("SHOW server_version");
    recordOrCompare("postgres_exporter", text, [
      "Recorded by test/integration/exporters.test.ts (RECORD_METRICS=1): series names and label sets; the values are one run's.",
      `${versionOf(bin!)}, PostgreSQL ${server}, our exporter-queries.yaml.`,
    ]);
    // WAL the archive has not taken (the repository has no stanza) is seen as waiting.
    const pending = /\nblacklake_archiver_pending_segments\{[^}]*\} (\S+)/.exec(text)?.[1];
    expect(Number(pending), "blacklake_archiver_pending_segments").toBeGreaterThan(0);
    // Our own queries ran (the exporter logs and drops a query it cannot run), under the names the mixin selects.
    for (const [query, column] of [
      ["blacklake_connections", "used"],
      ["blacklake_cache", "hit"],
      ["blacklake_archiver", "failed"],
    ] as const) {
      expect(
        parseExposition(text).some((s) => s.name === customMetric(query, column)),
        customMetric(query, column),
      ).toBe(true);
    }
  });

  it("redis_exporter with our --check-keys: the recording holds exactly its series' names and label sets", async () => {
    const bin = bins.get("redis_exporter");
    expect(bin, "install-exporters.sh built no redis_exporter").toBeDefined();
    const spec = redisExporterContainer("redis_exporter", "127.0.0.1", REDIS_PASSWORDS.exporter);
    const text = await startExporter(bin!, { ...spec, env: { ...spec.env, REDIS_ADDR: `redis://127.0.0.1:${redisPort}` } }, await freePort());
    recordOrCompare("redis_exporter", text, [
      "Recorded by test/integration/exporters.test.ts (RECORD_METRICS=1): series names and label sets; the values are one run's.",
      `${versionOf(bin!)}, ${redisVersion}, our --check-keys.`,
    ]);
    expect(parseExposition(text).some((s) => s.name === "redis_key_size" && s.labels.key === "queue:default")).toBe(true);
  });
});
