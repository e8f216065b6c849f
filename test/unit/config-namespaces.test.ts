import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { configFromRuntime, configFromStackFile, offlineProblems, validateConfig } from "../../stacks/config";
import { ROOT } from "../harness";

// A key under a mistyped project prefix must stop the run, not vanish: both readers (the
// program's, from the runtime, and config:check's, from the stack file) give the same line.

const MISTYPED = "blackLake:postgres";
const LINE = `${MISTYPED}: found a key of namespace "blackLake"; expected the project's namespace blacklake: (or a provider's: aws:, kubernetes:, docker:, random:, pulumi:)`;

function stackFileWith(extra: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "blacklake-ns-"));
  const file = path.join(dir, "Pulumi.prod.yaml");
  fs.writeFileSync(file, `${fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")}${extra}`);
  return file;
}

describe("config namespaces", () => {
  it("config:check's reader refuses a mistyped project prefix", () => {
    const problems = offlineProblems(configFromStackFile(stackFileWith(`  ${MISTYPED}:\n    instances: 3\n`)));
    expect(problems).toEqual([LINE]);
  });

  it("the program's reader refuses it with the same line", () => {
    const result = validateConfig(configFromRuntime({ "blacklake:environment": "dev", [MISTYPED]: JSON.stringify({ instances: 3 }) }));
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems).toContain(LINE);
  });

  it("providers' and Pulumi's own keys are theirs, not problems", () => {
    const raw = configFromStackFile(stackFileWith("  aws:region: eu-west-1\n  kubernetes:context: prod\n  pulumi:tags:\n    team: platform\n"));
    expect(raw.foreignKeys).toEqual([]);
    expect(offlineProblems(raw)).toEqual([]);
  });
});
