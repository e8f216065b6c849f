// `npm run bench:backup`: what our pgBackRest settings buy, measured on this machine.
//
// One loopback server configured with OUR rendered postgresql.conf holds a pgbench
// database of about 1 GiB. In the same run, a full backup and a restore are timed for
//   default_gz : pgBackRest's defaults for what we tune (compress-type=gz, level 6,
//                process-max=1, archive-async=n)
//   ours_lz4   : our rendered settings with lz4 (level 1, pgBackRest's lz4 default)
//   ours_zst   : our rendered settings as shipped (zst level 3, process-max 2, async)
// each into its own encrypted posix repo (encryption is not negotiable, so every variant
// pays for it). Then the RPO: with our archive_timeout and one committed row per second,
// the server is killed (SIGKILL to the postmaster, its children and its async archiver)
// at a random moment, its data directory thrown away, the latest backup restored and
// the archive replayed; the loss is the crash time minus the newest recovered row.
//
// Progress goes to stderr; ONE JSON line goes to stdout. Every step has a time limit and
// the whole run a deadline (BENCH_DEADLINE_S, default 2700 s). BENCH_SCALE (default 68,
// about 1 GiB) sets the pgbench scale.

import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  type Cluster,
  CommandError,
  ensurePostgresInstalled,
  OUR_TUNING,
  type PgbackrestTuning,
  productionPostgres,
  type Repo,
  run,
  type RunResult,
  Sandbox,
  sleep,
} from "../../test/integration/support";

const SCALE = Number(process.env.BENCH_SCALE ?? 68);
const DEADLINE_S = Number(process.env.BENCH_DEADLINE_S ?? 2700);
const started = Date.now();

function progress(msg: string): void {
  process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}\n`);
}

interface Variant {
  name: "default_gz" | "ours_lz4" | "ours_zst";
  tuning: PgbackrestTuning;
  archiveAsync: boolean;
}

const VARIANTS: Variant[] = [
  { name: "default_gz", tuning: { compressType: "gz", compressLevel: 6, processMax: 1, archiveProcessMax: 1 }, archiveAsync: false },
  { name: "ours_lz4", tuning: { ...OUR_TUNING, compressType: "lz4", compressLevel: 1 }, archiveAsync: true },
  // Last, so that the RPO measurement runs with exactly what we ship.
  { name: "ours_zst", tuning: OUR_TUNING, archiveAsync: true },
];

/** Our renderer always turns asynchronous archiving on; the defaults variant turns it off again. */
function asyncEdit(v: Variant): (rendered: string) => string {
  if (v.archiveAsync) return (t) => t;
  return (t) => {
    if (!/^archive-async=y$/m.test(t)) throw new Error("rendered pgbackrest.conf has no archive-async=y line to turn off");
    return t.replace(/^archive-async=y$/m, "archive-async=n");
  };
}

interface VariantResult {
  compress_type: string;
  compress_level: number;
  process_max: number;
  archive_async: boolean;
  backup_s: number;
  restore_s: number;
  repo_bytes: number;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

async function syncDisks(): Promise<void> {
  await run("sync", [], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, timeoutMs: 300_000 });
}

/**
 * stanza-create takes the archive lock, which the previous variant's asynchronous
 * archive-push process may still hold for a moment after its queue ran empty.
 */
async function waitForLock(attempt: () => Promise<RunResult>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await attempt();
    if (r.code === 0) return;
    if (!/ERROR: \[050\]/.test(r.stderr) || Date.now() > deadline) throw new CommandError(r);
    await sleep(500);
  }
}

async function benchVariant(sb: Sandbox, primary: Cluster, v: Variant, repo: Repo): Promise<VariantResult> {
  progress(`${v.name}: pointing archive_command's pgbackrest.conf at ${repo.path}`);
  await primary.pgbackrest("check", [], { timeoutMs: 300_000 }); // drain archiving into the previous repo
  primary.reconfigureBackups(repo, v.tuning, asyncEdit(v));
  await waitForLock(() => primary.pgbackrest("stanza-create", [], { allowFailure: true }));
  await primary.pgbackrest("check", [], { timeoutMs: 300_000 });
  await syncDisks();

  progress(`${v.name}: full backup`);
  const backup = await primary.pgbackrest("backup", ["--type=full"], { timeoutMs: 1_800_000 });
  const [info] = await primary.info();
  const full = info?.backup.at(-1);
  if (full?.type !== "full") throw new Error(`${v.name}: newest backup is ${full?.type ?? "missing"}, not full`);
  progress(`${v.name}: backup took ${(backup.ms / 1000).toFixed(1)} s, ${full.info.repository.size} bytes in the repo`);
  await syncDisks();

  // The restore goes into a cluster of its own with the same repo and tuning, as on a new host.
  const target = await sb.cluster(`restore-${v.name}`, repo, v.tuning);
  target.reconfigureBackups(repo, v.tuning, asyncEdit(v));
  progress(`${v.name}: restore`);
  const restore = await target.restore(["--type=immediate", "--target-action=promote"], { timeoutMs: 1_800_000 });
  await syncDisks();
  progress(`${v.name}: restore took ${(restore.ms / 1000).toFixed(1)} s`);
  if (v.name === "ours_zst") {
    // Proof that what was timed is a working database, not just files.
    await target.start({ timeoutMs: 600_000 });
    await target.waitUntilPromoted(600_000);
    const rows = Number(await target.psql("SELECT count(*) FROM pgbench_accounts", { db: "bench" }));
    if (rows !== SCALE * 100_000) throw new Error(`${v.name}: restored pgbench_accounts has ${rows} rows, expected ${SCALE * 100_000}`);
    progress(`${v.name}: restored copy opens and has all ${rows} pgbench_accounts rows`);
    await target.stop();
  }
  fs.rmSync(target.dataDir, { recursive: true, force: true });

  return {
    compress_type: v.tuning.compressType,
    compress_level: v.tuning.compressLevel,
    process_max: v.tuning.processMax,
    archive_async: v.archiveAsync,
    backup_s: round(backup.ms / 1000),
    restore_s: round(restore.ms / 1000),
    repo_bytes: full.info.repository.size,
  };
}

interface RpoResult {
  archive_timeout_s: number;
  write_interval_s: number;
  crash_after_s: number;
  crash_at: string;
  newest_recovered_row: string | null;
  lost_s: number | null;
  rows_committed: number;
  rows_recovered: number;
  rows_lost: number;
  restore_and_replay_s: number;
}

async function measureRpo(sb: Sandbox, primary: Cluster): Promise<RpoResult> {
  const archiveTimeout = productionPostgres().archiveTimeoutSeconds;
  await primary.psql("CREATE TABLE rpo_probe (id bigint PRIMARY KEY, ts timestamptz NOT NULL DEFAULT clock_timestamp())");
  // Steady state first: at least one archive_timeout switch lies behind us when the
  // crash comes, at a uniformly random point of the following cycle.
  const crashAfter = archiveTimeout + Math.random() * archiveTimeout;
  progress(`rpo: one row per second, crash in ${crashAfter.toFixed(1)} s (archive_timeout ${archiveTimeout} s)`);

  const committed: Array<{ id: number; ts: number }> = [];
  const writerStart = Date.now();
  let id = 0;
  while ((Date.now() - writerStart) / 1000 < crashAfter) {
    const tickStart = Date.now();
    id += 1;
    const ts = Number(await primary.psql(`INSERT INTO rpo_probe (id) VALUES (${id}) RETURNING extract(epoch FROM ts)`, { timeoutMs: 10_000 }));
    committed.push({ id, ts });
    const wait = Math.min(1000 - (Date.now() - tickStart), crashAfter * 1000 - (Date.now() - writerStart));
    if (wait > 0) await sleep(wait);
  }
  const crashAt = Date.now() / 1000;
  await primary.crash();
  progress(`rpo: killed the server after ${committed.length} committed rows; discarding its data directory and spool`);
  fs.rmSync(primary.dataDir, { recursive: true, force: true });
  fs.rmSync(primary.spoolDir, { recursive: true, force: true });

  const rebuilt = await sb.cluster("rpo-restore", primary.repo, primary.tuning);
  const t0 = Date.now();
  await rebuilt.restore([], { timeoutMs: 1_800_000 }); // latest backup + everything in the archive
  await rebuilt.start({ timeoutMs: 900_000 });
  await rebuilt.waitUntilPromoted(900_000);
  const replayS = (Date.now() - t0) / 1000;
  const [count, newest, newestIso] = (
    await rebuilt.psql("SELECT count(*) || '|' || coalesce(extract(epoch FROM max(ts))::text, '') || '|' || coalesce(max(ts)::text, '') FROM rpo_probe")
  ).split("|");
  const recoveredIds = new Set((await rebuilt.psql("SELECT id FROM rpo_probe")).split("\n").filter(Boolean).map(Number));
  await rebuilt.stop();
  const rowsLost = committed.filter((r) => !recoveredIds.has(r.id)).length;
  const lost = newest ? crashAt - Number(newest) : null;
  progress(`rpo: recovered ${count} of ${committed.length} rows; lost ${lost === null ? "everything" : `${lost.toFixed(1)} s`}`);
  return {
    archive_timeout_s: archiveTimeout,
    write_interval_s: 1,
    crash_after_s: round(crashAfter, 1),
    crash_at: new Date(crashAt * 1000).toISOString(),
    newest_recovered_row: newestIso || null,
    lost_s: lost === null ? null : round(lost, 1),
    rows_committed: committed.length,
    rows_recovered: Number(count),
    rows_lost: rowsLost,
    restore_and_replay_s: round(replayS, 1),
  };
}

async function main(): Promise<void> {
  const pgBin = ensurePostgresInstalled();
  const sb = new Sandbox(pgBin, "blacklake-bench-");
  const deadline = setTimeout(() => {
    progress(`deadline of ${DEADLINE_S} s exceeded; killing everything`);
    void sb.cleanup().finally(() => process.exit(2));
  }, DEADLINE_S * 1000);
  deadline.unref();
  try {
    // One passphrase for all repos: the running server's environment holds only one.
    const passphrase = randomBytes(24).toString("base64url");
    const repos = new Map<string, Repo>(VARIANTS.map((v) => [v.name, sb.newRepo(`repo-${v.name}`, passphrase)]));

    const [baseline] = VARIANTS;
    if (!baseline) throw new Error("no variants to measure");
    const primary = await sb.cluster("primary", repos.get("default_gz")!, baseline.tuning);
    primary.reconfigureBackups(repos.get("default_gz")!, baseline.tuning, asyncEdit(baseline));
    progress(`initdb and start (our rendered postgresql.conf, port ${primary.port})`);
    await primary.initdb();
    await primary.start();
    await primary.pgbackrest("stanza-create");
    await primary.psql("CREATE DATABASE bench");
    progress(`pgbench -i -s ${SCALE}`);
    const init = await primary.runAs(path.join(pgBin, "pgbench"), ["-i", "-s", String(SCALE), "-I", "dtGvp", "-q", "-h", primary.socketDir, "-p", String(primary.port), "bench"], {
      timeoutMs: 1_800_000,
    });
    const dbBytes = Number(await primary.psql("SELECT pg_database_size('bench')"));
    progress(`pgbench database: ${(dbBytes / 2 ** 30).toFixed(2)} GiB in ${(init.ms / 1000).toFixed(1)} s`);

    const results: Record<string, VariantResult> = {};
    for (const v of VARIANTS) results[v.name] = await benchVariant(sb, primary, v, repos.get(v.name)!);

    const rpo = await measureRpo(sb, primary);
    const resultOf = (name: string) => {
      const result = results[name];
      if (!result) throw new Error(`no result for ${name}`);
      return result;
    };
    const speedup = (ours: string) => ({
      backup: round(resultOf("default_gz").backup_s / resultOf(ours).backup_s),
      restore: round(resultOf("default_gz").restore_s / resultOf(ours).restore_s),
      repo_bytes_ratio: round(resultOf("default_gz").repo_bytes / resultOf(ours).repo_bytes),
    });
    const pgVersion = await run(path.join(pgBin, "postgres"), ["--version"], { env: primary.env() });
    const brVersion = await run("pgbackrest", ["version"], { env: primary.env() });
    const line = {
      bench: "backup",
      postgres: pgVersion.stdout.trim().replace(/^postgres \(PostgreSQL\) /, ""),
      pgbackrest: brVersion.stdout.trim().replace(/^pgBackRest /, ""),
      cpus: os.cpus().length,
      pgbench_scale: SCALE,
      db_bytes: dbBytes,
      // Kept from our rendering in every variant: the defaults variant differs only in
      // compression, process-max and archive-async (start-fast=n would time checkpoint
      // scheduling, not pgBackRest).
      common: { cipher: "aes-256-cbc", start_fast: true, delta: true, repo: "posix, same disk" },
      variants: results,
      speedup_default_over_ours: { zst: speedup("ours_zst"), lz4: speedup("ours_lz4") },
      rpo,
      total_s: round((Date.now() - started) / 1000, 1),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } finally {
    progress("cleaning up");
    await sb.cleanup();
    clearTimeout(deadline);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
