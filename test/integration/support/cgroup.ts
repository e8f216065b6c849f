import * as fs from "node:fs";
import * as path from "node:path";
import { chownToServerUser } from "./proc";

// A memory cgroup for one server, as the kubelet makes one per container: a hard limit,
// the peak usage and the OOM kills under it. cgroup v2 (memory.max, memory.peak,
// memory.events) or v1 (memory.limit_in_bytes, memory.max_usage_in_bytes,
// memory.oom_control), made as a child of the test process's own memory cgroup. A
// process joins it by writing its pid into cgroup.procs before it execs the server
// (wrap), so every process it forks is charged to it too.

interface Layout {
  version: 1 | 2;
  /** The test process's own memory cgroup directory. */
  parent: string;
}

function layout(): Layout | { unavailable: string } {
  const lines = fs.readFileSync("/proc/self/cgroup", "utf8").trim().split("\n");
  const v1 = lines.find((l) => l.split(":")[1]?.split(",").includes("memory"));
  if (v1 && fs.existsSync("/sys/fs/cgroup/memory")) return { version: 1, parent: path.join("/sys/fs/cgroup/memory", v1.split(":")[2] ?? "/") };
  const v2 = lines.find((l) => l.startsWith("0::"));
  if (v2 && fs.existsSync("/sys/fs/cgroup/cgroup.controllers")) {
    const parent = path.join("/sys/fs/cgroup", v2.slice(3));
    const controllers = fs.existsSync(path.join(parent, "cgroup.subtree_control")) ? fs.readFileSync(path.join(parent, "cgroup.subtree_control"), "utf8") : "";
    if (!controllers.split(/\s+/).includes("memory")) return { unavailable: `cgroup v2 without the memory controller delegated to ${parent}` };
    return { version: 2, parent };
  }
  return { unavailable: "no memory cgroup (v1 or v2) is mounted" };
}

/** Why memory cgroups cannot be made here, or undefined when they can (the test says so and skips otherwise). */
export function memoryCgroupsUnavailable(): string | undefined {
  const l = layout();
  if ("unavailable" in l) return l.unavailable;
  try {
    const probe = path.join(l.parent, `blacklake-probe-${process.pid}`);
    fs.mkdirSync(probe);
    fs.rmdirSync(probe);
    return undefined;
  } catch (error) {
    return `cannot create a memory cgroup under ${l.parent}: ${(error as Error).message}`;
  }
}

export class MemoryCgroup {
  private constructor(
    readonly dir: string,
    readonly version: 1 | 2,
    readonly limitBytes: number,
  ) {}

  /** A new cgroup limited to `limitBytes`; `serverUser`: the PostgreSQL helpers' user may join it. */
  static create(name: string, limitBytes: number, o: { serverUser?: boolean } = {}): MemoryCgroup {
    const l = layout();
    if ("unavailable" in l) throw new Error(l.unavailable);
    const dir = path.join(l.parent, `blacklake-${name}-${process.pid}`);
    fs.mkdirSync(dir);
    const group = new MemoryCgroup(dir, l.version, limitBytes);
    if (l.version === 2) {
      fs.writeFileSync(path.join(dir, "memory.max"), String(limitBytes));
      fs.writeFileSync(path.join(dir, "memory.swap.max"), "0");
    } else {
      fs.writeFileSync(path.join(dir, "memory.limit_in_bytes"), String(limitBytes));
    }
    if (o.serverUser) chownToServerUser(path.join(dir, "cgroup.procs"));
    return group;
  }

  /** `cmd args` joining the cgroup first: a shell writes its own pid, then execs the command. */
  wrap(cmd: string, args: string[]): [string, string[]] {
    return ["sh", ["-c", 'echo $$ > "$0" && exec "$@"', path.join(this.dir, "cgroup.procs"), cmd, ...args]];
  }

  /** The highest usage since it was made (page cache included, as the kubelet counts it). */
  peakBytes(): number {
    return Number(this.read(this.version === 2 ? "memory.peak" : "memory.max_usage_in_bytes"));
  }

  /** How many processes the kernel killed for exceeding the limit. */
  oomKills(): number {
    const text = this.read(this.version === 2 ? "memory.events" : "memory.oom_control");
    return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
  }

  /** The processes still in it. */
  pids(): number[] {
    return this.read("cgroup.procs").split("\n").filter(Boolean).map(Number);
  }

  /** Removes it; the processes in it must have exited. */
  remove(): void {
    if (fs.existsSync(this.dir)) fs.rmdirSync(this.dir);
  }

  private read(file: string): string {
    return fs.readFileSync(path.join(this.dir, file), "utf8").trim();
  }
}
