import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { configFromStackFile, validateConfig } from "../../stacks/config";
import { type CapturedResource, runUnderMocks } from "./mockRuntime";
import { REDACTED, synthTree } from "./render";

// npm run synth -- --stack <name> --out <dir>
// Runs the real program under the mock runtime with Pulumi.<stack>.yaml and writes the
// synth tree. It never deletes a directory it did not write: an existing --out must be
// empty or hold a previous synth (inventory.json).

function usage(message: string): never {
  console.error(`synth: ${message}\nusage: npm run synth -- --stack <dev|staging|prod|local> --out <dir> [--config <Pulumi.<stack>.yaml>]`);
  process.exit(2);
}

type Upload = { file: string; content?: string };

/**
 * The local (Docker) stack's counterpart of manifests/ and files/: every container's
 * inputs as containers/<name>.json (environment values redacted: they carry passwords),
 * and every file uploaded into it as files/<container>/<path in the container>
 * (secret uploads redacted, like Secrets).
 */
function dockerTree(resources: CapturedResource[]): Map<string, string> {
  const tree = new Map<string, string>();
  for (const r of resources.filter((r) => r.type === "docker:index/container:Container")) {
    const name = String(r.inputs.name ?? r.name);
    const uploads = (r.inputs.uploads ?? []) as Upload[];
    const secretUpload = (i: number) => r.secretInputs.some((p) => p === "uploads" || p === `uploads.${i}` || p.startsWith(`uploads.${i}.`));
    const envs = ((r.inputs.envs ?? []) as string[]).map((e) => `${e.split("=")[0]}=${REDACTED}`);
    const inputs = { ...r.inputs, envs, uploads: uploads.map((u, i) => ({ ...u, content: secretUpload(i) ? REDACTED : `files/${name}${u.file}` })) };
    tree.set(`containers/${name}.json`, `${JSON.stringify(inputs, null, 2)}\n`);
    uploads.forEach((u, i) => {
      tree.set(`files/${name}${u.file}`, secretUpload(i) ? REDACTED : String(u.content ?? ""));
    });
  }
  return tree;
}

function prepareOutput(dir: string): void {
  if (fs.existsSync(dir)) {
    const entries = fs.readdirSync(dir);
    if (entries.length > 0 && !entries.includes("inventory.json")) {
      usage(`${dir} is not empty and holds no previous synth (inventory.json); refusing to overwrite it`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.mkdirSync(dir, { recursive: true });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { stack: { type: "string" }, out: { type: "string" }, config: { type: "string" } },
  });
  if (!values.stack) usage("--stack is required");
  if (!values.out) usage("--out is required");
  const configFile = values.config ?? `Pulumi.${values.stack}.yaml`;
  if (!fs.existsSync(configFile)) usage(`${configFile} does not exist`);

  const raw = configFromStackFile(configFile);
  const validation = validateConfig(raw);
  if (!validation.ok) {
    console.error(`${configFile}: invalid configuration\n${validation.problems.join("\n")}`);
    process.exit(1);
  }

  const { resources } = await runUnderMocks(values.stack, raw);
  const tree = synthTree(resources);
  for (const [relative, content] of dockerTree(resources)) tree.set(relative, content);
  prepareOutput(values.out);
  for (const [relative, content] of tree) {
    const file = path.join(values.out, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  const objects = [...tree.keys()].filter((k) => k.startsWith("manifests/")).length;
  const containers = [...tree.keys()].filter((k) => k.startsWith("containers/")).length;
  console.log(`synth: ${values.stack}: ${resources.length} resources, ${objects} Kubernetes objects${containers ? `, ${containers} Docker containers` : ""} -> ${values.out}`);
}

main().catch((error) => {
  console.error(`synth: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
