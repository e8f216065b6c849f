import type { CapturedResource } from "../../scripts/synth/mockRuntime";
import { parseQuantity } from "../../components/lib/quantity";
import { configReference } from "../../scripts/docs/config";
import { podTemplateOf, runStack, type StackName } from "./index";

// The checker of the commands our docs give (docs/operations.md, docs/runbooks): every
// command of their ```bash and ```sh blocks is extracted, shell variables the document
// sets to a literal (NS=blacklake) are substituted, and every kubectl command is checked
// against the objects declared by the stack whose namespace it names (-n blacklake: prod,
// -n blacklake-staging: staging), every `pulumi config` key against the config schema,
// every URN given to `pulumi up --replace` against the resources the stack registers.
// Over 300 lines because it checks every kind of command the guides give (kubectl, pulumi
// config, URNs, scripts) against the stacks.

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
  /** Namespaces of what the platform needs but does not declare (cert-manager, the ingress controller): names there are not checked. */
  foreignNamespaces?: string[];
}

/**
 * The commands with the shell variables the document sets to a literal substituted:
 * after `NS=blacklake`, `kubectl -n $NS` names the namespace. A variable set from a
 * command's output (`POD=$(kubectl ...)`) stays a variable, which the checker skips.
 * Aliases are expanded where a command starts (`alias k="kubectl -n $NS"`; the alias
 * line itself becomes empty).
 */
export function withLiteralVariables(commands: string[]): string[] {
  const values = new Map<string, string>();
  const aliases = new Map<string, string>();
  return commands.map((command) => {
    let substituted = command.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, name: string) => values.get(name) ?? whole);
    // `alias k="kubectl --namespace $NS"`: what follows runs `k exec ...` as that kubectl.
    const alias = /^alias ([A-Za-z_][\w-]*)=(?:"([^"]*)"|'([^']*)')$/.exec(substituted);
    if (alias) {
      aliases.set(alias[1]!, alias[2] ?? alias[3] ?? "");
      return "";
    }
    for (const [name, value] of aliases) substituted = substituted.replace(new RegExp(`(^|[|;&(]\\s*)${name}(?=\\s)`, "g"), (_, before: string) => `${before}${value}`);
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"$`]*)"|'([^']*)'|([^\s"'$`;|&()]+))$/.exec(substituted);
    if (assignment) values.set(assignment[1]!, assignment[2] ?? assignment[3] ?? assignment[4] ?? "");
    else {
      const dynamic = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(substituted);
      if (dynamic) values.delete(dynamic[1]!);
    }
    return substituted;
  });
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
      ["Certificate", "certificate", "certificates", "cert", "certs"],
      ["Ingress", "ingress", "ingresses", "ing"],
    ] as const
  ).flatMap(([kind, ...aliases]) => aliases.map((alias) => [alias, kind])),
);
/** Kinds operators look at that the stack does not declare: their names are not checked. */
const AMBIENT_KINDS = new Set([
  ...["event", "events", "node", "nodes", "storageclass", "storageclasses", "endpoints", "replicaset", "replicasets"],
  // cert-manager makes these for a Certificate, under names of its own.
  ...["certificaterequest", "certificaterequests", "order", "orders", "challenge", "challenges"],
]);
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
 * Every shell command of the document's ```bash and ```sh blocks: continuation lines joined, quotes
 * spanning lines kept together, comments and here-document bodies dropped.
 */
export function bashCommands(markdown: string): { commands: string[]; emptyBlocks: number } {
  const commands: string[] = [];
  let emptyBlocks = 0;
  // Fences may be indented under a list item; their lines carry the same indentation.
  for (const fence of markdown.matchAll(/^([ \t]*)```(?:bash|sh)\n([\s\S]*?)^\1```/gm)) {
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
      // A quote in a comment ("the alert's pod") opens nothing: look at the code only.
      if (openQuote(withoutComment(text))) {
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
  const declared = view.objects.get(`${kind}/${name}`);
  if (declared || kind !== "Secret") return declared;
  // A Secret cert-manager writes for a Certificate the stack declares.
  return [...view.objects.values()].find((o) => o.type.endsWith(":Certificate") && (o.inputs.spec as { secretName?: string } | undefined)?.secretName === name);
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
    const objectArgs = verb === "rollout" ? args.slice(1) : args; // rollout restart ...; top pod <name> names a kind first, like get
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
  const { commands: written, emptyBlocks } = bashCommands(markdown);
  const commands = withLiteralVariables(written).filter(Boolean);
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
      if (world.foreignNamespaces?.includes(namespace)) continue;
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
      // A claim can only grow: a size given to `patch pvc` must be above the declared one.
      // Read from the command's text: the patch is JSON in shell quotes, often escaped (\"storage\":\"300Gi\").
      const newSize = /storage\\*"?\s*:\s*\\*"?([0-9]+[KMGTP]i)/.exec(command)?.[1];
      if (verb === "patch" && ["pvc", "persistentvolumeclaim", "persistentvolumeclaims"].includes(refs[0]?.[0] ?? "") && newSize && objects[0]) {
        const claim = ((objects[0].inputs.spec as any)?.volumeClaimTemplates ?? []).find((c: any) => refs[0]![1]!.startsWith(`${c.metadata.name}-`));
        const declared = claim?.spec?.resources?.requests?.storage as string | undefined;
        if (declared && (parseQuantity(newSize) ?? 0) <= (parseQuantity(declared) ?? 0))
          problem(`${newSize} is not larger than ${refs[0]!.join("/")}'s ${declared}: a claim cannot shrink`);
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
          // An item of a list of scalars (generations[1]) is a key of the list's.
          const known = world.configKeys.some(
            (c) => c === schemaPath || c === schemaPath.replace(/\[\]$/, "") || c.startsWith(`${schemaPath}.`) || c.startsWith(`${schemaPath}[]`),
          );
          if (!known) problem(`${key} is not a key of the config schema`);
        }
      }
    }
  }
  return problems;
}

// --- the world: what prod and staging declare ----------------------------------------------------

export async function stackView(stack: StackName): Promise<StackView> {
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
export function schemaConfigKeys(): string[] {
  return [...configReference().matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);
}
