import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderRedisConf, renderReplicationInclude, renderUsersAcl, type RedisUsers } from "../../../components/redis/redisConf";

// Real redis-server and redis-sentinel processes on 127.0.0.1, for the integration tier.

export { freePort } from "./cluster";

/** Writes our redis.conf, users.acl and replication.conf into `dir` for one instance on `port`; returns redis.conf's path. */
export function writeRedisInstance(dir: string, port: number, passwords: RedisUsers, o: { maxmemory?: string } = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "users.acl"), renderUsersAcl(passwords));
  fs.writeFileSync(path.join(dir, "replication.conf"), renderReplicationInclude(passwords.replication));
  const file = path.join(dir, "redis.conf");
  fs.writeFileSync(
    file,
    renderRedisConf({
      bind: "127.0.0.1",
      port,
      dataDir: dir,
      aclFile: path.join(dir, "users.acl"),
      replicationInclude: path.join(dir, "replication.conf"),
      maxmemory: o.maxmemory ?? "256mb",
      maxmemoryPolicy: "noeviction",
    }),
  );
  return file;
}

export interface RedisAuth {
  user?: string;
  password?: string;
}

/** One redis-cli call; returns its trimmed output (errors are output too, as redis-cli prints them). */
export function redisCli(port: number, auth: RedisAuth, args: string[]): string {
  const authArgs = auth.user ? ["--user", auth.user, "--pass", auth.password ?? "", "--no-auth-warning"] : [];
  const result = spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...authArgs, ...args], {
    encoding: "utf8",
    timeout: 10_000,
  });
  return `${result.stdout}${result.stderr}`.trim();
}

/**
 * Polls `check` (sync or async) every `intervalMs` until it holds. A check that throws (a
 * server not listening yet) counts as "not yet"; the last error is in the timeout's message.
 */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last instanceof Error ? last.message : String(last)})` : ""}`);
}

/** How to start a process other than `<binary> <configFile>`: e.g. our start script under busybox sh. */
export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

export class RedisProcess {
  private child?: ChildProcess;
  readonly log: string;

  constructor(
    readonly binary: "redis-server" | "redis-sentinel",
    readonly configFile: string,
    readonly port: number,
    private readonly launch?: Launch,
  ) {
    this.log = path.join(path.dirname(configFile), `${path.basename(configFile)}.log`);
  }

  async start(): Promise<void> {
    const out = fs.openSync(this.log, "a");
    const [command, args, env] = this.launch ? [this.launch.command, this.launch.args, { ...process.env, ...this.launch.env }] : [this.binary, [this.configFile], process.env];
    this.child = spawn(command, args, { stdio: ["ignore", out, out], env });
    await waitFor(() => /PONG|NOAUTH|NOPERM/.test(redisCli(this.port, {}, ["PING"])), `${this.binary} on port ${this.port}`);
  }

  /** SIGKILL: a crash, no chance to flush anything beyond what appendfsync already did. */
  async crash(): Promise<void> {
    await this.stopWith("SIGKILL");
  }

  async stop(): Promise<void> {
    await this.stopWith("SIGTERM");
  }

  private async stopWith(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    this.child = undefined;
  }
}
