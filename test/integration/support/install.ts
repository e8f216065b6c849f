import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "../../..");
export const INSTALL_SCRIPT = path.join(ROOT, "scripts/integration/install-postgres.sh");
const INSTALL_ACTIONLINT_SCRIPT = path.join(ROOT, "scripts/integration/install-actionlint.sh");

function hasCommand(name: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => dir && fs.existsSync(path.join(dir, name)));
}

/** The newest /usr/lib/postgresql/<major>/bin holding a postgres binary, if any. */
export function findPgBin(): string | undefined {
  if (process.env.PG_BIN && fs.existsSync(path.join(process.env.PG_BIN, "postgres"))) return process.env.PG_BIN;
  const base = "/usr/lib/postgresql";
  if (!fs.existsSync(base)) return undefined;
  const majors = fs
    .readdirSync(base)
    .filter((v) => /^[0-9]+$/.test(v) && fs.existsSync(path.join(base, v, "bin/postgres")))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length ? path.join(base, majors[0]!, "bin") : undefined;
}

/**
 * The PostgreSQL bin directory, installing PostgreSQL and pgBackRest first (through
 * scripts/integration/install-postgres.sh) when either is missing.
 */
export function ensurePostgresInstalled(): string {
  const found = findPgBin();
  if (found && hasCommand("pgbackrest")) return found;
  const out = execFileSync("bash", [INSTALL_SCRIPT], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 900_000 });
  const bin = out.trim().split("\n").pop() ?? "";
  if (!fs.existsSync(path.join(bin, "postgres"))) throw new Error(`install-postgres.sh printed "${bin}", which holds no postgres binary`);
  return bin;
}

/** Builds actionlint once (scripts/integration/install-actionlint.sh), which also brings Debian's shellcheck, and returns actionlint's path. */
export function ensureActionlintInstalled(): string {
  const out = execFileSync("bash", [INSTALL_ACTIONLINT_SCRIPT], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 900_000, // a cold build takes about half a minute
  });
  const bin = path.join(out.trim().split("\n").pop() ?? "", "actionlint");
  if (!fs.existsSync(bin)) throw new Error(`install-actionlint.sh printed\n${out}\nbut ${bin} does not exist`);
  return bin;
}

/**
 * Builds the exporters the stacks deploy once (scripts/integration/install-exporters.sh,
 * which prints "<name> <bin dir>" lines) and returns each one's binary by name.
 */
export function ensureExportersInstalled(): Map<string, string> {
  const out = execFileSync("bash", [path.join(ROOT, "scripts/integration/install-exporters.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 1_800_000 });
  const bins = new Map<string, string>();
  for (const line of out.trim().split("\n")) {
    const [name, dir] = line.split(" ");
    if (name && dir) bins.set(name, path.join(dir, name));
  }
  return bins;
}
