import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../../harness";

// promtool and amtool for the integration tier, and the files they check.

/** The Prometheus and Alertmanager binaries the tier runs, at the versions the stacks ship. */
export interface PrometheusTools {
  prometheus: string;
  promtool: string;
  alertmanager: string;
  amtool: string;
}

/**
 * Builds Prometheus and Alertmanager with their tools if they are not in the tool cache
 * (scripts/integration/install-prometheus.sh, which prints "<name> <path>" lines) and
 * returns their paths.
 */
export function ensurePrometheusInstalled(): PrometheusTools {
  const out = execFileSync("bash", [path.join(ROOT, "scripts/integration/install-prometheus.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 1_800_000,
  });
  const tools = Object.fromEntries(
    out
      .trim()
      .split("\n")
      .map((line) => line.split(" ") as [string, string]),
  );
  for (const name of ["prometheus", "promtool", "alertmanager", "amtool"] as const)
    if (!tools[name] || !fs.existsSync(tools[name])) throw new Error(`install-prometheus.sh did not print a path for ${name} (it printed: ${out.trim()})`);
  return tools as unknown as PrometheusTools;
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
