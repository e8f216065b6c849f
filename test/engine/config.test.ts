import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { ROOT } from "../harness";
import { checkpoint, engine } from "./support";

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
