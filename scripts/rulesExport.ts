import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { configFromStackFile, offlineProblems, platformConfigSchema } from "../stacks/config";
import { alertmanagerConfigFiles } from "../components/monitoring/files";
import { runUnderMocks } from "./synth/mockRuntime";
import { synthTree } from "./synth/render";

// npm run rules:export -- --stack <name> --out <dir>
// Writes what the monitoring stack of <name> loads: prometheus.yml, every rule file,
// alertmanager.yml and the Grafana dashboards, exactly as the program renders them, so
// they can be checked with promtool/amtool or reviewed. Encrypted receiver URLs cannot be
// read offline and appear as "[secret]".

function usage(message: string): never {
  console.error(`rules:export: ${message}\nusage: npm run rules:export -- --stack <dev|staging|prod> --out <dir>`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { stack: { type: "string" }, out: { type: "string" } } });
  if (!values.stack) usage("--stack is required");
  if (!values.out) usage("--out is required");
  const file = `Pulumi.${values.stack}.yaml`;
  if (!fs.existsSync(file)) usage(`${file} does not exist`);
  const raw = configFromStackFile(file);
  const problems = offlineProblems(raw);
  if (problems.length) {
    console.error(`${file}: invalid configuration\n${problems.join("\n")}`);
    process.exit(1);
  }
  const tree = synthTree((await runUnderMocks(values.stack, raw)).resources);
  const wanted: Record<string, string> = { "prometheus-config": "prometheus", "prometheus-rules": "prometheus/rules", "grafana-dashboards": "grafana/dashboards" };
  const written: string[] = [];
  const write = (relative: string, content: string) => {
    const target = path.join(values.out!, relative);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
    written.push(relative);
  };
  for (const [p, content] of tree) {
    const [, configMap = "", file] = /^files\/[^/]+\/([^/]+)\/(.+)$/.exec(p) ?? [];
    const folder = wanted[configMap];
    if (folder && file) write(`${folder}/${file}`, content);
  }
  const { monitoring } = platformConfigSchema.parse(raw.values);
  write("alertmanager/alertmanager.yml", alertmanagerConfigFiles(monitoring)["alertmanager.yml"]);
  console.log(`rules:export: ${values.stack}: ${written.length} files -> ${values.out}`);
}

main().catch((error) => {
  console.error(`rules:export: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
