import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { type PgbackrestConfOptions, renderPgbackrestConf } from "../../../components/postgres/pgbackrestConf";
import { POSTGRES_CLIENT_TLS } from "../../../components/postgres/files";
import { renderPgHba, renderPostgresqlConf } from "../../../components/postgres/postgresqlConf";
import { productionPostgres } from "./config";
import type { MemoryCgroup } from "./cgroup";
import { makePki, type Pki } from "./pki";
import {
  baseEnv,
  chownToServerUser,
  descendantsOf,
  killProcess,
  onProcessExit,
  pidsMentioning,
  processRunning,
  run,
  type RunOptions,
  type RunResult,
  sleep,
  spawnDaemon,
} from "./proc";

// A sandbox is one temp directory owned by the server user holding clusters and
// pgBackRest repositories; cleanup() stops every server in it and removes it.
// A cluster is a data directory plus the three files our renderers produce, with test
// overrides: loopback only, a free port, sockets and repos inside the sandbox.
// Over 300 lines because starting, configuring, backing up and restoring a server are one
// lifecycle the tests drive step by step.

export const STANZA = "blacklake";

/** A posix pgBackRest repository, encrypted with aes-256-cbc. */
export interface Repo {
  path: string;
  cipherPass: string;
}

export type PgbackrestTuning = Pick<PgbackrestConfOptions, "compressType" | "compressLevel" | "processMax" | "archiveProcessMax">;

/** Our production pgBackRest tuning, as the platform renders it. */
export const OUR_TUNING: PgbackrestTuning = { compressType: "zst", compressLevel: 3, processMax: 2, archiveProcessMax: 2 };

export async function freePort(exclude: Set<number> = new Set()): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    if (!exclude.has(port)) return port;
  }
}

export class Sandbox {
  readonly root: string;
  private readonly clusters: Cluster[] = [];
  private readonly ports = new Set<number>();
  private removed = false;

  constructor(
    readonly pgBin: string,
    prefix = "blacklake-pg-",
  ) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.chmodSync(this.root, 0o700);
    chownToServerUser(this.root);
    // If the test process dies before cleanup(): servers are killed by proc.ts, the dir goes here.
    onProcessExit(() => this.removeDir());
  }

  /** A directory inside the sandbox owned by the server user. */
  dir(...parts: string[]): string {
    const p = path.join(this.root, ...parts);
    const created = fs.mkdirSync(p, { recursive: true, mode: 0o700 });
    if (created) chownToServerUser(created);
    return p;
  }

  private pki: Pki | undefined;

  /**
   * The servers' certificate, made on first use by a throw-away CA (what cert-manager
   * writes in the cluster), owned by the server user: PostgreSQL refuses a key others can read.
   */
  get tls(): Pki {
    if (!this.pki) {
      const dir = this.dir("server-tls");
      this.pki = makePki(dir);
      fs.chmodSync(this.pki.keyFile, 0o600);
      chownToServerUser(dir);
    }
    return this.pki;
  }

  /** libpq's settings of a client that verifies our servers, as the platform's clients do (sslmode verify-full), with the test CA. */
  get clientTlsEnv(): Record<string, string> {
    return { PGSSLMODE: POSTGRES_CLIENT_TLS.sslmode, PGSSLROOTCERT: this.tls.caFile };
  }

  /** A new, empty repo directory; pass a passphrase to share one between repos. */
  newRepo(name = "repo", cipherPass = randomBytes(24).toString("base64url")): Repo {
    return { path: this.dir(name), cipherPass };
  }

  async cluster(name: string, repo: Repo, tuning: PgbackrestTuning = OUR_TUNING): Promise<Cluster> {
    const port = await freePort(this.ports);
    this.ports.add(port);
    const c = new Cluster(this, name, port, repo, tuning);
    this.clusters.push(c);
    return c;
  }

  async cleanup(): Promise<void> {
    for (const c of this.clusters) {
      try {
        await c.stop();
      } catch {
        c.kill();
      }
    }
    this.removeDir();
  }

  private removeDir(): void {
    if (this.removed) return;
    for (const c of this.clusters) c.kill();
    if (process.env.KEEP_PG_SANDBOX) {
      process.stderr.write(`KEEP_PG_SANDBOX: left ${this.root}\n`);
    } else {
      fs.rmSync(this.root, { recursive: true, force: true });
    }
    this.removed = true;
  }
}

export interface StartOptions {
  /** Extra -c settings on the postgres command line (they beat every config file). */
  settings?: Record<string, string>;
  timeoutMs?: number;
  /** Run the server (and every process it forks) under this memory limit, as in its container. */
  cgroup?: MemoryCgroup;
  /** false: return once the postmaster is spawned, without waiting for it to accept connections. */
  waitReady?: boolean;
}

export class Cluster {
  readonly dir: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly spoolDir: string;
  readonly lockDir: string;
  readonly logFile: string;
  readonly pgbackrestConfPath: string;
  readonly stanza = STANZA;
  private server: ChildProcess | undefined;

  constructor(
    readonly sandbox: Sandbox,
    readonly name: string,
    readonly port: number,
    private _repo: Repo,
    private _tuning: PgbackrestTuning,
  ) {
    this.dir = sandbox.dir(name);
    this.dataDir = path.join(this.dir, "data");
    this.socketDir = sandbox.dir(name, "sock");
    this.spoolDir = sandbox.dir(name, "spool");
    this.lockDir = sandbox.dir(name, "lock");
    this.logFile = path.join(this.dir, "postgres.log");
    this.pgbackrestConfPath = path.join(this.dir, "pgbackrest.conf");
    this.writeFile(this.pgbackrestConfPath, this.renderPgbackrestConf());
  }

  get repo(): Repo {
    return this._repo;
  }

  get tuning(): PgbackrestTuning {
    return this._tuning;
  }

  /**
   * Points pgbackrest.conf (the path archive_command names) at another repo and tuning.
   * A running server keeps its environment, so the passphrase must stay the same.
   * `edit` may change the rendered text, e.g. to turn off what the renderer always sets.
   */
  reconfigureBackups(repo: Repo, tuning: PgbackrestTuning, edit: (rendered: string) => string = (t) => t): void {
    if (this.running && repo.cipherPass !== this._repo.cipherPass) throw new Error(`${this.name}: the running server has another passphrase`);
    this._repo = repo;
    this._tuning = tuning;
    this.writePgbackrestConf(edit(this.renderPgbackrestConf()));
  }

  get pgBin(): string {
    return this.sandbox.pgBin;
  }

  /** The environment of the server and of every tool: the repo passphrase comes from here only. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return baseEnv(this.dir, { PGBACKREST_REPO1_CIPHER_PASS: this.repo.cipherPass, ...this.sandbox.clientTlsEnv, ...extra });
  }

  renderPostgresqlConf(): string {
    const prod = productionPostgres();
    return renderPostgresqlConf({
      parameters: prod.parameters,
      archiveTimeoutSeconds: prod.archiveTimeoutSeconds,
      stanza: this.stanza,
      pgbackrestConfigPath: this.pgbackrestConfPath,
      listenAddresses: "127.0.0.1",
      port: this.port,
      unixSocketDirectories: this.socketDir,
      maxWalSenders: prod.instances + 2,
      tls: { certFile: this.sandbox.tls.certFile, keyFile: this.sandbox.tls.keyFile },
    });
  }

  renderPgHba(): string {
    return renderPgHba({ clientCidrs: ["127.0.0.1/32"], replicationUser: "replicator", tls: true });
  }

  renderPgbackrestConf(): string {
    return renderPgbackrestConf({
      stanza: this.stanza,
      pgDataPath: this.dataDir,
      pgPort: this.port,
      pgSocketPath: this.socketDir,
      spoolPath: this.spoolDir,
      lockPath: this.lockDir,
      repos: [{ index: 1, storage: { type: "posix", path: this.repo.path }, retentionFullDays: 30, encrypted: true }],
      ...this.tuning,
    });
  }

  /** Rewrites pgbackrest.conf, e.g. after changing it for an experiment. */
  writePgbackrestConf(text: string): void {
    this.writeFile(this.pgbackrestConfPath, text);
  }

  private writeFile(file: string, text: string): void {
    fs.writeFileSync(file, text, { mode: 0o600 });
    chownToServerUser(file);
  }

  /** Puts our rendered postgresql.conf and pg_hba.conf into the data directory. */
  installServerConfig(): void {
    this.writeFile(path.join(this.dataDir, "postgresql.conf"), this.renderPostgresqlConf());
    this.writeFile(path.join(this.dataDir, "pg_hba.conf"), this.renderPgHba());
  }

  async initdb(): Promise<void> {
    await this.runAs(path.join(this.pgBin, "initdb"), ["-D", this.dataDir, "--data-checksums", "--encoding=UTF8", "--locale=C.UTF-8", "--auth=peer"]);
    this.installServerConfig();
  }

  /** Runs a command as the server user in this cluster's environment. */
  runAs(cmd: string, args: string[], opts: Partial<RunOptions> = {}): Promise<RunResult> {
    return run(cmd, args, { cwd: this.dir, ...opts, env: { ...this.env(), ...(opts.env ?? {}) } });
  }

  get running(): boolean {
    return this.server !== undefined && this.server.exitCode === null && this.server.signalCode === null;
  }

  async start(opts: StartOptions = {}): Promise<void> {
    if (this.running) throw new Error(`${this.name}: already running`);
    const settings = Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
    fs.appendFileSync(this.logFile, `--- start ${new Date().toISOString()} ---\n`);
    const server: [string, string[]] = [path.join(this.pgBin, "postgres"), ["-D", this.dataDir, ...settings]];
    const [cmd, args] = opts.cgroup ? opts.cgroup.wrap(...server) : server;
    this.server = spawnDaemon(cmd, args, {
      env: this.env(),
      cwd: this.dir,
      logFile: this.logFile,
    });
    if (opts.waitReady !== false) await this.waitReady(opts.timeoutMs ?? 60_000);
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name}: postgres exited during startup\n${this.logTail()}`);
      const r = await this.runAs(path.join(this.pgBin, "pg_isready"), ["-q", "-h", this.socketDir, "-p", String(this.port)], {
        allowFailure: true,
        timeoutMs: 10_000,
      });
      if (r.code === 0) return;
      await sleep(200);
    }
    throw new Error(`${this.name}: not accepting connections after ${timeoutMs} ms\n${this.logTail()}`);
  }

  /** After a restore: waits until recovery has ended and the server was promoted. */
  async waitUntilPromoted(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name}: postgres exited during recovery\n${this.logTail()}`);
      if ((await this.psql("SELECT pg_is_in_recovery()")) === "f") return;
      await sleep(250);
    }
    throw new Error(`${this.name}: still in recovery after ${timeoutMs} ms\n${this.logTail()}`);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    const server = this.server!;
    const exited = new Promise<void>((r) => (server.exitCode !== null || server.signalCode !== null ? r() : server.once("exit", () => r())));
    const r = await this.runAs(path.join(this.pgBin, "pg_ctl"), ["stop", "-D", this.dataDir, "-m", "fast", "-w", "-t", "60"], {
      allowFailure: true,
      timeoutMs: 70_000,
    });
    if (r.code !== 0) this.kill();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
    this.kill(); // anything left of the group, e.g. an async archiver
  }

  /**
   * A crash, as a container's kill is one: SIGKILL to the postmaster, to each of its
   * descendants (every server process leads a process group of its own: a signal to the
   * postmaster's group reaches only the postmaster) and to the pgBackRest processes it started
   * (async archiving detaches into its own session, so it is found by path). Returns the
   * processes it signalled.
   */
  kill(): number[] {
    const postmaster = this.running ? this.server!.pid! : undefined;
    // Stopped first, so that it forks no child between the list and the kill.
    if (postmaster !== undefined) killProcess(postmaster, "SIGSTOP");
    const pids = postmaster !== undefined ? [postmaster, ...descendantsOf(postmaster)] : [];
    const signalled = [...pids, ...pidsMentioning(this.pgbackrestConfPath)];
    for (const pid of signalled) killProcess(pid, "SIGKILL");
    return signalled;
  }

  /**
   * A crash, and the wait until it is over: every process of the old server gone. One
   * still exiting keeps the shared memory attached, and a new postmaster then refuses to
   * start ("pre-existing shared memory block is still in use").
   */
  async crash(): Promise<void> {
    const signalled = this.kill();
    const deadline = Date.now() + 30_000;
    while (this.running || signalled.some(processRunning)) {
      if (Date.now() > deadline) throw new Error(`${this.name}: processes of the crashed server still run after 30 s`);
      await sleep(50);
    }
  }

  /** Runs SQL through the cluster's own socket as the server user (peer authentication). */
  async psql(sql: string, opts: { db?: string; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.runAs(
      path.join(this.pgBin, "psql"),
      ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", this.socketDir, "-p", String(this.port), "-d", opts.db ?? "postgres", "-c", sql],
      { timeoutMs: opts.timeoutMs ?? 120_000 },
    );
    return r.stdout.trim();
  }

  /**
   * Runs a SQL file through the socket, stopping at the first error: `vars` as psql
   * variables (--set name=value), `env` in psql's environment (the passwords our SQL
   * reads with \getenv).
   */
  psqlFile(file: string, vars: Record<string, string>, db = "postgres", env: Record<string, string> = {}): Promise<RunResult> {
    return this.runAs(
      path.join(this.pgBin, "psql"),
      [
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        this.socketDir,
        "-p",
        String(this.port),
        "-d",
        db,
        ...Object.entries(vars).flatMap(([k, v]) => ["--set", `${k}=${v}`]),
        "-f",
        file,
      ],
      { env },
    );
  }

  pgbackrest(command: string, args: string[] = [], opts: Partial<RunOptions> = {}): Promise<RunResult> {
    return this.runAs("pgbackrest", [`--config=${this.pgbackrestConfPath}`, `--stanza=${this.stanza}`, ...args, command], {
      timeoutMs: 600_000,
      ...opts,
    });
  }

  async info(): Promise<PgbackrestInfo[]> {
    const r = await this.pgbackrest("info", ["--output=json"]);
    return JSON.parse(r.stdout) as PgbackrestInfo[];
  }

  /** `pgbackrest info` of the stanza, the one this cluster's config declares. */
  async stanzaInfo(): Promise<PgbackrestInfo> {
    const [info] = await this.info();
    if (!info) throw new Error("pgbackrest info lists no stanza");
    return info;
  }

  /**
   * Restores from this cluster's repo into its (empty) data directory, then puts our
   * rendered server config for THIS cluster in place of the restored one, as a rebuild
   * on a new host would. Archiving stays off so the restored server never pushes WAL
   * into the repo it came from.
   */
  async restore(args: string[] = [], opts: Partial<RunOptions> = {}): Promise<RunResult> {
    if (this.running) throw new Error(`${this.name}: cannot restore while running`);
    fs.rmSync(this.dataDir, { recursive: true, force: true });
    this.sandbox.dir(this.name, "data");
    const r = await this.pgbackrest("restore", ["--archive-mode=off", ...args], opts);
    if (r.code === 0) this.installServerConfig();
    return r;
  }

  logTail(lines = 40): string {
    try {
      return fs.readFileSync(this.logFile, "utf8").trim().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no server log)";
    }
  }
}

/** The parts of `pgbackrest info --output=json` the tests read. */
export interface PgbackrestInfo {
  name: string;
  status: { code: number; message: string };
  cipher: string;
  backup: Array<{
    label: string;
    type: "full" | "diff" | "incr";
    prior: string | null;
    reference: string[] | null;
    error?: boolean;
    timestamp: { start: number; stop: number };
    archive: { start: string; stop: string };
    info: { size: number; delta: number; repository: { size: number; delta: number } };
  }>;
  archive: Array<{ id: string; min: string | null; max: string | null }>;
}
