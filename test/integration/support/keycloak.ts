import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "./cluster";
import type { MemoryCgroup } from "./cgroup";
import { ROOT } from "./install";
import { killGroup, onProcessExit, pidsMentioning, run, type RunResult, signalGroupAndWait, sleep } from "./proc";

// A real Keycloak (the server distribution, on the JVM) for the integration tier, in
// development mode with its H2 file database, on loopback only.
//
// The install (scripts/integration/install-keycloak.sh, in the tools cache) is never
// written to: `kc.sh` re-augments the server into lib/quarkus on every configuration
// change, so each server runs from its own home in a temp dir that copies the small
// parts (bin, conf, lib/quarkus) and links the jars (lib/lib, lib/app). Data, the H2
// database, the imported realms and Java's temp files live there too.
// Over 300 lines because the server's install, start, readiness and admin calls are one
// lifecycle.

export const KEYCLOAK_INSTALL_SCRIPT = path.join(ROOT, "scripts/integration/install-keycloak.sh");

/** Runs install-keycloak.sh (idempotent; fast when installed) and returns the install dir. */
export function ensureKeycloakInstalled(): string {
  const out = execFileSync("bash", [KEYCLOAK_INSTALL_SCRIPT], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 900_000 });
  const dir = out.trim().split("\n").pop() ?? "";
  if (!fs.existsSync(path.join(dir, "bin/kc.sh"))) throw new Error(`install-keycloak.sh printed "${dir}", which holds no bin/kc.sh`);
  return dir;
}

export interface KeycloakStartOptions {
  installDir: string;
  /** Realm representations written to data/import/ and imported at startup (--import-realm). */
  realms: object[];
  /** The bootstrap admin of the master realm (KC_BOOTSTRAP_ADMIN_USERNAME/PASSWORD). */
  admin: { username: string; password: string };
  /** How long to wait for /health/ready. Keycloak needs 20-60 s on 2 cores, plus ~30 s to augment. */
  timeoutMs?: number;
  /** Extra environment, e.g. the component's hostname settings (keycloakHostnameEnv). */
  env?: Record<string, string>;
  /** Run kc.sh (its build step and the server) under this memory limit, as in its container. */
  cgroup?: MemoryCgroup;
}

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: T;
}

export interface JwtPayload {
  iss: string;
  azp?: string;
  aud?: string | string[];
  sub: string;
  exp: number;
  iat: number;
  realm_access?: { roles: string[] };
  [claim: string]: unknown;
}

/** The payload of a JWT, unverified (the test trusts the server it talks to). */
export function decodeJwt(token: string): JwtPayload {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error(`not a JWS compact serialisation: ${parts.length} parts`);
  return JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as JwtPayload;
}

export async function http(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<HttpResult> {
  const res = await fetch(url, { redirect: "manual", ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 30_000) });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** A form POST (application/x-www-form-urlencoded), as the OAuth token endpoint wants. */
export function postForm(url: string, form: Record<string, string>): Promise<HttpResult> {
  return http(url, { method: "POST", body: new URLSearchParams(form) });
}

export class KeycloakServer {
  readonly logFile: string;
  readonly baseUrl: string;
  readonly managementUrl: string;
  private process: ChildProcess | undefined;
  private removed = false;
  private adminTokenCache: { token: string; until: number } | undefined;

  private constructor(
    /** The temp dir holding everything of this server. */
    readonly root: string,
    /** Keycloak's home (kc.home.dir) inside root. */
    readonly home: string,
    readonly httpPort: number,
    readonly managementPort: number,
    readonly admin: { username: string; password: string },
  ) {
    this.logFile = path.join(root, "keycloak.log");
    this.baseUrl = `http://127.0.0.1:${httpPort}`;
    this.managementUrl = `http://127.0.0.1:${managementPort}`;
  }

  static async start(o: KeycloakStartOptions): Promise<KeycloakServer> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "blacklake-keycloak-"));
    fs.chmodSync(root, 0o700);
    const httpPort = await freePort();
    const managementPort = await freePort(new Set([httpPort]));
    const server = new KeycloakServer(root, path.join(root, "home"), httpPort, managementPort, o.admin);
    onProcessExit(() => server.removeDir());
    try {
      server.makeHome(o.installDir);
      o.realms.forEach((realm, i) => {
        const name = (realm as { realm?: string }).realm ?? `realm-${i}`;
        fs.writeFileSync(path.join(server.home, "data/import", `${name}-realm.json`), JSON.stringify(realm, null, 2), { mode: 0o600 });
      });
      server.spawn(o.env ?? {}, o.cgroup);
      await server.waitReady(o.timeoutMs ?? 240_000);
      return server;
    } catch (err) {
      await server.stop();
      throw err;
    }
  }

  private makeHome(installDir: string): void {
    const home = this.home;
    fs.mkdirSync(path.join(home, "lib"), { recursive: true });
    for (const part of ["bin", "conf", "providers", "themes", "version.txt", "lib/quarkus", "lib/quarkus-run.jar"]) {
      fs.cpSync(path.join(installDir, part), path.join(home, part), { recursive: true, preserveTimestamps: true });
    }
    for (const part of ["lib/lib", "lib/app"]) fs.symlinkSync(path.join(installDir, part), path.join(home, part));
    fs.mkdirSync(path.join(home, "data/import"), { recursive: true });
    fs.mkdirSync(path.join(this.root, "tmp"));
  }

  private env(): Record<string, string> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      HOME: this.root,
      LANG: "C.UTF-8",
      TZ: "UTC",
      // C1 only: the server starts in about half the time on 2 cores; its throughput does not matter here.
      JAVA_OPTS_APPEND: `-XX:TieredStopAtLevel=1 -Djava.io.tmpdir=${path.join(this.root, "tmp")}`,
    };
    if (process.env.JAVA_HOME) env.JAVA_HOME = process.env.JAVA_HOME;
    return env;
  }

  private spawn(extraEnv: Record<string, string>, cgroup?: MemoryCgroup): void {
    const fd = fs.openSync(this.logFile, "a");
    try {
      const kc: [string, string[]] = [
        path.join(this.home, "bin/kc.sh"),
        [
          "start-dev",
          "--import-realm",
          "--http-host=127.0.0.1", // the management interface binds to the same host
          `--http-port=${this.httpPort}`,
          `--http-management-port=${this.managementPort}`,
          "--health-enabled=true",
          "--metrics-enabled=true",
          "--event-metrics-user-enabled=true",
          "--db=dev-file",
          // Without AUTO_SERVER (the dev-file default), H2 opens no TCP server.
          `--db-url=jdbc:h2:file:${path.join(this.root, "h2", "keycloakdb")};NON_KEYWORDS=VALUE`,
          "--log-console-color=false",
        ],
      ];
      const [cmd, args] = cgroup ? cgroup.wrap(...kc) : kc;
      this.process = spawn(cmd, args, {
        cwd: this.root,
        env: {
          ...this.env(),
          KC_BOOTSTRAP_ADMIN_USERNAME: this.admin.username,
          KC_BOOTSTRAP_ADMIN_PASSWORD: this.admin.password,
          ...extraEnv,
        },
        stdio: ["ignore", fd, fd],
        detached: true, // its own process group: kc.sh, the augmentation JVM and the server
      });
    } finally {
      fs.closeSync(fd);
    }
    const pid = this.process.pid;
    onProcessExit(() => killGroup(pid, "SIGKILL"));
  }

  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`keycloak exited during startup (${this.process?.exitCode ?? this.process?.signalCode})\n${this.logTail()}`);
      try {
        const r = await http(`${this.managementUrl}/health/ready`, { timeoutMs: 5_000 });
        if (r.status === 200) return;
      } catch {
        /* not listening yet */
      }
      await sleep(1_000);
    }
    throw new Error(`keycloak not ready after ${timeoutMs} ms\n${this.logTail()}`);
  }

  /** SIGTERM (Keycloak shuts down gracefully), SIGKILL after 30 s, then removes the temp dir. */
  async stop(): Promise<void> {
    if (this.running) await signalGroupAndWait(this.process!, "SIGTERM", 30_000);
    this.kill();
    this.removeDir();
  }

  /** SIGKILL to the process group and to anything else still running from this server's home. */
  kill(): void {
    if (this.process) killGroup(this.process.pid, "SIGKILL");
    for (const pid of pidsMentioning(this.home)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  }

  private removeDir(): void {
    if (this.removed) return;
    this.kill();
    if (process.env.KEEP_KEYCLOAK_SANDBOX) {
      process.stderr.write(`KEEP_KEYCLOAK_SANDBOX: left ${this.root}\n`);
    } else {
      fs.rmSync(this.root, { recursive: true, force: true });
    }
    this.removed = true;
  }

  logTail(lines = 60): string {
    try {
      return fs.readFileSync(this.logFile, "utf8").trim().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no keycloak log)";
    }
  }

  /** The local addresses (host:port) of the TCP sockets the server process listens on. */
  listeningAddresses(): string[] {
    const pid = this.process?.pid;
    if (pid === undefined) return [];
    const inodes = new Set<string>();
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        /* closed meanwhile */
      }
    }
    const out: string[] = [];
    for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
      if (!fs.existsSync(table)) continue;
      for (const line of fs.readFileSync(table, "utf8").trim().split("\n").slice(1)) {
        const f = line.trim().split(/\s+/);
        // f[1] local address, f[3] state (0A = LISTEN), f[9] inode
        const inode = f[9];
        if (f[3] === "0A" && inode !== undefined && inodes.has(inode)) out.push(decodeProcNetAddress(f[1]!)); // a line with f[9] has f[1]
      }
    }
    return out;
  }

  // --- the APIs ---------------------------------------------------------------------

  tokenUrl(realm: string): string {
    return `${this.baseUrl}/realms/${realm}/protocol/openid-connect/token`;
  }

  /** A token for the bootstrap admin (master realm, admin-cli), renewed before it expires. */
  async adminToken(): Promise<string> {
    if (this.adminTokenCache && Date.now() < this.adminTokenCache.until) return this.adminTokenCache.token;
    const r = await postForm(this.tokenUrl("master"), {
      grant_type: "password",
      client_id: "admin-cli",
      username: this.admin.username,
      password: this.admin.password,
    });
    if (r.status !== 200) throw new Error(`admin token: HTTP ${r.status} ${r.text}`);
    const lifetimeMs = Number(r.json.expires_in) * 1000;
    this.adminTokenCache = { token: r.json.access_token, until: Date.now() + lifetimeMs / 2 };
    return r.json.access_token;
  }

  /** A call to the admin REST API, e.g. adminApi("GET", "realms/blacklake/roles"). */
  async adminApi(method: string, apiPath: string, body?: unknown): Promise<HttpResult> {
    const headers: Record<string, string> = { Authorization: `Bearer ${await this.adminToken()}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return http(`${this.baseUrl}/admin/${apiPath}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  }

  /** Like adminApi, but throws unless the status is 2xx. */
  async adminOk(method: string, apiPath: string, body?: unknown): Promise<HttpResult> {
    const r = await this.adminApi(method, apiPath, body);
    if (r.status < 200 || r.status > 299) throw new Error(`${method} /admin/${apiPath}: HTTP ${r.status} ${r.text}`);
    return r;
  }

  /** The id in the Location header of a 201 Created. */
  static createdId(r: HttpResult): string {
    const location = r.headers.get("location");
    if (r.status !== 201 || !location) throw new Error(`expected 201 with a Location, got HTTP ${r.status} ${r.text}`);
    return location.split("/").pop()!;
  }

  /** Runs bin/kcadm.sh of this server's home with its own config file (the runbook's commands). */
  kcadm(args: string[], opts: { allowFailure?: boolean } = {}): Promise<RunResult> {
    return runAsUs(path.join(this.home, "bin/kcadm.sh"), [...args, "--config", path.join(this.root, "kcadm.config")], {
      env: this.env(),
      cwd: this.root,
      timeoutMs: 60_000,
      allowFailure: opts.allowFailure,
    });
  }
}

/** Runs a command as this process's user (proc.ts's run() otherwise switches to the postgres user when root). */
export function runAsUs(cmd: string, args: string[], opts: { env: Record<string, string>; cwd: string; timeoutMs: number; allowFailure?: boolean }): Promise<RunResult> {
  return run(cmd, args, { ...opts, asInvokingUser: true });
}

/** /proc/net/tcp{,6} "0100007F:1F90" or "0000000000000000FFFF00000100007F:1F90" as "127.0.0.1:8080". */
export function decodeProcNetAddress(hexAddr: string): string {
  const [hexIp, hexPort] = hexAddr.split(":");
  if (hexIp === undefined || hexPort === undefined) throw new Error(`not a /proc/net address: ${hexAddr}`);
  const port = parseInt(hexPort, 16);
  // Each 32-bit word is in host (little-endian) byte order.
  const words = hexIp.match(/.{8}/g)!.map((w) =>
    w
      .match(/../g)!
      .reverse()
      .map((b) => parseInt(b, 16)),
  );
  if (words.length === 1) return `${words[0]!.join(".")}:${port}`;
  const bytes = words.flat();
  const v4mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (v4mapped) return `${bytes.slice(12).join(".")}:${port}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16)); // 16 bytes: four 32-bit words
  return `[${groups.join(":")}]:${port}`;
}
