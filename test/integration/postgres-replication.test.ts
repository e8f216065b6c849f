import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderPgHba, renderPostgresqlConf } from "../../components/postgres/postgresqlConf";
import { REPLICATION_USER, STANZA } from "../../components/postgres/files";
import { ROOT } from "../harness";
import { baseEnv, ensurePostgresInstalled, freePort, productionPostgres, run, Sandbox, signalGroupAndWait, sleep, spawnDaemon } from "./support";

// The StatefulSet's entrypoint.sh, run as the pods run it: ordinal 0 initialises a
// primary and runs bootstrap.sql, ordinal 1 clones it with pg_basebackup and streams.
// Then the replication password is rotated the way docs/operations.md says: ALTER ROLE
// on the primary, restart the replica with the new Secret value.

const ENTRYPOINT = path.join(ROOT, "components/postgres/scripts/entrypoint.sh");
const passwords = { postgres: "su-pw-1", replication: "repl-pw-1", app: "app-pw-1", exporter: "exp-pw-1" };

let sandbox: Sandbox;
const servers = new Map<string, ChildProcess>();

interface Instance {
  name: string;
  port: number;
  dir: string;
  socket: string;
}

async function instance(ordinal: number): Promise<Instance> {
  const name = `postgres-${ordinal}`;
  const port = await freePort();
  const dir = sandbox.dir(name);
  const socket = sandbox.dir(name, "sock");
  const config = sandbox.dir(name, "config");
  const prod = productionPostgres();
  fs.writeFileSync(
    path.join(config, "postgresql.conf"),
    renderPostgresqlConf({
      ...prod,
      stanza: STANZA,
      pgbackrestConfigPath: path.join(config, "pgbackrest.conf"), // absent: archiving fails and retries, which replication does not need
      listenAddresses: "127.0.0.1",
      port,
      unixSocketDirectories: socket,
      maxWalSenders: prod.instances + 4,
      tls: { certFile: sandbox.tls.certFile, keyFile: sandbox.tls.keyFile },
    }),
  );
  fs.writeFileSync(path.join(config, "pg_hba.conf"), renderPgHba({ clientCidrs: ["127.0.0.1/32"], replicationUser: REPLICATION_USER, tls: true }));
  fs.copyFileSync(path.join(ROOT, "components/postgres/scripts/bootstrap.sql"), path.join(config, "bootstrap.sql"));
  return { name, port, dir, socket };
}

function start(i: Instance, primary: Instance, replicationPassword: string): void {
  const env = baseEnv(i.dir, {
    PATH: `${sandbox.pgBin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    PGDATA: path.join(i.dir, "pg16"),
    POSTGRES_CONFIG_DIR: path.join(i.dir, "config"),
    POD_NAME: i.name,
    PRIMARY_HOST: "127.0.0.1",
    PRIMARY_PORT: String(primary.port),
    // The clone and the stream verify the primary as in the pod (PGSSLMODE verify-full), with the test CA.
    ...sandbox.clientTlsEnv,
    PGHOST: i.socket, // the bootstrap's psql talks to the local socket
    PGPORT: String(i.port),
    POSTGRES_PASSWORD: passwords.postgres,
    REPLICATION_USER,
    REPLICATION_PASSWORD: replicationPassword,
    APP_DATABASE: "blacklake",
    APP_USER: "blacklake_app",
    APP_PASSWORD: passwords.app,
    EXPORTER_USER: "metrics",
    EXPORTER_PASSWORD: passwords.exporter,
  });
  servers.set(i.name, spawnDaemon("bash", [ENTRYPOINT], { env, cwd: i.dir, logFile: path.join(i.dir, "entrypoint.log") }));
}

async function stop(i: Instance): Promise<void> {
  const child = servers.get(i.name);
  if (child) await signalGroupAndWait(child, "SIGINT", 30_000); // fast shutdown, as the kubelet's SIGTERM + grace would end
}

async function psql(i: Instance, sql: string): Promise<string> {
  const r = await run(path.join(sandbox.pgBin, "psql"), ["-X", "-A", "-t", "-q", "-h", i.socket, "-p", String(i.port), "-U", "postgres", "-d", "blacklake", "-c", sql], {
    env: baseEnv(i.dir),
    allowFailure: true,
  });
  return `${r.stdout}${r.stderr}`.trim();
}

function logTail(i: Instance): string {
  const file = path.join(i.dir, "entrypoint.log");
  const lines = fs.existsSync(file) ? fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-15) : ["(no log)"];
  return `${i.name}'s entrypoint.log, last lines:\n${lines.join("\n")}`;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(300);
  }
  throw new Error(`timed out waiting for ${what}\n${[primary, replica].map(logTail).join("\n")}`);
}

// Ready as its clients see it: on the network, not on the socket the bootstrap uses.
const listening = (i: Instance) => async () =>
  (await run(path.join(sandbox.pgBin, "pg_isready"), ["-q", "-h", "127.0.0.1", "-p", String(i.port)], { env: baseEnv(i.dir, sandbox.clientTlsEnv), allowFailure: true })).code ===
  0;

const streaming = (primary: Instance, replica: Instance) => async () =>
  (await psql(primary, `SELECT state FROM pg_stat_replication WHERE application_name = '${replica.name}'`)) === "streaming";

let primary: Instance;
let replica: Instance;

beforeAll(async () => {
  sandbox = new Sandbox(ensurePostgresInstalled(), "blacklake-replication-");
  primary = await instance(0);
  replica = await instance(1);
});

afterAll(async () => {
  for (const i of [replica, primary]) if (i) await stop(i);
  await sandbox?.cleanup();
});

describe("entrypoint.sh: a primary and a streaming replica", () => {
  it("initialises ordinal 0 as the primary with the bootstrap roles, while ordinal 1 waits for it", async () => {
    // Both at once: the replica must wait for the primary to listen, not fail its clone.
    start(primary, primary, passwords.replication);
    start(replica, primary, passwords.replication);
    await waitFor(listening(primary), "the primary to accept connections on the network");
    expect(await psql(primary, "SELECT pg_is_in_recovery()")).toBe("f");
    expect(await psql(primary, `SELECT rolreplication FROM pg_roles WHERE rolname = '${REPLICATION_USER}'`)).toBe("t");
  });

  it("clones ordinal 1 from it and streams, with no password in the replica's data directory", async () => {
    await waitFor(streaming(primary, replica), "the replica to stream");
    expect(await psql(replica, "SELECT pg_is_in_recovery()")).toBe("t");
    await psql(primary, "CREATE TABLE jobs (id int PRIMARY KEY); INSERT INTO jobs VALUES (1)");
    await waitFor(async () => (await psql(replica, "SELECT count(*) FROM jobs")) === "1", "the row to reach the replica");
    const autoConf = fs.readFileSync(path.join(replica.dir, "pg16", "postgresql.auto.conf"), "utf8");
    expect(autoConf).not.toContain(passwords.replication);
    const passfile = path.join(replica.dir, "replication.pgpass");
    expect(fs.statSync(passfile).mode & 0o077).toBe(0);
  });

  it("streams over TLS, having verified the primary's certificate", async () => {
    const tls = await psql(primary, `SELECT s.ssl, s.version FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid) WHERE r.application_name = '${replica.name}'`);
    expect(tls).toMatch(/^t\|TLSv1\.[23]$/);
    expect(await psql(replica, "SELECT conninfo FROM pg_stat_wal_receiver")).toMatch(/sslmode=verify-full/);
  });

  it("after a rotation, a restarted replica streams with the new password and not with the old one", async () => {
    const rotated = "repl-pw-2";
    await psql(primary, `ALTER ROLE ${REPLICATION_USER} PASSWORD '${rotated}'`);

    // The Secret not yet updated: the replica must fail to connect (the old password is dead).
    await stop(replica);
    start(replica, primary, passwords.replication);
    await waitFor(async () => /password authentication failed/.test(fs.readFileSync(path.join(replica.dir, "entrypoint.log"), "utf8")), "the old password to be refused");
    expect(await streaming(primary, replica)()).toBe(false);

    // The Secret updated and the replica restarted: streaming again.
    await stop(replica);
    start(replica, primary, rotated);
    await waitFor(streaming(primary, replica), "the replica to stream with the rotated password");
    await psql(primary, "INSERT INTO jobs VALUES (2)");
    await waitFor(async () => (await psql(replica, "SELECT count(*) FROM jobs")) === "2", "the new row to reach the replica");
  });
});
