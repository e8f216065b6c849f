import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runUnderMocks, type CapturedResource } from "../../scripts/synth/mockRuntime";
import { REDACTED, synthTree } from "../../scripts/synth/render";
import { ROOT, stackConfig, STACKS } from "../harness";

const TSX = path.join(ROOT, "node_modules/.bin/tsx");

function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(path.relative(dir, full), fs.readFileSync(full, "utf8"));
    }
  };
  walk(dir);
  return files;
}

function synthCli(args: string[]) {
  return spawnSync(TSX, [path.join(ROOT, "scripts/synth/main.ts"), ...args], { cwd: ROOT, encoding: "utf8" });
}

describe("synth", () => {
  it.each(STACKS)("%s: the same input gives the same tree", async (stack) => {
    const first = synthTree((await runUnderMocks(stack, stackConfig(stack))).resources);
    const second = synthTree((await runUnderMocks(stack, stackConfig(stack))).resources);
    expect([...first.keys()]).toEqual([...second.keys()]);
    expect(Object.fromEntries(first)).toEqual(Object.fromEntries(second));
  });

  it("writes byte-identical trees from the command line, twice", () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "synth-"));
    for (const out of ["a", "b"]) {
      const result = synthCli(["--stack", "prod", "--out", path.join(base, out)]);
      expect(result.status, result.stderr).toBe(0);
    }
    const a = readTree(path.join(base, "a"));
    const b = readTree(path.join(base, "b"));
    expect(a.size).toBeGreaterThan(1);
    expect([...a.entries()]).toEqual([...b.entries()]);
    const namespace = parse(a.get("manifests/_cluster/namespace-blacklake.yaml")!);
    expect(namespace).toMatchObject({ apiVersion: "v1", kind: "Namespace", metadata: { name: "blacklake" } });
    const inventory = JSON.parse(a.get("inventory.json")!);
    expect(inventory).toContainEqual({ type: "kubernetes:core/v1:Namespace", name: "namespace", parent: "namespace", provider: "kubernetes" });
    expect(inventory).toContainEqual({ type: "pulumi:providers:kubernetes", name: "kubernetes", parent: null, provider: null });
  });

  it("refuses to overwrite a directory it did not write", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "not-synth-"));
    fs.writeFileSync(path.join(dir, "precious.txt"), "keep me");
    const result = synthCli(["--stack", "dev", "--out", dir]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("is not empty and holds no previous synth");
    expect(fs.readFileSync(path.join(dir, "precious.txt"), "utf8")).toBe("keep me");
  });

  it("stops on an invalid stack file with the config lines", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cfg-")), "Pulumi.bad.yaml");
    fs.writeFileSync(file, "config:\n  blacklake:environment: prod\n  blacklake:postgres:\n    instances: 0\n");
    const result = synthCli(["--stack", "bad", "--config", file, "--out", path.join(path.dirname(file), "out")]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("postgres.instances: found 0; expected an instance count >= 1");
  });

  it("redacts Secret values and writes ConfigMap keys as files", () => {
    const resource = (type: string, inputs: Record<string, unknown>): CapturedResource => ({
      type,
      name: "x",
      urn: "",
      inputs,
      custom: true,
      provider: "kubernetes",
      secretInputs: [],
      dependsOn: [],
    });
    const tree = synthTree([
      resource("kubernetes:core/v1:Secret", {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "db", namespace: "ns" },
        stringData: { password: "hunter2" },
        data: { token: "c2VjcmV0" },
      }),
      resource("kubernetes:core/v1:ConfigMap", {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "pg", namespace: "ns" },
        data: { "postgresql.conf": "max_connections = 100\n" },
      }),
    ]);
    const secret = tree.get("manifests/ns/secret-db.yaml")!;
    expect(secret).not.toContain("hunter2");
    expect(secret).not.toContain("c2VjcmV0");
    expect(parse(secret)).toMatchObject({ stringData: { password: REDACTED }, data: { token: REDACTED } });
    expect(tree.get("files/ns/pg/postgresql.conf")).toBe("max_connections = 100\n");
  });
});

describe("config:check", () => {
  const check = (...files: string[]) => spawnSync(TSX, [path.join(ROOT, "scripts/configCheck.ts"), ...files], { cwd: ROOT, encoding: "utf8" });

  it("accepts the committed stack files", () => {
    const result = check("Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml");
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("Pulumi.prod.yaml: valid (prod)");
  });

  it("exits 1 with one line per problem; leaves encrypted values to the program", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfg-"));
    const file = path.join(dir, "Pulumi.prod.yaml");
    const prod = fs
      .readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")
      .replace("instances: 3", "instances: 3\n    replicas: 2")
      .replace("size: 200Gi", "size: 200 gigs")
      .replace("kind: email\n        to: oncall@blacklake.example.com", "kind: webhook\n        url:\n          secure: v1:abcdef==");
    fs.writeFileSync(file, prod);
    const result = check(file);
    expect(result.status).toBe(1);
    expect(result.stderr.split("\n").filter((l) => l.includes(": found "))).toEqual([
      "postgres.replicas: found an unknown key; expected one of the keys instances, appDatabase, appUser, storage, resources, parameters, archiveTimeoutSeconds, replicationLagAlertSeconds, rpoSeconds, backups",
      'postgres.storage.size: found "200 gigs"; expected a size greater than zero such as "512Mi" or "10Gi" (Ki, Mi, Gi, Ti or k, M, G, T)',
    ]);
    expect(result.stderr).not.toContain("v1:abcdef");
  });

  it("uses the same messages as the program (via npm run)", () => {
    const output = execFileSync("npm", ["run", "--silent", "config:check", "--", "Pulumi.prod.yaml"], { cwd: ROOT, encoding: "utf8" });
    expect(output).toContain("valid (prod)");
  });
});

describe("synth YAML", () => {
  it("quotes strings that YAML 1.1 readers such as kubectl would take for booleans", async () => {
    const { toYaml } = await import("../../scripts/synth/render");
    const text = toYaml({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" }, data: { a: "on", b: "off", c: "yes", d: "no", e: "y" } });
    expect(text).toContain('a: "on"');
    expect(text).toContain('b: "off"');
    expect(text).toContain('c: "yes"');
    expect(text).toContain('d: "no"');
    expect(text).toContain('e: "y"');
  });
});

describe("rules:export", () => {
  it("writes prometheus.yml, every rule file, alertmanager.yml and the dashboards of a stack", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "rules-"));
    const result = spawnSync(TSX, [path.join(ROOT, "scripts/rulesExport.ts"), "--stack", "staging", "--out", out], { cwd: ROOT, encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    const files = readTree(out);
    expect(parse(files.get("prometheus/prometheus.yml")!).rule_files).toEqual(["/etc/prometheus/rules/*.yml"]);
    expect([...files.keys()].filter((f) => f.startsWith("prometheus/rules/")).sort()).toEqual(
      ["keycloak", "minio", "monitoring", "platform", "postgres", "redis", "slo"].map((m) => `prometheus/rules/${m}.rules.yml`),
    );
    expect(parse(files.get("alertmanager/alertmanager.yml")!).route.routes.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(files.get("grafana/dashboards/blacklake-database.json")!).title).toBe("Database");
  });
});
