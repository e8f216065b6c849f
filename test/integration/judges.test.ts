import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runUnderMocks } from "../../scripts/synth/mockRuntime";
import { synthTree } from "../../scripts/synth/render";
import { parse } from "yaml";
import { ROOT, stackConfig } from "../harness";

// Independent judges over the synthesized staging and prod stacks:
// - kube-score v1.20.0 (scripts/integration/install-kube-score.sh). Every CRITICAL finding
//   is fixed or listed with its reason in test/judges/kube-score.allow; a new unexplained
//   finding fails, and so does a listed one that no longer occurs.
// - kubeconform v0.8.0 -strict with Kubernetes 1.36's JSON schemas from the PyPI package
//   kubernetes-validate (scripts/integration/install-kubeconform.sh): every object valid,
//   no unknown field. Those schemas point at one shared definitions file by an absolute
//   path kubeconform cannot follow, so the test bundles each kind's schema with the
//   definitions (their content unchanged). cert-manager's Certificates have no schema
//   there; the engine tier validates them against cert-manager's own CRDs.
// - checkov 3.3.30 (PyPI, scripts/integration/install-checkov.sh): every failed check
//   fixed or listed with its reason in test/judges/checkov.allow, no stale line.
// - trivy v0.74.0 `config` with the checks compiled into it, offline
//   (scripts/integration/install-trivy.sh): every HIGH or CRITICAL failure fixed or listed
//   with its reason in test/judges/trivy.allow, no stale line.

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
const manifests: Record<string, string[]> = {};

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
    manifests[stack] = files;
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

/** An allow-list file: `<check id> <Kind/name or *> <why>` per line, # comments. */
function allowList(file: string) {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"))
    .map((l) => {
      const [check, object, ...why] = l.split(" ");
      return { check: check!, object: object!, why: why.join(" ") };
    });
}
type Allowed = ReturnType<typeof allowList>[number];
const allowed = allowList(ALLOW);
const matches = (a: Allowed, f: Finding) => a.check === f.check && (a.object === "*" || a.object === f.object);

/** The judge's findings against its allow-list: what is not explained, and what is explained but no longer found. */
function judged(found: Finding[], list: Allowed[]) {
  return {
    unexplained: found.filter((f) => !list.some((a) => matches(a, f))).map((f) => `${f.check} ${f.object} (${f.where})`),
    stale: list.filter((a) => !found.some((f) => matches(a, f))).map((a) => `${a.check} ${a.object}`),
    reasonless: list.filter((a) => a.why.length < 20).map((a) => `${a.check} ${a.object}`),
  };
}

describe("kube-score over the synthesized staging and prod stacks", () => {
  it("ran and judged the stacks", () => {
    expect(findings.length, "kube-score reported nothing at all: did it read the manifests?").toBeGreaterThan(0);
  });

  it("finds nothing CRITICAL that is neither fixed nor explained in test/judges/kube-score.allow, which lists nothing stale", () => {
    expect(judged(findings, allowed)).toEqual({ unexplained: [], stale: [], reasonless: [] });
  });
});

/** Kubernetes 1.36's strict schema of each kind the files hold, bundled with the shared definitions, in `dir`. */
function bundledSchemas(schemaRoot: string, files: string[], dir: string): void {
  const source = path.join(schemaRoot, "v1.36.0-local-strict");
  const definitions = JSON.parse(fs.readFileSync(path.join(source, "_definitions.json"), "utf8")).$defs;
  const local = (text: string) => text.replaceAll('"/api/_definitions.json#/', '"#/');
  const bundledDefs = JSON.parse(local(JSON.stringify(definitions)));
  fs.mkdirSync(dir, { recursive: true });
  for (const file of files) {
    const { kind, apiVersion } = parse(fs.readFileSync(file, "utf8")) as { kind: string; apiVersion: string };
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    const name = `${kind.toLowerCase()}${group ? `-${group!.split(".")[0]}` : ""}-${version}.json`;
    if (fs.existsSync(path.join(dir, name)) || !fs.existsSync(path.join(source, name))) continue;
    const schema = JSON.parse(local(fs.readFileSync(path.join(source, name), "utf8")));
    fs.writeFileSync(path.join(dir, name), JSON.stringify({ ...schema, $defs: bundledDefs }));
  }
}

describe("kubeconform -strict with Kubernetes 1.36's schemas", () => {
  it.each(STACKS)("finds every object of %s valid, with no unknown field", (stack) => {
    const [binDir, schemaRoot] = execFileSync("bash", [path.join(ROOT, "scripts/integration/install-kubeconform.sh")], { encoding: "utf8" })
      .trim()
      .split("\n");
    const schemas = path.join(work, `${stack}-schemas`);
    bundledSchemas(schemaRoot!, manifests[stack]!, schemas);
    const r = spawnSync(
      path.join(binDir!, "kubeconform"),
      ["-strict", "-summary", "-output", "json", "-skip", "Certificate", "-schema-location", `${schemas}/{{ .ResourceKind }}{{ .KindSuffix }}.json`, ...manifests[stack]!],
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    );
    const report = JSON.parse(r.stdout) as {
      resources: { kind: string; name: string; status: string; msg?: string }[];
      summary: { valid: number; invalid: number; errors: number; skipped: number };
    };
    const bad = report.resources.filter((x) => x.status !== "statusValid" && x.status !== "statusSkipped").map((x) => `${x.kind}/${x.name}: ${x.status} ${x.msg ?? ""}`);
    expect(bad).toEqual([]);
    expect(report.summary.valid).toBeGreaterThan(80);
    expect(report.resources.filter((x) => x.status === "statusSkipped").every((x) => x.kind === "Certificate")).toBe(true);
  });

  it("refuses an unknown field and a wrong type with the bundled schemas (the judge can fail)", () => {
    const [binDir, schemaRoot] = execFileSync("bash", [path.join(ROOT, "scripts/integration/install-kubeconform.sh")], { encoding: "utf8" })
      .trim()
      .split("\n");
    const bad = path.join(work, "bad-service.yaml");
    fs.writeFileSync(bad, 'apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  selectr: {app: x}\n  ports:\n    - port: "eighty"\n');
    const schemas = path.join(work, "bad-schemas");
    bundledSchemas(schemaRoot!, [bad], schemas);
    const r = spawnSync(path.join(binDir!, "kubeconform"), ["-strict", "-schema-location", `${schemas}/{{ .ResourceKind }}{{ .KindSuffix }}.json`, bad], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/selectr/);
    expect(r.stdout).toMatch(/port/);
  });
});

describe("checkov over the synthesized staging and prod stacks", () => {
  it("fails no check that is neither fixed nor explained in test/judges/checkov.allow, which lists nothing stale", () => {
    const binDir = execFileSync("bash", [path.join(ROOT, "scripts/integration/install-checkov.sh")], { encoding: "utf8" }).trim();
    const failed: Finding[] = [];
    let passed = 0;
    for (const stack of STACKS) {
      const r = spawnSync(path.join(binDir, "checkov"), ["-d", path.join(work, stack, "manifests"), "--framework", "kubernetes", "-o", "json", "--quiet", "--compact"], {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, BC_SKIP_MAPPING: "TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2: "false" },
      });
      if (r.status !== 0 && r.status !== 1) throw new Error(`checkov failed (exit ${r.status}): ${r.stderr}`);
      const report = JSON.parse(r.stdout) as { results: { failed_checks: { check_id: string; resource: string }[] }; summary: { passed: number; parsing_errors: number } };
      expect(report.summary.parsing_errors, `${stack}: checkov could not parse a manifest`).toBe(0);
      passed += report.summary.passed;
      for (const f of report.results.failed_checks) {
        const [kind, , ...name] = f.resource.split(".");
        failed.push({ check: f.check_id, object: `${kind}/${name.join(".")}`, where: stack });
      }
    }
    expect(passed, "checkov passed checks: it read the manifests").toBeGreaterThan(1000);
    expect(judged(failed, allowList(path.join(ROOT, "test/judges/checkov.allow")))).toEqual({ unexplained: [], stale: [], reasonless: [] });
  });
});

describe("trivy config over the synthesized staging and prod stacks", () => {
  it("fails no HIGH or CRITICAL check that is neither fixed nor explained in test/judges/trivy.allow, which lists nothing stale", () => {
    const binDir = execFileSync("bash", [path.join(ROOT, "scripts/integration/install-trivy.sh")], { encoding: "utf8" }).trim();
    const cache = path.join(work, "trivy-cache");
    const failed: Finding[] = [];
    let passed = 0;
    for (const stack of STACKS) {
      const dir = path.join(work, stack, "manifests");
      const r = spawnSync(
        path.join(binDir, "trivy"),
        [
          "config",
          "--quiet",
          "--skip-check-update",
          "--misconfig-scanners",
          "kubernetes",
          "--severity",
          "HIGH,CRITICAL",
          "--include-non-failures",
          "--format",
          "json",
          "--cache-dir",
          cache,
          dir,
        ],
        { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      );
      if (r.status !== 0) throw new Error(`trivy failed (exit ${r.status}): ${r.stderr}`);
      const report = JSON.parse(r.stdout) as { Results: { Target: string; Misconfigurations?: { ID: string; Status: string; Message: string }[] }[] };
      // Every manifest was read: a file trivy skips is a file nobody judged.
      expect(report.Results.map((x) => path.join(dir, x.Target)).sort(), `${stack}: trivy judged every manifest`).toEqual([...manifests[stack]!].sort());
      for (const result of report.Results) {
        const { kind, metadata } = parse(fs.readFileSync(path.join(dir, result.Target), "utf8")) as { kind: string; metadata: { name: string } };
        for (const m of result.Misconfigurations ?? []) {
          if (m.Status === "PASS") passed++;
          else failed.push({ check: m.ID, object: `${kind}/${metadata.name}`, where: `${stack}: ${m.Message}` });
        }
      }
    }
    expect(passed, "trivy passed checks: its bundled checks ran offline").toBeGreaterThan(3000);
    expect(judged(failed, allowList(path.join(ROOT, "test/judges/trivy.allow")))).toEqual({ unexplained: [], stale: [], reasonless: [] });
  });
});
