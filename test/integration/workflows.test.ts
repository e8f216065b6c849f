import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { ensureActionlintInstalled, ROOT } from "./support/install";

// The GitHub Actions workflows under .github/workflows, checked by the real actionlint
// (with shellcheck over every `run:` block) and by the rules docs/ci.md promises: OIDC
// only, least-privilege permissions, previews with the policy pack, a gated prod and
// deploys that are never cancelled.
// Over 300 lines because each rule of docs/ci.md is a short test over the same parsed
// workflows.

const WORKFLOWS_DIR = path.join(ROOT, ".github/workflows");

interface Lint {
  status: number | null;
  output: string;
}

function actionlint(bin: string, files: string[], cwd: string): Lint {
  const r = spawnSync(bin, ["-no-color", ...files], { cwd, encoding: "utf8", timeout: 120_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

// --- the parsed workflows ------------------------------------------------------------

type Permissions = Record<string, string> | string | undefined;
interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Concurrency {
  group: string;
  "cancel-in-progress"?: boolean | string;
}
interface Job {
  needs?: string | string[];
  if?: string;
  environment?: string | { name: string; url?: string };
  permissions?: Permissions;
  concurrency?: string | Concurrency;
  strategy?: { matrix?: Record<string, unknown> };
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: Permissions;
  concurrency?: string | Concurrency;
  jobs: Record<string, Job>;
}

const workflowFiles = fs
  .readdirSync(WORKFLOWS_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const texts: Record<string, string> = Object.fromEntries(workflowFiles.map((f) => [f, fs.readFileSync(path.join(WORKFLOWS_DIR, f), "utf8")]));
const workflows: Record<string, Workflow> = Object.fromEntries(workflowFiles.map((f) => [f, parseYaml(texts[f]!) as Workflow]));

function workflow(file: string): Workflow {
  const wf = workflows[file];
  if (!wf) throw new Error(`.github/workflows/${file} does not exist`);
  return wf;
}

function job(file: string, name: string): Job {
  const j = workflow(file).jobs[name];
  if (!j) throw new Error(`${file} has no job "${name}"`);
  return j;
}

const allJobs = (): Array<[string, string, Job]> =>
  Object.entries(workflows).flatMap(([file, wf]) => Object.entries(wf.jobs).map(([name, j]): [string, string, Job] => [file, name, j]));

const needsOf = (j: Job): string[] => (j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs : [j.needs]);
const environmentOf = (j: Job): string | undefined => (typeof j.environment === "object" ? j.environment.name : j.environment);
/** A job's permissions: its own when it sets any, else the workflow's. */
const effectivePermissions = (wf: Workflow, j: Job): Permissions => (j.permissions !== undefined ? j.permissions : wf.permissions);
const usesAction = (step: Step, action: string): boolean => (step.uses ?? "").split("@")[0] === action;
const pulumiSteps = (j: Job): Step[] => j.steps.filter((s) => usesAction(s, "pulumi/actions"));

function onlyPulumiStep(j: Job): Record<string, unknown> {
  const steps = pulumiSteps(j);
  expect(steps).toHaveLength(1);
  return steps[0]!.with ?? {};
}

/** The concurrency of a deploy: on the workflow or on one of its jobs, by group name. */
function concurrencyGroups(): Array<{ where: string; group: string; cancel: unknown }> {
  const norm = (c: string | Concurrency | undefined) => (c === undefined ? undefined : typeof c === "string" ? { group: c } : c);
  const out: Array<{ where: string; group: string; cancel: unknown }> = [];
  for (const [file, wf] of Object.entries(workflows)) {
    const w = norm(wf.concurrency);
    if (w) out.push({ where: file, group: w.group, cancel: w["cancel-in-progress"] });
    for (const [name, j] of Object.entries(wf.jobs)) {
      const c = norm(j.concurrency);
      if (c) out.push({ where: `${file} job ${name}`, group: c.group, cancel: c["cancel-in-progress"] });
    }
  }
  return out;
}

const rootPackage = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const rootPin = (name: string): string => rootPackage.dependencies?.[name] ?? rootPackage.devDependencies?.[name];

// --- actionlint --------------------------------------------------------------------------

describe("actionlint", () => {
  let bin: string;
  let tmp: string;

  beforeAll(() => {
    bin = ensureActionlintInstalled();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "blacklake-actionlint-"));
  });
  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("finds the three workflows", () => {
    expect(workflowFiles).toEqual(["main.yml", "prod.yml", "pull-request.yml"]);
  });

  it("accepts every workflow under .github/workflows, with no output", () => {
    const r = actionlint(
      bin,
      workflowFiles.map((f) => path.join(".github/workflows", f)),
      ROOT,
    );
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });

  /** A copy of one of our workflows with one edit, linted in a scratch repository. */
  function lintBroken(file: string, from: string, to: string): Lint {
    const original = texts[file];
    expect(original).toContain(from);
    const dir = path.join(tmp, `${path.basename(file, ".yml")}-${Math.random().toString(36).slice(2, 8)}`, ".github/workflows");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, file), original!.replace(from, to));
    return actionlint(bin, [path.join(".github/workflows", file)], path.dirname(path.dirname(dir)));
  }

  it("fails on a job that needs a job which does not exist, naming it", () => {
    const r = lintBroken("prod.yml", "    needs: preview\n", "    needs: previw\n");
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/job "up" needs job "previw" which does not exist/);
    expect(r.output).toContain("[job-needs]");
  });

  it("fails on an expression that reads an undefined matrix property, naming it", () => {
    const r = lintBroken("pull-request.yml", "stack-name: ${{ matrix.stack }}", "stack-name: ${{ matrix.stacks }}");
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/property "stacks" is not defined/);
    expect(r.output).toContain("[expression]");
  });

  it("fails on an input that pulumi/actions does not have, naming it", () => {
    const r = lintBroken("main.yml", "          policyPacks: policies\n", "          policy-packs: policies\n");
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/input "policy-packs" is not defined in action "pulumi\/actions@v6"/);
  });

  it("runs shellcheck over run: blocks (an unquoted variable fails)", () => {
    const r = lintBroken("main.yml", 'aws eks update-kubeconfig --name "$CLUSTER"', "aws eks update-kubeconfig --name $CLUSTER");
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/SC2086/);
  });
});

// --- what docs/ci.md promises --------------------------------------------------------

describe("workflow rules", () => {
  it("hold no long-lived cloud keys", () => {
    for (const [file, text] of Object.entries(texts)) {
      expect(text, file).not.toMatch(/aws-access-key-id/i);
      expect(text, file).not.toMatch(/aws-secret-access-key/i);
      expect(text, file).not.toMatch(/AWS_SECRET_ACCESS_KEY/i);
      expect(text, file).not.toMatch(/AWS_ACCESS_KEY_ID/i);
      expect(text, file).not.toMatch(/PULUMI_ACCESS_TOKEN|PULUMI_CONFIG_PASSPHRASE/);
    }
  });

  it("grant only contents: read at workflow level", () => {
    for (const [file, wf] of Object.entries(workflows)) expect(wf.permissions, file).toEqual({ contents: "read" });
  });

  it("give id-token: write to every job that assumes an AWS role, by OIDC from the environment's variables", () => {
    let assuming = 0;
    for (const [file, name, j] of allJobs()) {
      const steps = j.steps.filter((s) => usesAction(s, "aws-actions/configure-aws-credentials"));
      if (steps.length === 0) continue;
      assuming++;
      const where = `${file} job ${name}`;
      const perms = effectivePermissions(workflow(file), j);
      expect(perms, where).toMatchObject({ "id-token": "write", contents: "read" });
      expect(environmentOf(j), `${where} runs in no GitHub environment`).toBeDefined();
      for (const s of steps) {
        expect(s.with?.["role-to-assume"], where).toBe("${{ vars.AWS_ROLE_ARN }}");
        expect(s.with?.["aws-region"], where).toBe("${{ vars.AWS_REGION }}");
      }
    }
    expect(assuming).toBe(4); // the PR's preview (one job, a matrix of two), staging's up, prod's preview and up
  });

  it("widen permissions only where a job needs them", () => {
    for (const [file, name, j] of allJobs()) {
      const perms = j.permissions;
      if (perms === undefined) continue;
      expect(typeof perms, `${file} job ${name}`).toBe("object");
      const assumes = j.steps.some((s) => usesAction(s, "aws-actions/configure-aws-credentials"));
      const comments = pulumiSteps(j).some((s) => s.with?.["comment-on-pr"] === true);
      for (const [scope, level] of Object.entries(perms as Record<string, string>)) {
        const ok =
          (scope === "contents" && level === "read") || (scope === "id-token" && level === "write" && assumes) || (scope === "pull-requests" && level === "write" && comments);
        expect(ok, `${file} job ${name}: ${scope}: ${level}`).toBe(true);
      }
    }
  });

  it("pin every action to a released version tag, never a branch or an invented SHA", () => {
    for (const [file, name, j] of allJobs()) {
      for (const s of j.steps) {
        if (s.uses === undefined) continue;
        expect(s.uses, `${file} job ${name}`).toMatch(/^[\w.-]+\/[\w.-]+@v\d+(\.\d+){0,2}$/);
      }
    }
  });

  it("install the Pulumi CLI of the same release as the SDK the program pins", () => {
    const steps = allJobs().flatMap(([, , j]) => pulumiSteps(j));
    expect(steps.length).toBeGreaterThan(0);
    for (const s of steps) {
      expect(String(s.with?.["pulumi-version"])).toBe(rootPin("@pulumi/pulumi"));
      expect(s.with?.["cloud-url"]).toBe("${{ vars.PULUMI_BACKEND_URL }}");
    }
    for (const [file, name, j] of allJobs()) {
      if (pulumiSteps(j).length === 0) continue;
      expect(j.env?.PULUMI_BACKEND_URL, `${file} job ${name}`).toBe("${{ vars.PULUMI_BACKEND_URL }}");
      // The program and the policy pack need the root's node_modules.
      expect(
        j.steps.some((s) => s.run?.startsWith("npm ci")),
        `${file} job ${name}`,
      ).toBe(true);
    }
  });

  it("run the README's test command on every pull request and every push to main", () => {
    for (const file of ["pull-request.yml", "main.yml"]) {
      expect(job(file, "test").steps.map((s) => s.run)).toContain("npm test");
    }
    expect(Object.keys(workflow("pull-request.yml").on)).toEqual(["pull_request"]);
    expect(workflow("pull-request.yml").on.pull_request).toEqual({ branches: ["main"] });
    expect(workflow("main.yml").on.push).toEqual({ branches: ["main"] });
  });

  it("preview both staging and prod on a pull request, with the policy pack and a diff, after the tests", () => {
    const preview = job("pull-request.yml", "preview");
    expect(needsOf(preview)).toContain("test");
    // each stack's preview role trusts exactly its own environment (aws.ciAccess.previewEnvironment)
    expect(environmentOf(preview)).toBe("preview-${{ matrix.stack }}");
    expect(preview.strategy?.matrix?.stack).toEqual(["staging", "prod"]);
    const w = onlyPulumiStep(preview);
    expect(w.command).toBe("preview");
    expect(w["stack-name"]).toBe("${{ matrix.stack }}");
    expect(w.policyPacks).toBe("policies");
    expect(w.policyPackConfigs).toBe("policies/config/${{ matrix.stack }}.json");
    expect(w.diff).toBe(true);
    expect(w["comment-on-pr"]).toBe(true);
    for (const stack of ["staging", "prod"]) expect(fs.existsSync(path.join(ROOT, "policies/config", `${stack}.json`)), stack).toBe(true);
  });

  it("cancel an older run of the same pull request", () => {
    const c = workflow("pull-request.yml").concurrency as Concurrency;
    expect(c.group).toContain("github.event.pull_request.number");
    expect(c["cancel-in-progress"]).toBe(true);
  });

  it("deploy staging on a push to main: pulumi up with the policy pack in the staging environment, after the tests", () => {
    const deploy = job("main.yml", "deploy-staging");
    expect(needsOf(deploy)).toContain("test");
    expect(environmentOf(deploy)).toBe("staging");
    const w = onlyPulumiStep(deploy);
    expect(w.command).toBe("up");
    expect(w["stack-name"]).toBe("staging");
    expect(w.policyPacks).toBe("policies");
    expect(w.policyPackConfigs).toBe("policies/config/staging.json");
  });

  it("preview prod into the job summary, then up prod in the production environment after that preview", () => {
    const wf = workflow("prod.yml");
    expect(wf.on).toHaveProperty("workflow_dispatch");
    expect(wf.on.push).toEqual({ tags: ["v*"] });

    const preview = job("prod.yml", "preview");
    expect(environmentOf(preview)).toBe("preview-prod");
    const p = onlyPulumiStep(preview);
    expect(p.command).toBe("preview");
    expect(p["stack-name"]).toBe("prod");
    expect(p.policyPacks).toBe("policies");
    expect(p["comment-on-summary"]).toBe(true);

    const up = job("prod.yml", "up");
    expect(needsOf(up)).toContain("preview");
    expect(environmentOf(up)).toBe("production");
    const u = onlyPulumiStep(up);
    expect(u.command).toBe("up");
    expect(u["stack-name"]).toBe("prod");
    expect(u.policyPacks).toBe("policies");
    expect(u.policyPackConfigs).toBe("policies/config/prod.json");
  });

  it("never cancel a running deploy of staging or prod", () => {
    const groups = concurrencyGroups();
    for (const name of ["deploy-staging", "deploy-prod"]) {
      const found = groups.filter((g) => g.group === name);
      expect(found.length, `no concurrency group ${name}`).toBeGreaterThan(0);
      for (const g of found) expect(g.cancel, g.where).toBe(false);
    }
    // Every job that runs `pulumi up` is inside one of those groups.
    for (const [file, name, j] of allJobs()) {
      if (!pulumiSteps(j).some((s) => s.with?.command === "up")) continue;
      const group = [j.concurrency, workflow(file).concurrency].map((c) => (c === undefined ? undefined : typeof c === "string" ? c : c.group)).find((g) => g !== undefined);
      expect(["deploy-staging", "deploy-prod"], `${file} job ${name}`).toContain(group);
    }
  });
});

describe("the policy pack's package.json", () => {
  const dir = path.join(ROOT, "policies");
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));

  it("is private, names the pack and points main at an entry that exists", () => {
    expect(pkg.name).toBe("blacklake-policies");
    expect(pkg.private).toBe(true);
    expect(fs.existsSync(path.join(dir, pkg.main))).toBe(true);
  });

  it("pins exactly what the repository root pins, and has no lock file of its own", () => {
    expect(Object.keys(pkg.dependencies)).toEqual(expect.arrayContaining(["@pulumi/policy", "@pulumi/pulumi"]));
    for (const [name, version] of Object.entries(pkg.dependencies)) expect(version, name).toBe(rootPin(name));
    expect(fs.existsSync(path.join(dir, "package-lock.json"))).toBe(false);
  });
});
