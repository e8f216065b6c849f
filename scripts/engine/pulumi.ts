/**
 * (Over 300 lines: argument parsing, the workspace copy, the run and its report are one
 * flow that reads best in one place.)
 *
 * The real Pulumi engine for this program: `preview | up | refresh | destroy` of a stack,
 * through the Automation API with the program as an inline program (no Node.js language
 * host is needed) and the policy pack on every preview and up.
 *
 *   tsx scripts/engine/pulumi.ts <preview|up|refresh|destroy> [--stack dev]
 *       [--set <key.path>=<value>]...  config for this run only, e.g. --set imageBuild.enabled=false
 *       [--secret <key.path>=<value>]... the same, encrypted as `pulumi config set --secret --path` does
 *       [--no-cloud]                   turn off what needs the aws and docker providers (below)
 *       [--no-policy]                  skip the policy pack (never in CI)
 *       [--diff]                       show property-level diffs
 *       [--expect-no-changes]          fail when the engine plans or makes any change
 *       [--state-dir <dir>]            local backend and workspaces (default .pulumi-state)
 *       [--report <file>]              write the result and every planned step as JSON
 *
 * The CLI: `pulumi` on PATH when there is one (a normal installation, with its own
 * plugins); otherwise the one scripts/engine/tools.sh builds, with the kubernetes and
 * random plugins it installs (built on first use). The backend: PULUMI_BACKEND_URL, or a
 * file backend under the state dir. Secrets: PULUMI_CONFIG_PASSPHRASE(_FILE), or for the
 * dev stack only a published dev-only passphrase.
 *
 * --no-cloud: the Go module proxy here refuses the aws and docker providers, so the engine
 * tier runs staging and prod without their AWS resources and image builds: off-site
 * backup, its MinIO mirror and pgBackRest repository, CI roles, ECR and built images (the
 * pinned public images instead). It says so on every run.
 *
 * The CLI writes to a stack's config file (salt, secrets provider), so it runs on a copy
 * of the committed Pulumi.<stack>.yaml in <state-dir>/workspaces/<stack>: the committed
 * files are never rewritten, and what the CLI wrote is carried over to the next run.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { type Document, parse, parseDocument, stringify } from "yaml";
import { CommandError, type EngineEvent, LocalWorkspace, type OpType, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { runPlatformProgram } from "../../stacks/program";

const REPO = path.resolve(__dirname, "../..");
const PROJECT = "blacklake";
const CONFIG_NAMESPACE = `${PROJECT}:`;
/** Published on purpose: the dev stack renders manifests and holds no credential of value. */
export const DEV_PASSPHRASE = "blacklake-dev-only";
/** Where scripts/engine/tools.sh keeps what it builds (lib.sh's BL_CACHE). */
export const TOOLS_CACHE = process.env.BLACKLAKE_TOOLS_CACHE ?? path.join(os.homedir(), ".cache/blacklake-tools");
/** The PULUMI_HOME that holds the plugins tools.sh installs. */
export const TOOLS_PULUMI_HOME = path.join(TOOLS_CACHE, "pulumi-home");
/** Keys the CLI writes into a stack file; kept from one run to the next. */
const CLI_WRITTEN_KEYS = ["encryptionsalt", "secretsprovider", "encryptedkey"];

export const OPERATIONS = ["preview", "up", "refresh", "destroy"] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface EngineRun {
  operation: Operation;
  stack: string;
  /** Config for this run only, `key.path` (under `blacklake:`) to value. */
  set?: Record<string, string>;
  /** The same, each stored encrypted in the workspace's stack file (`config set --secret --path`). */
  secret?: Record<string, string>;
  policy?: boolean;
  /** Without the resources of the aws and docker providers (see --no-cloud). */
  noCloud?: boolean;
  diff?: boolean;
  expectNoChanges?: boolean;
  stateDir?: string;
  write?: (text: string) => void;
}

export interface PlannedStep {
  op: OpType;
  urn: string;
  type: string;
  /** Top-level properties that differ. */
  diffs: string[];
  /** Properties whose change forces a replacement. */
  replaceKeys: string[];
}

export interface EngineReport {
  operation: Operation;
  stack: string;
  ok: boolean;
  /** Count of steps by operation, as the engine reports it. */
  changes: Record<string, number>;
  steps: PlannedStep[];
  /** Mandatory and advisory violations the policy pack reported. */
  policyViolations: { policy: string; level: string; urn?: string; message: string }[];
  outputs?: Record<string, unknown>;
  seconds: number;
  error?: string;
}

export function workspaceDir(stateDir: string, stack: string): string {
  return path.join(stateDir, "workspaces", stack);
}

/** `a.b[1].c` -> ["a", "b", 1, "c"] */
export function configPath(key: string, flag = "--set"): (string | number)[] {
  if (!/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*|\[\d+\])*$/.test(key)) {
    throw new UsageError(`${flag}: found the key "${key}"; expected a config path such as postgres.parameters.maxConnections or repos[0].storage`);
  }
  return key.split(/\.|(?=\[)/).map((part) => (part.startsWith("[") ? Number(part.slice(1, -1)) : part));
}

function asWritten(value: string): unknown {
  try {
    return parse(value);
  } catch {
    return value; // e.g. a cron schedule starting with "*", which YAML reads as an alias
  }
}

/** Edits the stack file copy under `config:`, keys relative to the blacklake: namespace. */
export class StackFileEdit {
  constructor(private readonly doc: Document) {}

  get(key: string): unknown {
    const [section, ...rest] = configPath(key);
    return this.doc.getIn(["config", `${CONFIG_NAMESPACE}${section}`, ...rest]);
  }

  /** A value as it would be written in the file: `0` is a number, `true` a boolean. */
  set(key: string, value: string): void {
    const [section, ...rest] = configPath(key);
    this.doc.setIn(["config", `${CONFIG_NAMESPACE}${section}`, ...rest], asWritten(value));
  }

  delete(key: string): void {
    const [section, ...rest] = configPath(key);
    this.doc.deleteIn(["config", `${CONFIG_NAMESPACE}${section}`, ...rest]);
  }
}

/**
 * --no-cloud: every resource of the aws and docker providers off. pgBackRest repositories
 * on AWS are dropped (each storage may hold one repository, and MinIO holds one already),
 * and the rest renumbered: a repository's name is its place in the list.
 */
export function withoutCloud(edit: StackFileEdit): void {
  edit.set("imageBuild.enabled", "false");
  edit.set("aws.ciAccess.enabled", "false");
  edit.set("aws.offsite.enabled", "false");
  edit.set("minio.mirror.enabled", "false");
  const repos = (edit.get("postgres.backups.pgbackrest.repos") as { items?: { get(key: string): unknown }[] } | undefined)?.items ?? [];
  const kept = repos.filter((repo) => repo.get("storage") !== "aws").length;
  for (let i = repos.length - 1; i >= 0; i--) {
    if (repos[i]?.get("storage") === "aws") edit.delete(`postgres.backups.pgbackrest.repos[${i}]`);
  }
  for (let i = 0; i < kept; i++) edit.set(`postgres.backups.pgbackrest.repos[${i}].name`, `repo${i + 1}`);
}

/**
 * The stack file the CLI reads: the committed one, with what the CLI wrote in an earlier
 * run (salt, secrets provider) and this run's edits. A relative render directory is made
 * absolute against the repository (the provider would resolve it in the workspace).
 */
function prepareWorkspace(dir: string, run: EngineRun): void {
  const committed = path.join(REPO, `Pulumi.${run.stack}.yaml`);
  if (!fs.existsSync(committed)) {
    const known = fs
      .readdirSync(REPO)
      .filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f))
      .map((f) => f.split(".")[1]);
    throw new UsageError(`--stack: found "${run.stack}"; expected one of ${known.join(", ")} (a Pulumi.<stack>.yaml)`);
  }
  fs.mkdirSync(dir, { recursive: true });
  const copy = path.join(dir, `Pulumi.${run.stack}.yaml`);
  const doc = parseDocument(fs.readFileSync(committed, "utf8"));
  const previous = fs.existsSync(copy) ? ((parse(fs.readFileSync(copy, "utf8")) ?? {}) as Record<string, unknown>) : {};
  for (const key of CLI_WRITTEN_KEYS) if (!doc.has(key) && previous[key] !== undefined) doc.set(key, previous[key]);
  const edit = new StackFileEdit(doc);
  if (run.noCloud) withoutCloud(edit);
  for (const [key, value] of Object.entries(run.set ?? {})) edit.set(key, value);
  const render = edit.get("kubernetes.renderYamlToDirectory");
  if (typeof render === "string" && !path.isAbsolute(render)) edit.set("kubernetes.renderYamlToDirectory", JSON.stringify(path.join(REPO, render)));
  fs.writeFileSync(copy, doc.toString());
  // The project file without `main`: the program is inline, its directory this one.
  const project = parse(fs.readFileSync(path.join(REPO, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
  delete project.main;
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), stringify(project));
}

/** The CLI to run and the environment it needs. */
function engineCommandEnv(write: (text: string) => void): { root?: string; env: Record<string, string> } {
  const env: Record<string, string> = { PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true" };
  const onPath = spawnSync("sh", ["-c", "command -v pulumi"], { encoding: "utf8" }).stdout.trim();
  if (onPath && !onPath.startsWith(TOOLS_CACHE)) return { env }; // a normal installation
  // The tools this project builds: idempotent, seconds when warm, progress per tool when cold.
  write("engine: checking the Pulumi CLI and the kubernetes and random plugins (scripts/engine/tools.sh)\n");
  // stdout: the bin dirs it built into; stderr (its progress) goes to the user.
  const built = spawnSync("bash", [path.join(REPO, "scripts/engine/tools.sh"), "pulumi", "pulumi-resource-kubernetes", "pulumi-resource-random"], {
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  if (built.status !== 0) throw new UsageError(`scripts/engine/tools.sh failed (exit ${built.status}); its log names the step`);
  const cli = built.stdout.split("\n").find((d) => d && fs.existsSync(path.join(d, "pulumi")));
  if (!cli) throw new UsageError("no Pulumi CLI after scripts/engine/tools.sh");
  Object.assign(env, {
    PULUMI_HOME: TOOLS_PULUMI_HOME,
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  });
  return { root: path.dirname(cli), env };
}

class UsageError extends Error {}

function policyViolation(event: EngineEvent): EngineReport["policyViolations"][number] | undefined {
  const p = event.policyEvent;
  if (!p) return undefined;
  return { policy: p.policyName, level: p.enforcementLevel, urn: p.resourceUrn, message: p.message };
}

function plannedStep(event: EngineEvent): PlannedStep | undefined {
  const m = event.resourcePreEvent?.metadata;
  if (!m) return undefined;
  return { op: m.op, urn: m.urn, type: m.type, diffs: m.diffs ?? [], replaceKeys: m.keys ?? [] };
}

export async function runEngine(run: EngineRun): Promise<EngineReport> {
  const write = run.write ?? ((text: string) => process.stdout.write(text));
  const stateDir = path.resolve(run.stateDir ?? path.join(REPO, ".pulumi-state"));
  const dir = workspaceDir(stateDir, run.stack);
  prepareWorkspace(dir, run);
  fs.mkdirSync(stateDir, { recursive: true });
  const { root, env } = engineCommandEnv(write);
  env.PULUMI_BACKEND_URL = process.env.PULUMI_BACKEND_URL ?? `file://${stateDir}`;
  if (!process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE && run.stack === "dev") {
    env.PULUMI_CONFIG_PASSPHRASE = DEV_PASSPHRASE;
  }
  const pulumiCommand = await PulumiCommand.get(root ? { root } : {});
  const stack: Stack = await LocalWorkspace.createOrSelectStack(
    { projectName: PROJECT, stackName: run.stack, program: async () => runPlatformProgram() },
    { workDir: dir, pulumiCommand, envVars: env },
  );
  for (const [key, value] of Object.entries(run.secret ?? {})) {
    await stack.setConfig(`${CONFIG_NAMESPACE}${key}`, { value, secret: true }, true);
  }
  if (run.noCloud) {
    write("engine: --no-cloud: AWS resources and image builds are off for this run (the Go module proxy here serves no aws or docker provider)\n");
  }

  const report: EngineReport = { operation: run.operation, stack: run.stack, ok: false, changes: {}, steps: [], policyViolations: [], seconds: 0 };
  const onEvent = (event: EngineEvent) => {
    const step = plannedStep(event);
    if (step) report.steps.push(step);
    const violation = policyViolation(event);
    if (violation) report.policyViolations.push(violation);
  };
  const streams = { onOutput: write, onError: write, onEvent, color: "never" as const };
  const policy =
    run.policy === false
      ? {}
      : {
          policyPacks: [path.join(REPO, "scripts/engine/policy-pack")],
          policyPackConfigs: [path.join(REPO, "policies/config", `${run.stack}.json`)].filter((f) => fs.existsSync(f)),
        };
  const started = Date.now();
  try {
    switch (run.operation) {
      case "preview": {
        const result = await stack.preview({ ...streams, ...policy, diff: run.diff, expectNoChanges: run.expectNoChanges });
        report.changes = result.changeSummary as Record<string, number>;
        break;
      }
      case "up": {
        const result = await stack.up({ ...streams, ...policy, diff: run.diff, expectNoChanges: run.expectNoChanges });
        report.changes = (result.summary.resourceChanges ?? {}) as Record<string, number>;
        report.outputs = Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]));
        break;
      }
      case "refresh": {
        const result = await stack.refresh({ ...streams, expectNoChanges: run.expectNoChanges });
        report.changes = (result.summary.resourceChanges ?? {}) as Record<string, number>;
        break;
      }
      case "destroy": {
        const result = await stack.destroy({ ...streams });
        report.changes = (result.summary.resourceChanges ?? {}) as Record<string, number>;
        break;
      }
    }
    report.ok = true;
  } catch (error) {
    // The engine has printed its diagnostics already; no stack trace on top of them.
    if (!(error instanceof CommandError)) throw error;
    report.error = `pulumi ${run.operation} of ${run.stack} failed`;
  }
  report.seconds = (Date.now() - started) / 1000;
  return report;
}

function parseArgs(argv: string[]): EngineRun & { report?: string } {
  const [operation, ...rest] = argv;
  if (!OPERATIONS.includes(operation as Operation)) {
    throw new UsageError(`operation: found ${operation === undefined ? "nothing" : `"${operation}"`}; expected one of ${OPERATIONS.join(", ")}`);
  }
  const run: EngineRun & { report?: string } = { operation: operation as Operation, stack: "dev", set: {}, secret: {} };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const value = () => {
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${flag}: found nothing; expected a value`);
      return v;
    };
    if (flag === "--stack") run.stack = value();
    else if (flag === "--set" || flag === "--secret") {
      const pair = value();
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new UsageError(`${flag}: found "${pair}"; expected <key.path>=<value>, e.g. imageBuild.enabled=false`);
      const key = pair.slice(0, eq).replace(new RegExp(`^${CONFIG_NAMESPACE}`), "");
      configPath(key, flag);
      (flag === "--set" ? run.set! : run.secret!)[key] = pair.slice(eq + 1);
    } else if (flag === "--no-policy") run.policy = false;
    else if (flag === "--no-cloud") run.noCloud = true;
    else if (flag === "--diff") run.diff = true;
    else if (flag === "--expect-no-changes") run.expectNoChanges = true;
    else if (flag === "--state-dir") run.stateDir = value();
    else if (flag === "--report") run.report = value();
    else throw new UsageError(`${flag}: found an unknown option; expected --stack, --set, --secret, --no-cloud, --no-policy, --diff, --expect-no-changes, --state-dir, --report`);
  }
  return run;
}

async function main(): Promise<number> {
  let run: ReturnType<typeof parseArgs> | undefined;
  try {
    run = parseArgs(process.argv.slice(2));
    const report = await runEngine(run);
    if (run.report) fs.writeFileSync(run.report, JSON.stringify(report, null, 2));
    const mandatory = report.policyViolations.filter((v) => v.level === "mandatory").length;
    process.stdout.write(
      `\nengine: ${run.operation} of ${run.stack} ${report.ok ? "succeeded" : "FAILED"} in ${report.seconds.toFixed(1)} s; ` +
        `changes ${JSON.stringify(report.changes)}; policy violations: ${mandatory} mandatory, ${report.policyViolations.length - mandatory} advisory\n`,
    );
    return report.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`engine: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) {
  main().then((code) => process.exit(code));
}
