import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { configFromStackFile, offlineProblems, platformConfigSchema } from "../../stacks/config";
import { type ClusterView, type KubeObject, type Outcome, preflightChecks } from "./checks";

// npm run preflight -- --stack <name> [--kubeconfig <file>] [--context <name>]
// Checks, read-only and before `pulumi up`, that the cluster the kubeconfig points at has
// what the stack needs (docs/prerequisites.md), and prints one line per check. Exit 0 when
// nothing is missing, 1 when something is, 2 on misuse or an invalid stack file. Needs
// kubectl on PATH; reads with the kubeconfig's own credentials.

function usage(problem: string): never {
  console.error(`${problem}\nusage: npm run preflight -- --stack <dev|staging|prod|...> [--kubeconfig <file>] [--context <name>]`);
  process.exit(2);
}

function parseArgs(argv: string[]): { stack: string; kubeconfig?: string; context?: string } {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (!flag || !["--stack", "--kubeconfig", "--context"].includes(flag)) usage(`unknown argument: ${flag}`);
    if (value === undefined || value.startsWith("--")) usage(`${flag} needs a value`);
    out[flag.slice(2)] = value;
  }
  if (!out.stack) usage("--stack is required");
  return { stack: out.stack, kubeconfig: out.kubeconfig, context: out.context };
}

/** kubectl as a ClusterView: NotFound is "absent"; any other failure stops the preflight with kubectl's words. */
function kubectlView(kubeconfig: string | undefined, context: string | undefined): ClusterView {
  const base = [...(kubeconfig ? ["--kubeconfig", kubeconfig] : []), ...(context ? ["--context", context] : []), "--request-timeout=20s"];
  const kubectl = (args: string[]) => {
    const r = spawnSync("kubectl", [...base, ...args], { encoding: "utf8", timeout: 60_000 });
    if (r.error) throw new Error(`kubectl could not be run (${r.error.message}); install it or put it on PATH`);
    return r;
  };
  return {
    serverVersion() {
      const r = kubectl(["version", "-o", "json"]);
      const server = r.status === 0 ? JSON.parse(r.stdout).serverVersion : undefined;
      return server ? { major: Number(server.major), minor: Number.parseInt(server.minor, 10) } : undefined;
    },
    get(resource, name, namespace) {
      const r = kubectl(["get", resource, name, "-o", "json", ...(namespace ? ["-n", namespace] : [])]);
      if (r.status === 0) return JSON.parse(r.stdout) as KubeObject;
      if (/NotFound|not found/.test(r.stderr)) return undefined;
      throw new Error(`kubectl get ${resource} ${name}: ${r.stderr.trim()}`);
    },
    list(resource, namespace) {
      const r = kubectl(["get", resource, "-o", "json", ...(namespace ? ["-n", namespace] : [])]);
      if (r.status !== 0) throw new Error(`kubectl get ${resource}: ${r.stderr.trim()}`);
      return (JSON.parse(r.stdout).items ?? []) as KubeObject[];
    },
  };
}

const args = parseArgs(process.argv.slice(2));
const file = path.join(__dirname, "..", "..", `Pulumi.${args.stack}.yaml`);
if (!fs.existsSync(file)) usage(`no stack file ${path.basename(file)}`);
const raw = configFromStackFile(file);
const problems = offlineProblems(raw);
if (problems.length > 0) {
  console.error(`${path.basename(file)}: ${problems.length} problem(s); run npm run config:check -- ${path.basename(file)}\n${problems.join("\n")}`);
  process.exit(2);
}
const parsed = platformConfigSchema.safeParse(raw.values);
if (!parsed.success) usage(`${path.basename(file)}: its encrypted values cannot be read offline; run the preflight on a stack file without secrets under the checked keys`);
const config = parsed.data;
if (config.target !== "kubernetes") usage(`stack ${args.stack} targets ${config.target}: the preflight checks a Kubernetes cluster`);

const marks: Record<Outcome, string> = { ok: "ok     ", warn: "warn   ", missing: "MISSING" };
let results: ReturnType<typeof preflightChecks>;
try {
  results = preflightChecks(kubectlView(args.kubeconfig, args.context ?? config.kubernetes.context), config);
} catch (error) {
  console.error(`preflight for ${args.stack}: ${(error as Error).message}`);
  process.exit(1);
}
console.log(`preflight for stack ${args.stack} (namespace ${config.namespace}):`);
for (const r of results) console.log(`${marks[r.outcome]} ${r.check}: ${r.detail}`);
const missing = results.filter((r) => r.outcome === "missing").length;
const warnings = results.filter((r) => r.outcome === "warn").length;
console.log(missing === 0 ? `ready: nothing missing${warnings ? ` (${warnings} to check by hand)` : ""}` : `not ready: ${missing} missing (docs/prerequisites.md)`);
process.exit(missing === 0 ? 0 : 1);
