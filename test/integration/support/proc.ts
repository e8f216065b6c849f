import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";

// Running commands for the integration tier. PostgreSQL refuses to run as root, so when
// this process is root every command runs as the `postgres` OS user (spawned with its
// uid and gid; libuv drops root's supplementary groups). As any other user, commands
// run as that user.

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

let cachedUser: OsUser | undefined;

/** The OS user servers and tools run as. */
export function serverUser(): OsUser {
  if (cachedUser) return cachedUser;
  if (process.getuid?.() === 0) {
    const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
    try {
      cachedUser = { name: "postgres", uid: id("-u"), gid: id("-g") };
    } catch {
      throw new Error("running as root but there is no `postgres` OS user: run scripts/integration/install-postgres.sh");
    }
  } else {
    const name = execFileSync("id", ["-un"], { encoding: "utf8" }).trim();
    cachedUser = { name, uid: process.getuid!(), gid: process.getgid!() };
  }
  return cachedUser;
}

function spawnIdentity(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const u = serverUser();
  return { uid: u.uid, gid: u.gid };
}

/** Makes a path (recursively) owned by the server user. A no-op unless we are root. */
export function chownToServerUser(path: string): void {
  if (process.getuid?.() !== 0) return;
  const u = serverUser();
  execFileSync("chown", ["-R", `${u.uid}:${u.gid}`, path]);
}

/** A clean environment: nothing of ours (PG*, PGBACKREST_*) leaks into the commands. */
export function baseEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    TZ: "UTC",
    HOME: home,
    ...extra,
  };
}

export interface RunOptions {
  env: Record<string, string>;
  cwd?: string;
  /** Kill the command (SIGKILL) after this long; the result then has timedOut = true. */
  timeoutMs?: number;
  input?: string;
  /** Return a failed result instead of throwing. */
  allowFailure?: boolean;
  /** Run as this process's user even when root (servers that, unlike PostgreSQL, do not mind). */
  asInvokingUser?: boolean;
  /** Echo output as it comes (for long steps of the bench). */
  echoTo?: NodeJS.WritableStream;
}

export interface RunResult {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

export class CommandError extends Error {
  constructor(readonly result: RunResult) {
    const tail = (s: string) => s.trim().split("\n").slice(-30).join("\n");
    super(
      `${result.command} ${result.timedOut ? "timed out" : `exited ${result.code ?? result.signal}`} after ${result.ms} ms\n` +
        `--- stdout ---\n${tail(result.stdout)}\n--- stderr ---\n${tail(result.stderr)}`,
    );
    this.name = "CommandError";
  }
}

const DEFAULT_TIMEOUT_MS = 120_000;

/** Runs a command as the server user, to completion, and captures its output. */
export function run(cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const command = [cmd, ...args].join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? "/",
      env: opts.env,
      stdio: ["pipe", "pipe", "pipe"],
      detached: true, // own process group, so a timeout kills the whole tree
      ...(opts.asInvokingUser ? {} : spawnIdentity()),
    });
    track(child);
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d;
      opts.echoTo?.write(d);
    });
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d;
      opts.echoTo?.write(d);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, "SIGKILL");
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`${command}: ${err.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const result: RunResult = { command, code, signal, stdout, stderr, timedOut, ms: Date.now() - started };
      if ((code !== 0 || timedOut) && !opts.allowFailure) reject(new CommandError(result));
      else resolve(result);
    });
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(opts.input ?? "");
  });
}

/** Starts a long-running process as the server user with output appended to logFile. */
export function spawnDaemon(cmd: string, args: string[], opts: { env: Record<string, string>; cwd: string; logFile: string }): ChildProcess {
  const fd = fs.openSync(opts.logFile, "a");
  try {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", fd, fd],
      detached: true,
      ...spawnIdentity(),
    });
    track(child);
    return child;
  } finally {
    fs.closeSync(fd);
  }
}

// --- last-resort cleanup ------------------------------------------------------
// Every process group started here is remembered until it exits; if this process
// exits first (a failed test, Ctrl-C, a timeout), the groups are killed.

const live = new Map<number, ChildProcess>();

function track(child: ChildProcess): void {
  if (child.pid === undefined) return;
  const pid = child.pid;
  live.set(pid, child);
  child.once("exit", () => live.delete(pid));
}

export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal); // every process we start leads its own group
  } catch {
    /* already gone */
  }
}

/** Sends `signal` to a process and, if it leads one, to its process group. */
export function killProcess(pid: number, signal: NodeJS.Signals): void {
  killGroup(pid, signal);
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

/** Sends `signal` to the child's process group and waits until it exits, at most graceMs. */
export async function signalGroupAndWait(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  const exited = new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once("exit", () => r())));
  killGroup(child.pid, signal);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
  clearTimeout(timer);
}

const exitHooks: Array<() => void> = [];

/** Runs fn (synchronously) when this process exits, after killing what is still running. */
export function onProcessExit(fn: () => void): void {
  exitHooks.push(fn);
}

function killEverything(): void {
  for (const pid of live.keys()) killGroup(pid, "SIGKILL");
  live.clear();
  for (const fn of exitHooks.splice(0)) {
    try {
      fn();
    } catch {
      /* best effort */
    }
  }
}

process.once("exit", killEverything);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(sig, () => {
    killEverything();
    process.kill(process.pid, sig);
  });
}

/** The pids of processes (not started by us directly) whose command line mentions needle. */
/** State and parent of a process from /proc/<pid>/stat, undefined once it is gone. */
function processStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    // "pid (comm) state ppid ...": comm may hold spaces, so read after its last ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: state!, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/** Every process below `pid`, children first found through their parent's pid. */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const stat = processStat(Number(entry));
    if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/**
 * Whether a process still runs. A zombie does not count: it has already let go of its
 * memory (a server's shared memory among it) and only waits to be reaped.
 */
export function processRunning(pid: number): boolean {
  const stat = processStat(pid);
  return stat !== undefined && stat.state !== "Z" && stat.state !== "X";
}

export function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmdline.includes(needle)) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
