import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { configReference } from "../../scripts/docs/config";
import type { CapturedResource } from "../../scripts/synth/mockRuntime";
import { podTemplateOf, ROOT, runStack, type StackName } from "../harness";

// docs/operations.md must stay true to the code. Every command of its ```bash blocks is
// extracted; every kubectl command is checked against the objects declared by the stack
// whose namespace it names (-n blacklake: prod, -n blacklake-staging: staging), every
// `pulumi config` key against the config schema, every URN given to `pulumi up
// --replace` against the resources the stack registers.
// Over 300 lines because it checks every kind of command the guide gives (kubectl, pulumi
// config, URNs, scripts) against the stacks.

const DOC = "docs/operations.md";

/** What one stack declares, as the checker needs it. */
export interface StackView {
  stack: StackName;
  namespace: string;
  /** Kubernetes objects by `Kind/name`. */
  objects: Map<string, CapturedResource>;
  urns: Set<string>;
}

export interface World {
  stacks: StackView[];
  /** Config paths as docs/config.md lists them (`postgres.backups.pgbackrest.repos[].name`). */
  configKeys: string[];
  /** Pods the guide creates itself, and the `Kind/name` whose pod template they copy. */
  adHocPods: Record<string, string>;
}

const KINDS: Record<string, string> = Object.fromEntries(
  (
    [
      ["Pod", "pod", "pods", "po"],
      ["StatefulSet", "statefulset", "statefulsets", "sts"],
      ["Deployment", "deployment", "deployments", "deploy"],
      ["CronJob", "cronjob", "cronjobs", "cj"],
      ["Job", "job", "jobs"],
      ["Service", "service", "services", "svc"],
      ["Secret", "secret", "secrets"],
      ["ConfigMap", "configmap", "configmaps", "cm"],
      ["PersistentVolumeClaim", "persistentvolumeclaim", "persistentvolumeclaims", "pvc"],
      ["HorizontalPodAutoscaler", "horizontalpodautoscaler", "horizontalpodautoscalers", "hpa"],
      ["PodDisruptionBudget", "poddisruptionbudget", "poddisruptionbudgets", "pdb"],
      ["NetworkPolicy", "networkpolicy", "networkpolicies", "netpol"],
      ["ServiceAccount", "serviceaccount", "serviceaccounts", "sa"],
      ["Namespace", "namespace", "namespaces", "ns"],
    ] as const
  ).flatMap(([kind, ...aliases]) => aliases.map((alias) => [alias, kind])),
);
/** Kinds operators look at that the stack does not declare: their names are not checked. */
const AMBIENT_KINDS = new Set(["event", "events", "node", "nodes", "storageclass", "storageclasses", "endpoints", "replicaset", "replicasets"]);
/** kubectl flags that take a value (`-f` does too, except for `logs`, where it means follow). */
const KUBECTL_VALUE_FLAGS = new Set([
  "-n",
  "--namespace",
  "-c",
  "--container",
  "-o",
  "--output",
  "-l",
  "--selector",
  "-p",
  "--patch",
  "-f",
  "--filename",
  "--type",
  "--replicas",
  "--timeout",
  "--for",
  "--tail",
  "--from",
  "--sort-by",
  "--field-selector",
  "--cascade",
  "--since",
]);
const PULUMI_VALUE_FLAGS = new Set(["-s", "--stack", "--replace", "--target", "--config-file"]);
/** pulumi commands that act on one stack and must say which. */
const STACK_COMMANDS = new Set(["up", "preview", "refresh", "config", "destroy", "history"]);

// --- reading the document ---------------------------------------------------------------

/** Quote state at the end of `text`: an open ' or ", or undefined. */
function openQuote(text: string): string | undefined {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'" ? c === "'" : quote === '"' ? c === '"' && text[i - 1] !== "\\" : false) quote = undefined;
    else if (!quote && (c === "'" || c === '"') && text[i - 1] !== "\\") quote = c;
  }
  return quote;
}

/** The text before an unquoted ` #` comment. */
function withoutComment(line: string): string {
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "#" && (i === 0 || /\s/.test(line[i - 1]!)) && !openQuote(line.slice(0, i))) return line.slice(0, i);
  }
  return line;
}

/**
 * Every shell command of the document's ```bash blocks: continuation lines joined, quotes
 * spanning lines kept together, comments and here-document bodies dropped.
 */
export function bashCommands(markdown: string): { commands: string[]; emptyBlocks: number } {
  const commands: string[] = [];
  let emptyBlocks = 0;
  // Fences may be indented under a list item; their lines carry the same indentation.
  for (const fence of markdown.matchAll(/^([ \t]*)```bash\n([\s\S]*?)^\1```/gm)) {
    // Both groups are mandatory: every match has them.
    const indent = fence[1]!;
    const body = fence[2]!;
    const before = commands.length;
    let pending = "";
    let heredocEnd: string | undefined;
    for (const line of body.split("\n").map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))) {
      if (heredocEnd) {
        if (line.trim() === heredocEnd) heredocEnd = undefined;
        continue;
      }
      const text = pending ? `${pending}\n${line}` : line;
      if (openQuote(text)) {
        pending = text;
        continue;
      }
      const code = withoutComment(text).trimEnd();
      if (code.endsWith("\\")) {
        pending = code.slice(0, -1);
        continue;
      }
      if (/(\||&&)$/.test(code)) {
        pending = code;
        continue;
      }
      pending = "";
      const command = code.replace(/\s*\n\s*/g, " ").trim();
      heredocEnd = /<<-?\s*['"]?(\w+)['"]?/.exec(command)?.[1];
      if (command) commands.push(command);
    }
    if (commands.length === before) emptyBlocks++;
  }
  return { commands, emptyBlocks };
}

/**
 * The words of every invocation of `program` in a command line (also inside `$(...)`,
 * pipes and `&&` chains), up to the end of that simple command; quotes removed.
 */
export function invocations(command: string, program: string): string[][] {
  const found: string[][] = [];
  for (const match of command.matchAll(new RegExp(`(^|[\\s;|&({])${program}(?=\\s)`, "g"))) {
    if (openQuote(command.slice(0, match.index)) === "'") continue; // inside a quoted script
    const words: string[] = [];
    let word: string | undefined;
    let quote: string | undefined;
    let depth = 0;
    for (const c of command.slice(match.index + match[0].length)) {
      if (quote) {
        if (c === quote) quote = undefined;
        else word = (word ?? "") + c;
        continue;
      }
      if (c === "'" || c === '"') {
        quote = c;
        word = word ?? "";
      } else if (/\s/.test(c)) {
        if (word !== undefined) words.push(word);
        word = undefined;
      } else if (c === "(") {
        depth++;
        word = (word ?? "") + c;
      } else if (c === ")" && depth > 0) {
        depth--;
        word = (word ?? "") + c;
      } else if (";|&)".includes(c)) {
        break;
      } else {
        word = (word ?? "") + c;
      }
    }
    if (word !== undefined) words.push(word);
    found.push(words);
  }
  return found;
}

/** Flags (by name, last value wins, repeated ones collected) and positional words, up to `--`. */
function parseArgs(words: string[], valueFlags: Set<string>, booleanFor?: (flag: string, positional: string[]) => boolean) {
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === "--") break;
    const eq = /^(--?[\w-]+)=(.*)$/s.exec(w);
    if (eq) flags.set(eq[1]!, [...(flags.get(eq[1]!) ?? []), eq[2]!]);
    else if (w.startsWith("-") && w.length > 1) {
      const takesValue = valueFlags.has(w) && !booleanFor?.(w, positional);
      flags.set(w, [...(flags.get(w) ?? []), takesValue ? (words[++i] ?? "") : "true"]);
    } else positional.push(w);
  }
  const flag = (...names: string[]) => names.flatMap((n) => flags.get(n) ?? []).at(-1);
  const all = (...names: string[]) => names.flatMap((n) => flags.get(n) ?? []);
  return { flag, all, positional, has: (name: string) => flags.has(name) };
}

// --- the checker ----------------------------------------------------------------------------

const isVariable = (name: string) => name.includes("$");
const isPlaceholder = (name: string) => /[<>]/.test(name);

type PodSpec = { containers?: { name: string; ports?: { containerPort: number }[] }[] };
const podTemplate = (object: CapturedResource): PodSpec | undefined => podTemplateOf(object)?.spec;

/** The object a `Kind/name` names in a stack; for pods and claims, the StatefulSet (or template) they come from. */
function resolve(view: StackView, world: World, kind: string, name: string): CapturedResource | undefined {
  if (kind === "Pod" || kind === "PersistentVolumeClaim") {
    if (kind === "Pod" && world.adHocPods[name]) return view.objects.get(world.adHocPods[name]);
    for (const [key, set] of view.objects) {
      if (!key.startsWith("StatefulSet/")) continue;
      const setName = key.slice("StatefulSet/".length);
      const claims = ((set.inputs.spec as any)?.volumeClaimTemplates ?? []).map((c: any) => `${c.metadata.name}-`);
      for (const prefix of kind === "Pod" ? [""] : claims) {
        const ordinal = new RegExp(`^${prefix}${setName}-(\\d+)$`).exec(name)?.[1];
        if (ordinal !== undefined && Number(ordinal) < Number((set.inputs.spec as any)?.replicas ?? 1)) return set;
      }
    }
    return undefined;
  }
  return view.objects.get(`${kind}/${name}`);
}

/** kubectl verbs whose first argument is the one pod (or workload, or Service) they act on. */
const ACTS_ON_ONE = new Set(["exec", "logs", "attach", "port-forward"]);

/** What a kubectl command names, as [kind alias, name?]; for ACTS_ON_ONE verbs the first is what it acts on. */
function namedObjects(verb: string, args: string[], from?: string): [string, string | undefined][] {
  const slashed = (w: string): [string, string] => [w.slice(0, w.indexOf("/")), w.slice(w.indexOf("/") + 1)];
  const refs: [string, string | undefined][] = [];
  if (ACTS_ON_ONE.has(verb)) {
    if (args[0]) refs.push(args[0].includes("/") ? slashed(args[0]) : ["pod", args[0]]);
  } else if (!["create", "apply", "run"].includes(verb)) {
    const objectArgs = verb === "rollout" || verb === "top" ? args.slice(1) : args; // rollout restart ..., top pods
    const [first, ...rest] = objectArgs;
    if (first?.includes("/")) refs.push(...objectArgs.filter((a) => a.includes("/")).map(slashed));
    else if (first) {
      const names = rest.filter((a) => !a.includes("=")); // label and annotate take key=value
      for (const kind of first.split(",")) {
        if (names.length && !first.includes(",")) refs.push(...names.map((n): [string, string] => [kind, n]));
        else refs.push([kind, undefined]);
      }
    }
  }
  if (from) refs.push(from.includes("/") ? slashed(from) : [from, undefined]);
  return refs;
}

/** Every problem of the document, one line each, naming the command and what is wrong. */
export function operationsDocProblems(markdown: string, world: World): string[] {
  const problems: string[] = [];
  const { commands, emptyBlocks } = bashCommands(markdown);
  if (emptyBlocks > 0) problems.push(`${emptyBlocks} \`\`\`bash block(s) hold no command`);
  const namespaces = world.stacks.map((s) => s.namespace).join(", ");

  for (const command of commands) {
    const problem = (what: string) => problems.push(`\`${command}\`: ${what}`);

    for (const words of invocations(command, "kubectl")) {
      const k = parseArgs(words, KUBECTL_VALUE_FLAGS, (f, pos) => f === "-f" && pos[0] === "logs");
      const namespace = k.flag("-n", "--namespace");
      if (!namespace) {
        problem("kubectl without -n <namespace>");
        continue;
      }
      const view = world.stacks.find((s) => s.namespace === namespace);
      if (!view) {
        problem(`namespace ${namespace} is no stack's namespace (${namespaces})`);
        continue;
      }
      const [verb = "", ...args] = k.positional; // a bare `kubectl -n <namespace>`: no verb, so nothing named
      const refs = namedObjects(verb, args, k.flag("--from"));
      const objects = refs.map(([alias, name]) => {
        if (AMBIENT_KINDS.has(alias)) return undefined;
        const kind = KINDS[alias];
        if (!kind) return void problem(`unknown kind "${alias}"`);
        if (name === undefined || isVariable(name)) return undefined;
        if (isPlaceholder(name)) return void problem(`${alias}/${name} is a placeholder, not a name`);
        const found = resolve(view, world, kind, name);
        if (!found) problem(`${alias}/${name} does not exist in the ${view.stack} stack (namespace ${namespace})`);
        return found;
      });
      const target = ACTS_ON_ONE.has(verb) ? objects[0] : undefined;

      const container = k.flag("-c", "--container");
      if (container && target) {
        const names = (podTemplate(target)?.containers ?? []).map((c) => c.name);
        if (!names.includes(container)) problem(`-c ${container}: ${refs[0]!.join("/")} has containers ${names.join(", ")}`);
      }
      if (verb === "port-forward" && target) {
        const ports = target.type.endsWith(":Service")
          ? ((target.inputs.spec as any)?.ports ?? []).map((p: any) => Number(p.port))
          : (podTemplate(target)?.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => Number(p.containerPort)));
        for (const spec of args.slice(1)) {
          const remote = Number(spec.split(":").at(-1));
          if (!ports.includes(remote)) problem(`port ${remote} is not a port of ${refs[0]!.join("/")} (${ports.join(", ")})`);
        }
      }
      const output = k.flag("-o", "--output") ?? "";
      const secret = objects.find((o) => o?.type.endsWith(":Secret"));
      if (secret && output.startsWith("jsonpath")) {
        const keys = Object.keys({ ...(secret.inputs.data as object), ...(secret.inputs.stringData as object) });
        for (const m of output.matchAll(/\{\.data\.((?:\\\.|[^}])+)\}/g)) {
          const key = m[1]!.replace(/\\\./g, ".");
          if (!keys.includes(key)) problem(`Secret ${secret.name} has no key ${key} (it has ${keys.join(", ")})`);
        }
      }
    }

    for (const words of invocations(command, "pulumi")) {
      const p = parseArgs(words, PULUMI_VALUE_FLAGS);
      const [sub, action] = p.positional;
      const stack = p.flag("-s", "--stack");
      const stackCommand = (word: string | undefined) => word !== undefined && STACK_COMMANDS.has(word);
      if ((stackCommand(sub) || (sub === "stack" && stackCommand(action))) && !stack) problem(`pulumi ${sub} without --stack`);
      for (const urn of p.all("--replace", "--target")) {
        const urnStack = /^urn:pulumi:([^:]+)::/.exec(urn)?.[1];
        const view = world.stacks.find((s) => s.stack === urnStack);
        if (urnStack !== stack) problem(`URN of stack ${urnStack} given to --stack ${stack}`);
        else if (!view) problem(`${urn}: the checker knows no stack ${urnStack}`);
        else if (!view.urns.has(urn)) problem(`${urn} is not a resource of the ${urnStack} stack`);
      }
      if (sub === "config") {
        for (const key of p.positional.filter((w) => w.startsWith("blacklake:"))) {
          const keyPath = key.slice("blacklake:".length);
          if (/[.[]/.test(keyPath) && !p.has("--path")) problem(`${key} is a nested key: it needs --path`);
          const schemaPath = keyPath.replace(/\[\d+\]/g, "[]");
          const known = world.configKeys.some((c) => c === schemaPath || c.startsWith(`${schemaPath}.`) || c.startsWith(`${schemaPath}[]`));
          if (!known) problem(`${key} is not a key of the config schema`);
        }
      }
    }
  }
  return problems;
}

// --- the world: what prod and staging declare ----------------------------------------------------

async function stackView(stack: StackName): Promise<StackView> {
  const run = await runStack(stack);
  const objects = new Map<string, CapturedResource>();
  for (const r of run.kubernetesObjects()) {
    const name = (r.inputs.metadata as { name?: string } | undefined)?.name;
    if (name) objects.set(`${r.type.split(":").at(-1)}/${name}`, r);
  }
  const namespace = [...objects.keys()].find((k) => k.startsWith("Namespace/"))?.slice("Namespace/".length);
  if (!namespace) throw new Error(`${stack}: no Namespace object`);
  return { stack, namespace, objects, urns: new Set(run.resources.map((r) => r.urn)) };
}

/** The config paths of docs/config.md's table, generated from the schema. */
function schemaConfigKeys(): string[] {
  return [...configReference().matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);
}

describe(DOC, () => {
  let world: World;
  const markdown = fs.readFileSync(path.join(ROOT, DOC), "utf8");
  const fence = (...lines: string[]) => ["```bash", ...lines, "```", ""].join("\n");

  beforeAll(async () => {
    world = {
      stacks: [await stackView("prod"), await stackView("staging")],
      configKeys: schemaConfigKeys(),
      // The restore procedure runs pgBackRest in a pod made from the restore drill's template.
      adHocPods: { "postgres-restore": "CronJob/postgres-restore-drill" },
    };
  });

  it("names the namespaces the checker maps to stacks", () => {
    expect(world.stacks.map((s) => [s.stack, s.namespace])).toEqual([
      ["prod", "blacklake"],
      ["staging", "blacklake-staging"],
    ]);
  });

  it("has commands for both stacks, every kubectl command naming a namespace", () => {
    const { commands } = bashCommands(markdown);
    const kubectl = commands.flatMap((c) => invocations(c, "kubectl"));
    expect(commands.length).toBeGreaterThan(100);
    expect(kubectl.filter((w) => w.includes("blacklake")).length).toBeGreaterThan(50);
    expect(kubectl.filter((w) => w.includes("blacklake-staging")).length).toBeGreaterThan(10);
  });

  it("every command is true to what the stacks declare", () => {
    expect(operationsDocProblems(markdown, world)).toEqual([]);
  });

  it("links only to files and headings that exist", () => {
    // GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes.
    const anchors = (md: string) =>
      [...md.matchAll(/^#+ (.*)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, "")
          .replace(/ /g, "-"),
      );
    const broken = [...markdown.matchAll(/\]\(([^)#\s]*)(?:#([^)]*))?\)/g)].flatMap(([link, file, anchor]) => {
      const target = file ? path.join(ROOT, "docs", file) : path.join(ROOT, DOC);
      if (!fs.existsSync(target)) return [link];
      return anchor && !anchors(fs.readFileSync(target, "utf8")).includes(anchor) ? [link] : [];
    });
    expect(broken).toEqual([]);
  });

  it.each([
    ["kubectl -n blacklake rollout restart statefulset/nosuch", "statefulset/nosuch does not exist in the prod stack"],
    ["kubectl -n blacklake rollout restart statefulset nosuch", "statefulset/nosuch does not exist"],
    ["kubectl get pods", "without -n"],
    ["kubectl -n blacklake-dev get pods", "namespace blacklake-dev is no stack's namespace"],
    ["kubectl -n blacklake exec postgres-3 -c postgres -- true", "pod/postgres-3 does not exist"],
    ["kubectl -n blacklake-staging exec redis-0 -c sentinel -- redis-cli -p 26379 PING", "-c sentinel"],
    ["kubectl -n blacklake-staging create job --from=cronjob/postgres-backup-repo2-full x", "cronjob/postgres-backup-repo2-full does not exist in the staging stack"],
    ["X=$(kubectl -n blacklake get secret postgres-app -o jsonpath='{.data.pasword}' | base64 -d)", "has no key pasword"],
    ["kubectl -n blacklake port-forward svc/prometheus 9091:9091", "port 9091"],
    ["kubectl -n blacklake patch pvc data-postgres-4 -p '{}'", "pvc/data-postgres-4"],
    ["kubectl -n blacklake rollout restart deployment/<name>", "placeholder"],
    ["pulumi config set --stack prod --path 'blacklake:postgres.replicas' 3", "blacklake:postgres.replicas is not a key"],
    ["pulumi config set --stack prod 'blacklake:postgres.instances' 3", "needs --path"],
    ["pulumi preview --diff", "without --stack"],
    [
      "pulumi up --stack prod --replace 'urn:pulumi:prod::blacklake::blacklake:postgres:PostgresCluster$random:index/randomPassword:RandomPassword::postgres-nosuch'",
      "postgres-nosuch is not a resource of the prod stack",
    ],
  ])("the checker catches %s", (command, expected) => {
    const problems = operationsDocProblems(fence(command), world);
    expect(problems.join("\n")).toContain(expected);
    expect(problems.every((p) => p.includes(command))).toBe(true);
  });

  it("the checker reads fences indented under a list item", () => {
    const problems = operationsDocProblems(["1. Restart:", "   ```bash", "   kubectl -n blacklake rollout restart statefulset/nosuch", "   ```", ""].join("\n"), world);
    expect(problems).toEqual(["`kubectl -n blacklake rollout restart statefulset/nosuch`: statefulset/nosuch does not exist in the prod stack (namespace blacklake)"]);
  });

  it("the checker passes commands that are right, in every form it reads", () => {
    const problems = operationsDocProblems(
      fence(
        "kubectl -n blacklake exec postgres-2 -c postgres -- psql -U postgres -c 'SELECT 1'   # a comment",
        "kubectl -n blacklake-staging logs deployment/api -c api --tail=20 \\",
        "  --since=1h",
        "kubectl -n blacklake get secret minio-consumers -o jsonpath='{.data.user\\.api\\.secret-key}'",
        "kubectl -n blacklake delete pod minio-0 minio-3",
        "kubectl -n blacklake get pods,pvc -l app.kubernetes.io/name=postgres",
        "kubectl -n blacklake exec -i postgres-0 -c postgres -- psql -U postgres <<'SQL'",
        "kubectl -n nosuch this line is a here-document body",
        "SQL",
      ),
      world,
    );
    expect(problems).toEqual([]);
  });
});
