import * as fs from "node:fs";
import * as path from "node:path";
import { type Sandbox, STANZA } from "./cluster";
import { ROOT } from "./install";
import { baseEnv, chownToServerUser, run, type RunResult } from "./proc";

export const RESTORE_DRILL_SCRIPT = path.join(ROOT, "components/postgres/scripts/restore-drill.sh");

export interface DrillRun {
  result: RunResult;
  scratchDir: string;
  /** The metrics file's text, or undefined when the script wrote none. */
  metricsText: string | undefined;
  metrics: Map<string, number>;
}

/** Parses Prometheus text format samples without labels: name value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/.exec(line.trim());
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/**
 * Runs restore-drill.sh as the CronJob would: as the server user, with nothing but the
 * documented environment. The script is copied into the sandbox so that the server
 * user can read it wherever the checkout lives.
 */
export async function runRestoreDrill(
  sandbox: Sandbox,
  name: string,
  o: { pgbackrestConfig: string; cipherPass: string; port: number; pgBin: string; extraEnv?: Record<string, string>; timeoutMs?: number },
): Promise<DrillRun> {
  const dir = sandbox.dir(`drill-${name}`);
  const scratchDir = sandbox.dir(`drill-${name}`, "scratch");
  const script = path.join(dir, "restore-drill.sh");
  fs.copyFileSync(RESTORE_DRILL_SCRIPT, script);
  chownToServerUser(script);
  const metricsFile = path.join(dir, "metrics.prom");
  const env = baseEnv(dir, {
    PGBACKREST_CONFIG: o.pgbackrestConfig,
    PGBACKREST_STANZA: STANZA,
    PGBACKREST_REPO1_CIPHER_PASS: o.cipherPass,
    DRILL_SCRATCH_DIR: scratchDir,
    DRILL_PORT: String(o.port),
    DRILL_METRICS_FILE: metricsFile,
    DRILL_START_TIMEOUT: "120",
    PG_BIN: o.pgBin,
    ...(o.extraEnv ?? {}),
  });
  const result = await run("bash", [script], { env, cwd: dir, allowFailure: true, timeoutMs: o.timeoutMs ?? 300_000 });
  const metricsText = fs.existsSync(metricsFile) ? fs.readFileSync(metricsFile, "utf8") : undefined;
  return { result, scratchDir, metricsText, metrics: parseMetrics(metricsText ?? "") };
}
