import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "./cluster";
import { makePki, type Pki } from "./pki";
import { ROOT } from "./install";
import { killGroup, onProcessExit, run, type RunResult, signalGroupAndWait, sleep } from "./proc";

// A real MinIO for the integration tier: erasure coded on 4 drives in a temp dir, TLS
// with a throw-away CA on 127.0.0.1, a static KMS key for SSE-S3, and `mc` with its
// own config dir. MinIO and mc run as the invoking user (the binaries live in the tool
// cache under $HOME); only what the PostgreSQL helpers start runs as the server user.

export const INSTALL_MINIO_SCRIPT = path.join(ROOT, "scripts/integration/install-minio.sh");
export const MINIO_BOOTSTRAP_SCRIPT = path.join(ROOT, "components/minio/bootstrap.sh");

export interface MinioBins {
  minio: string;
  mc: string;
}

/** Builds minio and mc once (scripts/integration/install-minio.sh) and returns their paths. */
export function ensureMinioInstalled(): MinioBins {
  const out = execFileSync("bash", [INSTALL_MINIO_SCRIPT], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 1_800_000, // a cold build of both takes minutes
  });
  const [minioDir, mcDir] = out.trim().split("\n").slice(-2);
  const bins = { minio: path.join(minioDir ?? "", "minio"), mc: path.join(mcDir ?? "", "mc") };
  for (const b of Object.values(bins)) {
    if (!fs.existsSync(b)) throw new Error(`install-minio.sh printed\n${out}\nbut ${b} does not exist`);
  }
  return bins;
}

export interface LocalRunOptions {
  env?: Record<string, string>;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
  allowFailure?: boolean;
}

/** Runs a command as the invoking user (not the server user), in its own process group. */
export function runLocal(cmd: string, args: string[], opts: LocalRunOptions = {}): Promise<RunResult> {
  return run(cmd, args, {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", TZ: "UTC", ...(opts.env ?? {}) },
    input: opts.input,
    timeoutMs: opts.timeoutMs ?? 120_000,
    allowFailure: opts.allowFailure,
    asInvokingUser: true,
  });
}

export interface MinioStartOptions {
  bins: MinioBins;
  /** Number of drives (4+ for erasure coding, which versioning needs). */
  drives?: number;
  /** SSE-S3 needs a KMS: a static key unless false. */
  kms?: boolean;
  timeoutMs?: number;
}

export class MinioServer {
  readonly rootUser = "blacklake-root";
  readonly rootPassword = randomBytes(18).toString("base64url");
  readonly mcConfigDir: string;
  readonly logFile: string;
  readonly url: string;
  private proc: ChildProcess | undefined;
  private removed = false;

  private constructor(
    readonly dir: string,
    readonly bins: MinioBins,
    readonly pki: Pki,
    readonly port: number,
    readonly consolePort: number,
  ) {
    this.mcConfigDir = path.join(dir, "mc");
    this.logFile = path.join(dir, "minio.log");
    this.url = `https://127.0.0.1:${port}`;
  }

  static async start(o: MinioStartOptions): Promise<MinioServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "blacklake-minio-"));
    const port = await freePort();
    const consolePort = await freePort(new Set([port]));
    const server = new MinioServer(dir, o.bins, makePki(dir), port, consolePort);
    onProcessExit(() => server.kill(true));
    try {
      await server.launch(o.drives ?? 4, o.kms ?? true, o.timeoutMs ?? 60_000);
    } catch (e) {
      await server.stop();
      throw e;
    }
    return server;
  }

  get caFile(): string {
    return this.pki.caFile;
  }

  private async launch(drives: number, kms: boolean, timeoutMs: number): Promise<void> {
    const driveDirs = Array.from({ length: drives }, (_, i) => path.join(this.dir, `data${i + 1}`));
    for (const d of driveDirs) fs.mkdirSync(d);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: this.dir,
      MINIO_ROOT_USER: this.rootUser,
      MINIO_ROOT_PASSWORD: this.rootPassword,
      MINIO_BROWSER: "off",
      // Test drives are directories on the root filesystem, which MinIO refuses
      // ("drive not found") unless told it runs in CI.
      MINIO_CI_CD: "on",
      MINIO_UPDATE: "off",
      ...(kms ? { MINIO_KMS_SECRET_KEY: `blacklake-test-key:${randomBytes(32).toString("base64")}` } : {}),
    };
    const drivesArg = drives === 1 ? driveDirs[0]! : path.join(this.dir, `data{1...${drives}}`);
    const fd = fs.openSync(this.logFile, "a");
    try {
      this.proc = spawn(
        this.bins.minio,
        ["server", "--quiet", "--address", `127.0.0.1:${this.port}`, "--console-address", `127.0.0.1:${this.consolePort}`, "--certs-dir", this.pki.certsDir, drivesArg],
        { cwd: this.dir, env, stdio: ["ignore", fd, fd], detached: true },
      );
    } finally {
      fs.closeSync(fd);
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`minio exited during startup\n${this.logTail()}`);
      const r = await runLocal("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "3", "--cacert", this.caFile, `${this.url}/minio/health/ready`], {
        allowFailure: true,
        timeoutMs: 10_000,
      });
      if (r.stdout === "200") break;
      if (Date.now() > deadline) throw new Error(`minio not ready after ${timeoutMs} ms (last: ${r.stdout || r.stderr})\n${this.logTail()}`);
      await sleep(250);
    }
    await this.mc(["alias", "set", "root", this.url, "--api", "S3v4"], { input: `${this.rootUser}\n${this.rootPassword}\n` });
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Runs mc with this server's CA and config dir (aliases: "root", and whatever tests add). */
  mc(args: string[], opts: LocalRunOptions = {}): Promise<RunResult> {
    fs.mkdirSync(path.join(this.mcConfigDir, "certs", "CAs"), { recursive: true });
    fs.copyFileSync(this.caFile, path.join(this.mcConfigDir, "certs", "CAs", "ca.crt"));
    return runLocal(this.bins.mc, ["--config-dir", this.mcConfigDir, "--no-color", "--disable-pager", ...args], {
      timeoutMs: 60_000,
      ...opts,
      env: { HOME: this.dir, ...(opts.env ?? {}) },
    });
  }

  /** mc with --json; parses one JSON document (or the last line of several). */
  async mcJson<T = Record<string, unknown>>(args: string[], opts: LocalRunOptions = {}): Promise<T> {
    const r = await this.mc(["--json", ...args], opts);
    const lines = r.stdout.trim().split("\n");
    try {
      return JSON.parse(r.stdout) as T;
    } catch {
      return JSON.parse(lines[lines.length - 1]!) as T; // split yields at least one line
    }
  }

  /** An mc alias signed with other keys (keys go through stdin). */
  async addAlias(alias: string, accessKey: string, secretKey: string): Promise<void> {
    await this.mc(["alias", "set", alias, this.url, "--api", "S3v4"], { input: `${accessKey}\n${secretKey}\n` });
  }

  logTail(lines = 40): string {
    try {
      return fs.readFileSync(this.logFile, "utf8").trim().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no minio log)";
    }
  }

  private kill(removeDir: boolean): void {
    if (this.running) killGroup(this.proc!.pid, "SIGKILL");
    if (removeDir && !this.removed) {
      if (process.env.KEEP_MINIO_DIR) process.stderr.write(`KEEP_MINIO_DIR: left ${this.dir}\n`);
      else fs.rmSync(this.dir, { recursive: true, force: true });
      this.removed = true;
    }
  }

  /** SIGTERM, then SIGKILL after 10 s; removes the temp dir. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.running) await signalGroupAndWait(this.proc!, "SIGTERM", 10_000);
    this.kill(true);
  }
}

export interface BootstrapRun {
  result: RunResult;
  /** Lines after "bootstrap: ". */
  lines: string[];
  changes: number | undefined;
}

/** Runs components/minio/bootstrap.sh as the Job would, with only its documented environment. */
export async function runBootstrap(server: MinioServer, bootstrapDir: string, extraEnv: Record<string, string> = {}, timeoutMs = 180_000): Promise<BootstrapRun> {
  const result = await runLocal("bash", [MINIO_BOOTSTRAP_SCRIPT], {
    env: {
      HOME: bootstrapDir,
      TMPDIR: server.dir,
      MC: server.bins.mc,
      MINIO_URL: server.url,
      MINIO_ROOT_USER: server.rootUser,
      MINIO_ROOT_PASSWORD: server.rootPassword,
      BOOTSTRAP_DIR: bootstrapDir,
      MINIO_CA_FILE: server.caFile,
      BOOTSTRAP_WAIT_SECONDS: "30",
      ...extraEnv,
    },
    allowFailure: true,
    timeoutMs,
  });
  const lines = result.stdout
    .split("\n")
    .filter((l) => l.startsWith("bootstrap: "))
    .map((l) => l.slice("bootstrap: ".length));
  const m = /^done: (\d+) change/.exec(lines[lines.length - 1] ?? "");
  return { result, lines, changes: m ? Number(m[1]) : undefined };
}
