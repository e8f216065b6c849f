import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runUnderMocks } from "../../scripts/synth/mockRuntime";
import { synthTree } from "../../scripts/synth/render";
import { ROOT, stackConfig } from "../harness";

// Independent judges over the synthesized staging and prod stacks: kube-score v1.20.0
// (built from the Go module proxy by scripts/integration/install-kube-score.sh). Every
// CRITICAL finding is fixed or listed with its reason in test/judges/kube-score.allow; a
// new unexplained finding fails, and so does a listed one that no longer occurs.
// trivy, checkov and kubeconform are not run yet (issue #15 says so).

const ALLOW = path.join(ROOT, "test/judges/kube-score.allow");
const STACKS = ["staging", "prod"] as const;

interface Finding {
  check: string;
  object: string;
  where: string;
}

let bin: string;
let work: string;
const findings: Finding[] = [];

beforeAll(async () => {
  bin = path.join(execFileSync("bash", [path.join(ROOT, "scripts/integration/install-kube-score.sh")], { encoding: "utf8" }).trim(), "kube-score");
  work = fs.mkdtempSync(path.join(os.tmpdir(), "blacklake-judges-"));
  for (const stack of STACKS) {
    const files: string[] = [];
    for (const [relative, content] of synthTree((await runUnderMocks(stack, stackConfig(stack))).resources)) {
      if (!relative.startsWith("manifests/")) continue;
      const file = path.join(work, stack, relative);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
      files.push(file);
    }
    // Exit 1 means it found something; the JSON says what.
    const r = spawnSync(bin, ["score", "--output-format", "json", ...files], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0 && r.status !== 1) throw new Error(`kube-score failed (exit ${r.status}): ${r.stderr}`);
    for (const o of JSON.parse(r.stdout) as any[]) {
      for (const c of o.checks) {
        if (c.skipped || c.grade > 1) continue; // 1 is CRITICAL
        for (const comment of c.comments ?? [{}]) {
          findings.push({ check: c.check.id, object: `${o.type_meta.kind}/${o.object_meta.name}`, where: `${stack}: ${comment.path ?? ""} ${comment.summary ?? ""}`.trim() });
        }
      }
    }
  }
}, 600_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const allowed = fs
  .readFileSync(ALLOW, "utf8")
  .split("\n")
  .filter((l) => l.trim() && !l.startsWith("#"))
  .map((l) => {
    const [check, object, ...why] = l.split(" ");
    return { check: check!, object: object!, why: why.join(" ") };
  });
const matches = (a: (typeof allowed)[number], f: Finding) => a.check === f.check && (a.object === "*" || a.object === f.object);

describe("kube-score over the synthesized staging and prod stacks", () => {
  it("ran and judged the stacks", () => {
    expect(findings.length, "kube-score reported nothing at all: did it read the manifests?").toBeGreaterThan(0);
  });

  it("finds nothing CRITICAL that is neither fixed nor explained in test/judges/kube-score.allow", () => {
    const unexplained = findings.filter((f) => !allowed.some((a) => matches(a, f)));
    expect(unexplained.map((f) => `${f.check} ${f.object} (${f.where})`)).toEqual([]);
  });

  it("explains every allowed finding, and none that no longer occurs", () => {
    for (const a of allowed) expect(a.why.length, `${a.check} ${a.object}: a reason`).toBeGreaterThan(20);
    expect(allowed.filter((a) => !findings.some((f) => matches(a, f))).map((a) => `${a.check} ${a.object}`)).toEqual([]);
  });
});
