import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chownToServerUser,
  type Cluster,
  ensurePostgresInstalled,
  freePort,
  pidsMentioning,
  productionPostgres,
  type Repo,
  runRestoreDrill,
  Sandbox,
  serverUser,
  sleep,
  STANZA,
} from "./support";

// Real PostgreSQL and pgBackRest, configured ONLY with the files our renderers produce
// (test overrides: loopback, free ports, sockets and a posix repo in a temp dir, a
// random passphrase). One primary lives for the whole file; each restore goes into a
// fresh cluster that a test starts and stops itself.

let pgBin: string;
let sandbox: Sandbox;
let repo: Repo;
let primary: Cluster;

beforeAll(async () => {
  pgBin = ensurePostgresInstalled();
  sandbox = new Sandbox(pgBin);
  repo = sandbox.newRepo();
  primary = await sandbox.cluster("primary", repo);
  await primary.initdb();
  await primary.start();
});

afterAll(async () => {
  await sandbox?.cleanup();
});

/** The server's clock as a recovery_target_time, microseconds, UTC. */
async function serverNow(c: Cluster): Promise<string> {
  return c.psql(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'`);
}

const ids = (text: string) => text.split("\n").filter(Boolean).map(Number);

describe("PostgreSQL with our rendered postgresql.conf and pg_hba.conf", () => {
  it("runs on the rendered settings", async () => {
    expect(fs.readFileSync(path.join(primary.dataDir, "postgresql.conf"), "utf8")).toBe(primary.renderPostgresqlConf());
    expect(fs.readFileSync(path.join(primary.dataDir, "pg_hba.conf"), "utf8")).toBe(primary.renderPgHba());
    expect(await primary.psql("SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL")).toBe("0");
    const settings = await primary.psql(
      "SELECT name || '=' || setting FROM pg_settings WHERE name IN " +
        "('archive_mode','archive_timeout','listen_addresses','shared_preload_libraries','wal_level','password_encryption') ORDER BY name",
    );
    expect(settings.split("\n")).toEqual([
      "archive_mode=on",
      `archive_timeout=${productionPostgres().archiveTimeoutSeconds}`,
      "listen_addresses=127.0.0.1",
      "password_encryption=scram-sha-256",
      "shared_preload_libraries=pg_stat_statements",
      "wal_level=replica",
    ]);
    const { sharedBuffers } = productionPostgres().parameters;
    expect(await primary.psql(`SELECT setting::bigint * 8192 = pg_size_bytes('${sharedBuffers}') FROM pg_settings WHERE name = 'shared_buffers'`)).toBe("t");
    expect(await primary.psql("SHOW archive_command")).toBe(`pgbackrest --config=${primary.pgbackrestConfPath} --stanza=${STANZA} archive-push %p`);
  });

  it("authenticates TCP clients with SCRAM passwords and the local socket by peer", async () => {
    await primary.psql("CREATE ROLE app LOGIN PASSWORD 'correct horse'");
    const psql = path.join(pgBin, "psql");
    const tcp = (password: string) =>
      primary.runAs(psql, ["-X", "-At", "-h", "127.0.0.1", "-p", String(primary.port), "-U", "app", "-d", "postgres", "-c", "SELECT current_user"], {
        env: { PGPASSWORD: password },
        allowFailure: true,
      });
    const good = await tcp("correct horse");
    expect(good.code).toBe(0);
    expect(good.stdout.trim()).toBe("app");
    const bad = await tcp("wrong");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('password authentication failed for user "app"');
    // On the socket the OS user must match the role (peer), whatever the password.
    const peer = await primary.runAs(psql, ["-X", "-h", primary.socketDir, "-p", String(primary.port), "-U", "app", "-d", "postgres", "-c", "SELECT 1"], {
      env: { PGPASSWORD: "correct horse" },
      allowFailure: true,
    });
    expect(peer.code).not.toBe(0);
    expect(peer.stderr).toContain('Peer authentication failed for user "app"');
  });

  it("can create pg_stat_statements (preloaded) and pg_trgm", async () => {
    await primary.psql("CREATE EXTENSION pg_stat_statements; CREATE EXTENSION pg_trgm;");
    expect(await primary.psql("SELECT extname FROM pg_extension WHERE extname IN ('pg_stat_statements','pg_trgm') ORDER BY 1")).toBe("pg_stat_statements\npg_trgm");
    // Only works when the library was loaded at server start.
    await primary.psql("SELECT 4711 AS marker");
    expect(Number(await primary.psql("SELECT count(*) FROM pg_stat_statements WHERE query LIKE 'SELECT $1 AS marker%'"))).toBeGreaterThan(0);
    expect(Number(await primary.psql("SELECT similarity('blacklake', 'blaklake')"))).toBeGreaterThan(0.5);
  });
});

describe("pgBackRest with our rendered pgbackrest.conf", () => {
  it("creates the stanza and passes check, with an encrypted repository", async () => {
    await primary.pgbackrest("stanza-create");
    const check = await primary.pgbackrest("check");
    expect(check.stdout).toMatch(/check command end: completed successfully/);
    const info = await primary.stanzaInfo();
    expect(info.name).toBe(STANZA);
    expect(info.cipher).toBe("aes-256-cbc");
    // Files in the repo are ciphertext (OpenSSL's salted format), not "[backrest]" ini text.
    const archiveInfo = fs.readFileSync(path.join(repo.path, "archive", STANZA, "archive.info"));
    expect(archiveInfo.subarray(0, 8).toString("latin1")).toBe("Salted__");
    // And nothing reads them without the passphrase from the environment.
    const noPass = await primary.pgbackrest("info", [], { env: { PGBACKREST_REPO1_CIPHER_PASS: "not-the-passphrase" }, allowFailure: true });
    expect(noPass.stdout).not.toContain("full backup");
    expect(noPass.stdout + noPass.stderr).toMatch(/status: error|unable to load info file/);
  });

  it("takes a full and then an incremental backup", async () => {
    await primary.psql("CREATE TABLE orders (id int PRIMARY KEY, note text NOT NULL)");
    await primary.psql("INSERT INTO orders SELECT g, 'before full ' || g FROM generate_series(1, 1000) g");
    await primary.pgbackrest("backup", ["--type=full"]);
    await primary.psql("INSERT INTO orders SELECT g, 'before incr ' || g FROM generate_series(1001, 2000) g");
    await primary.pgbackrest("backup", ["--type=incr"]);

    const info = await primary.stanzaInfo();
    expect(info.status.code).toBe(0);
    expect(info.backup.map((b) => b.type)).toEqual(["full", "incr"]);
    const full = info.backup[0]!; // the list is checked just above
    const incr = info.backup[1]!;
    expect(incr.prior).toBe(full.label);
    expect(incr.reference).toContain(full.label);
    expect(full.error ?? false).toBe(false);
    expect(incr.error ?? false).toBe(false);
    // The incremental carries only what changed.
    expect(incr.info.delta).toBeLessThan(full.info.delta);
  });

  it("recovers data written after the last backup by WAL replay", async () => {
    await primary.psql("INSERT INTO orders SELECT g, 'after incr ' || g FROM generate_series(2001, 2500) g");
    const expected = await primary.psql("SELECT count(*) || ' ' || max(id) || ' ' || md5(string_agg(note, ',' ORDER BY id)) FROM orders");
    // check switches WAL and waits until that segment is in the repo.
    await primary.pgbackrest("check");

    const replica = await sandbox.cluster("replay", repo);
    await replica.restore(); // latest backup, then the whole archive
    await replica.start();
    try {
      await replica.waitUntilPromoted();
      expect(await replica.psql("SELECT count(*) || ' ' || max(id) || ' ' || md5(string_agg(note, ',' ORDER BY id)) FROM orders")).toBe(expected);
      expect(expected.startsWith("2500 2500 ")).toBe(true);
      // A restored copy must never push WAL into the repo it came from.
      expect(await replica.psql("SHOW archive_mode")).toBe("off");
    } finally {
      await replica.stop();
    }
  });

  it("restores to a point in time exactly the rows committed before it", async () => {
    await primary.psql("CREATE TABLE ledger (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())");
    for (const id of [1, 2, 3, 4, 5]) await primary.psql(`INSERT INTO ledger (id) VALUES (${id})`);
    const before = await primary.psql("SELECT id FROM ledger ORDER BY id");
    const target = await serverNow(primary);
    for (const id of [6, 7, 8, 9, 10]) await primary.psql(`INSERT INTO ledger (id) VALUES (${id})`);
    // The commits after the target must be archived too, or recovery cannot tell it reached it.
    await primary.pgbackrest("check");
    expect(ids(await primary.psql("SELECT id FROM ledger ORDER BY id"))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(Number(await primary.psql(`SELECT count(*) FROM ledger WHERE at > '${target}'`))).toBe(5);

    const pitr = await sandbox.cluster("pitr", repo);
    const restore = await pitr.restore(["--type=time", `--target=${target}`, "--target-action=promote"]);
    expect(restore.stdout).toMatch(/restore backup set \S+I/); // the incremental, the newest before the target
    await pitr.start();
    try {
      await pitr.waitUntilPromoted();
      expect(ids(await pitr.psql("SELECT id FROM ledger ORDER BY id"))).toEqual(ids(before));
      expect(ids(before)).toEqual([1, 2, 3, 4, 5]);
      // Everything committed earlier is there as well.
      expect(await pitr.psql("SELECT count(*) FROM orders")).toBe("2500");
    } finally {
      await pitr.stop();
    }
  });
});

describe("restore-drill.sh", () => {
  it("passes on the repository and reports success in its metrics", async () => {
    // The CronJob mounts the production pgbackrest.conf: here the primary's, whose
    // pg1-path, spool and lock paths belong to a running server the drill must not touch.
    // And, as in the StatefulSet, postgresql.conf from outside PGDATA.
    const postgresConf = path.join(sandbox.dir("drill-config"), "postgresql.conf");
    fs.writeFileSync(postgresConf, primary.renderPostgresqlConf());
    chownToServerUser(postgresConf);
    const drill = await runRestoreDrill(sandbox, "good", {
      pgbackrestConfig: primary.pgbackrestConfPath,
      cipherPass: repo.cipherPass,
      port: await freePort(),
      pgBin,
      extraEnv: {
        DRILL_DB_USER: serverUser().name,
        DRILL_POSTGRES_CONFIG: postgresConf,
        DRILL_CHECK_SQL: "SELECT count(*) || ' ' || current_setting('config_file') FROM orders",
      },
    });
    expect(drill.result.code, drill.result.stdout + drill.result.stderr).toBe(0);
    expect(drill.result.stderr).not.toContain("FAILED");
    // The newest backup is the incremental, taken with 2000 rows in orders.
    expect(drill.result.stdout).toMatch(/restore backup set \S+I/);
    expect(drill.result.stdout).toContain(`check query returned: 2000 ${postgresConf}`);
    expect(drill.metrics.get("blacklake_restore_drill_success")).toBe(1);
    expect(drill.metrics.get("blacklake_restore_drill_duration_seconds")).toBeGreaterThan(0);
    expect(Math.abs(drill.metrics.get("blacklake_restore_drill_last_run_timestamp_seconds")! - Date.now() / 1000)).toBeLessThan(300);
    for (const name of ["success", "duration_seconds", "last_run_timestamp_seconds"]) {
      expect(drill.metricsText).toContain(`# HELP blacklake_restore_drill_${name} `);
      expect(drill.metricsText).toContain(`# TYPE blacklake_restore_drill_${name} gauge`);
    }
    expect(fs.readdirSync(drill.scratchDir)).toEqual([]);
    // The primary the config describes is untouched and still serving.
    expect(primary.running).toBe(true);
    expect(await primary.psql("SELECT count(*) FROM orders")).toBe("2500");
  });

  it("fails loudly on a corrupted repository", async () => {
    // Corrupt a copy, so the good repo stays intact.
    const copy: Repo = { path: path.join(sandbox.root, "repo-corrupt"), cipherPass: repo.cipherPass };
    fs.cpSync(repo.path, copy.path, { recursive: true, preserveTimestamps: true });
    chownToServerUser(copy.path);
    const info = await primary.stanzaInfo();
    const latest = info.backup[info.backup.length - 1]!.label;
    const backupDir = path.join(copy.path, "backup", STANZA, latest, "pg_data");
    const largest = walk(backupDir).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
    if (largest === undefined) throw new Error(`no files under ${backupDir}`);
    const size = fs.statSync(largest).size;
    expect(size).toBeGreaterThan(4096);
    const fd = fs.openSync(largest, "r+");
    fs.writeSync(fd, Buffer.alloc(1024, 0x5a), 0, 1024, Math.floor(size / 2) - 512);
    fs.closeSync(fd);
    const corrupt = await sandbox.cluster("corrupt", copy); // only for its rendered pgbackrest.conf
    const drill = await runRestoreDrill(sandbox, "corrupt", {
      pgbackrestConfig: corrupt.pgbackrestConfPath,
      cipherPass: copy.cipherPass,
      port: await freePort(),
      pgBin,
      extraEnv: { DRILL_DB_USER: serverUser().name },
    });
    expect(drill.result.code).not.toBe(0);
    const failedLines = drill.result.stderr.split("\n").filter((l) => l.startsWith("restore drill FAILED: "));
    expect(failedLines, drill.result.stderr).toHaveLength(1);
    expect(failedLines[0]).toMatch(/^restore drill FAILED: pgbackrest restore failed: ERROR: \[\d+\]: .+/);
    expect(drill.metrics.get("blacklake_restore_drill_success")).toBe(0);
    expect(fs.readdirSync(drill.scratchDir)).toEqual([]);
  });
});

describe("restore-drill.sh under a Job deadline", () => {
  it("stops at once on SIGTERM, reports the failure and leaves nothing behind", async () => {
    const running = runRestoreDrill(sandbox, "sigterm", {
      pgbackrestConfig: primary.pgbackrestConfPath,
      cipherPass: repo.cipherPass,
      port: await freePort(),
      pgBin,
      extraEnv: { DRILL_DB_USER: serverUser().name, DRILL_CHECK_SQL: "SELECT pg_sleep(120)" },
    });
    // Wait until the check query runs on the restored server, then play Kubernetes.
    const deadline = Date.now() + 60_000;
    while (pidsMentioning("pg_sleep(120)").length === 0 && Date.now() < deadline) await sleep(100);
    const script = pidsMentioning(path.join(sandbox.root, "drill-sigterm", "restore-drill.sh"));
    expect(script).toHaveLength(1);
    const sentAt = Date.now();
    process.kill(script[0]!, "SIGTERM");
    const drill = await running;
    expect(Date.now() - sentAt).toBeLessThan(30_000); // a pod's default grace period
    expect(drill.result.code).not.toBe(0);
    expect(drill.result.stderr.trim().split("\n")).toContain("restore drill FAILED: terminated by SIGTERM during: running the check query");
    expect(drill.metrics.get("blacklake_restore_drill_success")).toBe(0);
    expect(fs.readdirSync(drill.scratchDir)).toEqual([]);
    expect(pidsMentioning(drill.scratchDir)).toEqual([]);
  });
});

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : e.isFile() ? [p] : [];
  });
}
