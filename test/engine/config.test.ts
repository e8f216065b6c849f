import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { DEV_PASSPHRASE } from "../../scripts/engine/pulumi";
import { configFromRuntime, configFromStackFile } from "../../stacks/config";
import { ROOT } from "../harness";
import { engineView, writeBadStackFiles } from "../unit/badConfigs";
import { checkpoint, engine, pulumiCli } from "./support";

// A bad config under the real engine: the same problem lines as the offline
// `config:check`, no stack trace, and nothing created.

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "blacklake-engine-config-"));
afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

// Two problems in two sections: a count out of range, and more memory than the limit allows.
const BAD_SET = { "postgres.instances": "0", "redis.maxmemory": "4gb" };

function configCheckLines(): string[] {
  const doc = parseDocument(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8"));
  doc.setIn(["config", "blacklake:postgres", "instances"], 0);
  doc.setIn(["config", "blacklake:redis", "maxmemory"], BAD_SET["redis.maxmemory"]);
  const file = path.join(stateDir, "Pulumi.dev.yaml");
  fs.writeFileSync(file, doc.toString());
  const checked = spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), ["scripts/configCheck.ts", file], { cwd: ROOT, encoding: "utf8" });
  expect(checked.status).toBe(1);
  return checked.stderr.trim().split("\n").slice(1); // without the "<file>: N problems" header
}

describe("a bad config under the real engine", () => {
  it("prints config:check's problem lines, no stack trace, and creates nothing", () => {
    const lines = configCheckLines();
    expect(lines).toHaveLength(2);
    expect(lines.join("\n")).toMatch(/^postgres\.instances: found 0; expected/m);
    expect(lines.join("\n")).toMatch(/^redis\.maxmemory: found "4gb"; expected/m);

    const up = engine("up", "dev", { stateDir, set: { ...BAD_SET, "kubernetes.renderYamlToDirectory": path.join(stateDir, "manifests") } });
    expect(up.status).not.toBe(0);
    for (const line of lines) expect(up.output).toContain(line);
    expect(up.output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(up.output).not.toMatch(/unhandled exception|TypeError|ZodError/i);
    expect(checkpoint(stateDir, "dev").resources.filter((r) => !r.type.startsWith("pulumi:"))).toEqual([]);
    expect(fs.existsSync(path.join(stateDir, "manifests"))).toBe(false);
  });
});

describe("the engine's reading of a stack file", () => {
  // config:check reads a stack file itself (stacks/config/stackYaml.ts), and the unit tier
  // feeds the program what it models the engine to hand over (engineView). Here the real
  // CLI reads the same files: the program's reading of what the CLI hands over must equal
  // both. The files: every bad-config case's, and one of scalars that YAML readers resolve
  // differently (go-yaml's octal, binary, underscores and timestamps, empty keys).
  const ODD_SCALARS = [
    "config:",
    ...[
      "0x1F",
      "0o17",
      "0b101",
      "1_000",
      "017",
      "09",
      "yes",
      "True",
      "~",
      "",
      "1e3",
      "+12",
      "-0",
      "1:20",
      '"0012"',
      "2026-01-01",
      "2026-1-2T3:04:05.250Z",
      "2026-01-01T10:20:30.5+02:00",
      "2026-13-01",
    ].map((v, i) => `  blacklake:scalar${i}: ${v}`),
    "  blacklake:nested:",
    ...["0x1F", "017", "yes", "1_000", "~", "1e3", "2026-01-01T10:20:30Z", "'2026-01-01'", "12345678901234567890", "0b101"].map((v, i) => `    key${i}: ${v}`),
    "",
  ].join("\n");

  it("is config:check's reading and the unit tier's model of it, for every bad-config file and odd scalars", () => {
    const dir = fs.mkdtempSync(path.join(stateDir, "bad-"));
    const cases = writeBadStackFiles(dir);
    const odd = path.join(dir, "Pulumi.odd-scalars.yaml");
    fs.writeFileSync(odd, ODD_SCALARS);
    const files = [...cases.map((c) => ({ name: c.name, file: c.file })), { name: "odd scalars", file: odd }];
    expect(files.length).toBeGreaterThanOrEqual(71);
    // A selected stack for `pulumi config` (the first test created dev's on this backend).
    expect(checkpoint(stateDir, "dev").text).toContain("checkpoint");
    for (const { name, file } of files) {
      const read = pulumiCli(stateDir, "dev", ["config", "--json", "--config-file", file], DEV_PASSPHRASE);
      expect(read.status, `${name}: ${read.stderr}`).toBe(0);
      const byCli = JSON.parse(read.stdout) as Record<string, { value: string }>;
      const program = configFromRuntime(Object.fromEntries(Object.entries(byCli).map(([key, v]) => [key, v.value]))).values;
      expect(configFromStackFile(file).values, `config:check's reading of ${name}`).toEqual(program);
      const modelled = Object.fromEntries(Object.entries(engineView(file)).map(([key, text]) => [`blacklake:${key}`, text]));
      expect(configFromRuntime(modelled).values, `the unit tier's model of ${name}`).toEqual(program);
    }
  }, 300_000);

  // The program refuses a credential in plain text; the runtime marks a top-level key
  // secret when any value under it is, so an encrypted one must pass.
  const smtp = { "monitoring.smtp.smarthost": "smtp.example.com:587", "monitoring.smtp.from": "alerts@example.com" };
  const plainTextLine =
    "monitoring.smtp.authPassword: found a plain-text value; expected a secret, as it carries a credential: pulumi config set --secret --path 'blacklake:monitoring.smtp.authPassword' <value>";

  it("refuses the SMTP password in plain text, with config:check's line", () => {
    const preview = engine("preview", "dev", { stateDir, set: { ...smtp, "monitoring.smtp.authPassword": "hunter2" } });
    expect(preview.status).not.toBe(0);
    expect(preview.output).toContain(plainTextLine);
    expect(preview.output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  });

  it("accepts it set with --secret", () => {
    const preview = engine("preview", "dev", { stateDir, set: smtp, secret: { "monitoring.smtp.authPassword": "hunter2" } });
    expect(preview.output).not.toContain("plain-text");
    expect(preview.status, preview.output).toBe(0);
    const stackFile = fs.readFileSync(path.join(stateDir, "workspaces/dev/Pulumi.dev.yaml"), "utf8");
    expect(stackFile).toMatch(/authPassword:\s+secure: /);
    expect(stackFile).not.toContain("hunter2");
  });
});
