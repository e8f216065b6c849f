import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../../harness";

// promtool and amtool for the integration tier, and the files they check.

/**
 * Installs promtool and amtool if missing (scripts/integration/install-prometheus.sh) and
 * returns the promtool to use: Debian's lacks Kubernetes service discovery, so the script
 * may build upstream promtool instead.
 */
export function ensurePrometheusInstalled(): { promtool: string; amtool: string } {
  const out = execFileSync("bash", [path.join(ROOT, "scripts/integration/install-prometheus.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 1_800_000,
  });
  const promtool = out.trim().split("\n").pop() ?? "";
  if (!fs.existsSync(promtool)) throw new Error(`install-prometheus.sh printed "${promtool}", which is not a file`);
  return { promtool, amtool: "amtool" };
}

export interface Run {
  status: number | null;
  output: string;
}

/** Runs a command in dir; returns its exit status and combined output. */
export function run(command: string, args: string[], dir: string): Run {
  const r = spawnSync(command, args, { cwd: dir, encoding: "utf8", timeout: 300_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Writes name -> text files into dir; returns their paths. */
export function writeFiles(dir: string, files: Record<string, string>): string[] {
  fs.mkdirSync(dir, { recursive: true });
  return Object.entries(files).map(([name, text]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  });
}
