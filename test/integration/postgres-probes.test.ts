import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubernetesContainer } from "../../components/lib/container";
import { postgresContainer } from "../../components/postgres/containers";
import { POSTGRES_PATHS, POSTGRES_PORT } from "../../components/postgres/files";
import { configFromStackFile, validateConfig } from "../../stacks/config";
import { type Cluster, ensurePostgresInstalled, ROOT, Sandbox, sleep } from "./support";

// The database container's probes, as the pod has them, against a real PostgreSQL in a
// crash recovery: after a SIGKILL with ~600 MB of WAL since the last checkpoint, the
// restarted server replays it while refusing connections. Liveness (and the startup
// probe) must pass all that time, or the kubelet kills the recovery and it starts over,
// in a loop; readiness must fail (no traffic to a server that refuses it) until the
// server accepts connections again.

let sandbox: Sandbox;
let pg: Cluster;

const prod = validateConfig(configFromStackFile(path.join(ROOT, "Pulumi.prod.yaml")));
if (!prod.ok) throw new Error(prod.problems.join("\n"));
type ExecProbe = { exec: { command: string[] } };
const rendered = kubernetesContainer(
  postgresContainer(
    prod.config.postgres,
    "postgres",
    { podName: "postgres-0", primaryHost: "postgres-0", passwords: { superuser: "", replication: "", app: "", exporter: "" } },
    { caMounts: [], tls: true },
  ),
);
const probes = {
  readiness: (rendered.readinessProbe as ExecProbe).exec.command,
  liveness: (rendered.livenessProbe as ExecProbe).exec.command,
  startup: (rendered.startupProbe as ExecProbe).exec.command,
};

/** A probe's command, pointed at this server's socket and port instead of the pod's. */
const here = (command: string[]) => command.map((word) => word.replaceAll(POSTGRES_PATHS.socket, pg.socketDir).replaceAll(String(POSTGRES_PORT), String(pg.port)));
const passes = async (command: string[]) => {
  const [cmd, ...args] = here(command);
  const r = await pg.runAs(cmd === "pg_isready" ? path.join(pg.pgBin, cmd) : cmd!, args, { allowFailure: true, timeoutMs: 10_000, env: { PATH: `${pg.pgBin}:/usr/bin:/bin` } });
  return r.code === 0;
};

beforeAll(async () => {
  sandbox = new Sandbox(ensurePostgresInstalled(), "blacklake-probes-");
  pg = await sandbox.cluster("probes", sandbox.newRepo());
  await pg.initdb();
});

afterAll(async () => sandbox?.cleanup());

describe("the database container's probes during a crash recovery", () => {
  it("renders liveness and startup as 'the postmaster answers' and readiness as 'accepting connections'", () => {
    expect(probes.readiness).toEqual(["pg_isready", "--host", POSTGRES_PATHS.socket, "--port", "5432", "--timeout", "5"]);
    expect(probes.liveness).toEqual(["sh", "-c", `pg_isready --host ${POSTGRES_PATHS.socket} --port 5432 --timeout 5; [ $? -le 1 ]`]);
    expect(probes.startup).toEqual(probes.liveness);
  });

  it("keeps liveness passing while the server replays its WAL, and readiness failing until it accepts connections", async () => {
    const noCheckpoint = { checkpoint_timeout: "1h", max_wal_size: "8GB" };
    await pg.start({ settings: noCheckpoint });
    await pg.psql("CREATE TABLE replayed (id int, pad text); INSERT INTO replayed SELECT g, repeat('x', 400) FROM generate_series(1, 1200000) g", { timeoutMs: 600_000 });
    // SIGKILL: no shutdown checkpoint, so the restart must replay everything since the last
    // one. crash() waits until every process of the old server is gone, backends and the
    // checkpointer included: one still exiting keeps the shared memory attached, and the
    // new postmaster then refuses to start (the likely cause of
    // this test's CI failures: the old wait watched only the postmaster).
    await pg.crash();

    await pg.start({ settings: noCheckpoint, waitReady: false });
    const samples: { alive: boolean; ready: boolean }[] = [];
    const deadline = Date.now() + 300_000;
    while (Date.now() < deadline) {
      if (!pg.running) throw new Error(`postgres exited during the crash recovery:\n${pg.logTail()}`);
      const [alive, ready] = await Promise.all([passes(probes.liveness), passes(probes.readiness)]);
      samples.push({ alive, ready });
      if (ready) break;
      await sleep(100);
    }
    const firstAlive = samples.findIndex((s) => s.alive);
    expect(firstAlive, `the postmaster answered (running: ${pg.running}); its log:\n${pg.logTail()}`).toBeGreaterThanOrEqual(0);
    const afterStart = samples.slice(firstAlive);
    const recovering = afterStart.filter((s) => !s.ready).length;
    process.stderr.write(`crash recovery: ${samples.length} samples, ${recovering} while replaying (alive, not ready)\n`);
    expect(recovering, "samples taken while the server was alive and refusing connections").toBeGreaterThan(0);
    expect(
      afterStart.filter((s) => !s.alive),
      "liveness failed during the recovery",
    ).toEqual([]);
    expect(samples.at(-1)?.ready, "ready once recovered").toBe(true);
    expect(await pg.psql("SELECT count(*) FROM replayed")).toBe("1200000");
    expect(fs.readFileSync(pg.logFile, "utf8")).toMatch(/database system was interrupted|was not properly shut down; automatic recovery in progress/);
  });
});
