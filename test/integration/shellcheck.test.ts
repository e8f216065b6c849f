import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { type Registered, runLocal, runStack, STACKS } from "../harness";
import { ensureActionlintInstalled } from "./support/install";

// shellcheck over every shell script a stack renders, as the stack renders it (its program
// run under mocks): the script files in ConfigMaps and in the local stack's uploads, and
// every `sh -c` / `bash -c` body in a container's command and args, including the script
// a backup job hands to `kubectl exec ... bash -c`.

interface Script {
  where: string;
  shell: "sh" | "bash";
  text: string;
}

const SHELL = /(^|\/)(ba)?sh$/;
const shellOf = (program: string): "sh" | "bash" => (program.endsWith("bash") ? "bash" : "sh");

/** Every `<shell> -c <script>` in a list of words, with the shell that runs it. */
function inlineScripts(words: unknown[], where: string): Script[] {
  const found: Script[] = [];
  words.forEach((word, i) => {
    const program = words[i - 1];
    const script = words[i + 1];
    if (word === "-c" && typeof program === "string" && SHELL.test(program) && typeof script === "string") {
      found.push({ where: `${where} (${program} -c)`, shell: shellOf(program), text: script });
    }
  });
  return found;
}

/** Scripts inside any object: a container's command + args, and word lists anywhere (kubectl exec's). */
function scriptsIn(node: unknown, where: string): Script[] {
  if (Array.isArray(node)) return [...inlineScripts(node, where), ...node.flatMap((n) => scriptsIn(n, where))];
  if (node === null || typeof node !== "object") return [];
  const o = node as Record<string, unknown>;
  const own = Array.isArray(o.command) && Array.isArray(o.args) ? inlineScripts([...o.command, ...o.args], `${where} container ${String(o.name)}`) : [];
  const docker = Array.isArray(o.entrypoints) && Array.isArray(o.command) ? inlineScripts([...o.entrypoints, ...o.command], where) : [];
  return [...own, ...docker, ...Object.values(o).flatMap((v) => scriptsIn(v, where))];
}

/** A script file: its shell from the #! line (files without one are run by sh). */
const fileScript = (where: string, text: string): Script => ({ where, shell: /^#!.*bash/.test(text) ? "bash" : "sh", text });

function renderedScripts(run: Registered): Script[] {
  const scripts: Script[] = [];
  for (const r of run.resources.filter((x) => x.custom)) {
    const where = `${r.type.split(":").pop()} ${r.name}`;
    const data = (r.inputs as { data?: Record<string, string> }).data ?? {};
    if (r.type === "kubernetes:core/v1:ConfigMap") {
      for (const [key, text] of Object.entries(data)) if (key.endsWith(".sh")) scripts.push(fileScript(`${where} ${key}`, text));
    }
    for (const u of (r.inputs as { uploads?: { file: string; content?: string }[] }).uploads ?? []) {
      if (u.file.endsWith(".sh") && u.content) scripts.push(fileScript(`${where} ${u.file}`, u.content));
    }
    scripts.push(...scriptsIn(r.inputs, where));
  }
  return scripts;
}

function shellcheck(s: Script): string {
  const r = spawnSync("shellcheck", ["--shell", s.shell, "--format", "gcc", "-"], { input: s.text, encoding: "utf8" });
  if (r.error) throw r.error;
  return r.status === 0 ? "" : `${s.where}:\n${r.stdout}${r.stderr}`;
}

beforeAll(() => {
  ensureActionlintInstalled(); // brings Debian's shellcheck when it is missing
}, 600_000);

describe.each([...STACKS, "local"] as const)("the shell scripts the %s stack renders", (stack) => {
  let scripts: Script[];
  beforeAll(async () => {
    scripts = renderedScripts(stack === "local" ? await runLocal() : await runStack(stack));
  });

  it("are found: the script files and the inline -c bodies", () => {
    const files = scripts.filter((s) => / [^ ]+\.sh$/.test(s.where));
    expect(files.length, scripts.map((s) => s.where).join("\n")).toBeGreaterThanOrEqual(3);
    expect(scripts.length - files.length, "inline -c scripts").toBeGreaterThan(0);
  });

  it("pass shellcheck", () => {
    expect(scripts.map(shellcheck).filter(Boolean).join("\n")).toBe("");
  });
});

it("shellcheck fails a script with an unquoted expansion (the check can fail)", () => {
  expect(shellcheck({ where: "probe", shell: "sh", text: "rm -rf $DIR/x\n" })).toMatch(/SC2086/);
});
