import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runUnderMocks } from "../../scripts/synth/mockRuntime";
import { configFromStackFile } from "../../stacks/config";
import { ROOT } from "../harness";
import { engineView, writeBadStackFiles } from "./badConfigs";

// Every bad config, written as a stack file, through both readers: `config:check` on the
// file, and the program itself, given the file's values the way the engine hands them over
// (a top-level scalar as its text, an object as JSON). Both must print the case's line, the
// program as a RunError (which Pulumi prints without a stack trace), neither a stack trace.
// test/engine/config.test.ts checks that model against the real CLI's reading of each file.

const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$|TypeError|ZodError|unhandled/im;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "blacklake-bad-configs-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const cases = writeBadStackFiles(dir);

/** config:check's output per file: the lines after each "<file>: N problems" header. */
let checked: Map<string, string[]>;
let checkOutput: string;

beforeAll(() => {
  const run = spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), ["scripts/configCheck.ts", ...cases.map((c) => c.file)], { cwd: ROOT, encoding: "utf8" });
  expect(run.status, run.stderr).toBe(1);
  checkOutput = run.stdout + run.stderr;
  checked = new Map();
  let current: string[] | undefined;
  for (const line of run.stderr.split("\n")) {
    const header = /^(\/\S+\.yaml): \d+ problems?$/.exec(line);
    if (header) checked.set(header[1]!, (current = []));
    else if (line) current?.push(line);
  }
}, 60_000);

describe("a bad config, read by config:check and by the program", () => {
  it("has at least 70 cases, 40 of them the review's (issue #16) and the ones the readers disagreed on", () => {
    expect(cases.length).toBeGreaterThanOrEqual(70);
  });

  it("config:check rejects every file and prints no stack trace", () => {
    expect(checkOutput).not.toMatch(STACK_TRACE);
    expect([...checked.keys()].sort()).toEqual(cases.map((c) => c.file).sort());
  });

  it.each(cases)("$name", async ({ stack, file, line }) => {
    expect(checked.get(file), "config:check's lines").toContain(line);
    const run = runUnderMocks(stack, { values: engineView(file), secretPaths: [], foreignKeys: [] });
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(pulumi.RunError.isInstance(error), `the program stopped with a RunError: ${String(error)}`).toBe(true);
    const message = (error as Error).message;
    expect(message.split("\n").map((l) => l.trim())).toContain(line);
    expect(message).not.toMatch(STACK_TRACE);
  });
});

describe("quoted and unquoted top-level scalars", () => {
  it("read the same in both readers", async () => {
    const file = path.join(dir, "Pulumi.quoted.yaml");
    const text = fs.readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8");
    fs.writeFileSync(file, text.replace(/^ {2}blacklake:highAvailability: false$/m, '  blacklake:highAvailability: "false"'));
    expect(fs.readFileSync(file, "utf8")).toContain('blacklake:highAvailability: "false"');
    expect(configFromStackFile(file).values.highAvailability).toBe(false);
    // The program on the quoted file registers exactly what it does on the committed one.
    const registered = async (stackFile: string) =>
      (await runUnderMocks("staging", { values: engineView(stackFile), secretPaths: [], foreignKeys: [] })).resources.map((r) => `${r.type} ${r.name}`);
    expect(await registered(file)).toEqual(await registered(path.join(ROOT, "Pulumi.staging.yaml")));
  });
});

describe("a number with a leading zero", () => {
  // The Pulumi CLI reads stack files with go-yaml, for which 012 is octal (10); YAML 1.2
  // readers take it for 12. config:check reads as the CLI does (stacks/config/stackYaml.ts;
  // the engine tier compares that reading with the real CLI's).
  it("is octal to config:check and to the program, with the same line", async () => {
    const file = path.join(dir, "Pulumi.octal.yaml");
    fs.writeFileSync(file, `${fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")}  blacklake:redis:\n    replicas: 012\n`);
    const run = spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), ["scripts/configCheck.ts", file], { cwd: ROOT, encoding: "utf8" });
    const line = run.stderr.split("\n").find((l) => l.startsWith("redis.replicas:"));
    expect(line).toMatch(/^redis\.replicas: found 10; expected a replica count from 1 to 9/);
    const error = await runUnderMocks("prod", { values: engineView(file), secretPaths: [], foreignKeys: [] }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message.split("\n").map((l) => l.trim())).toContain(line);
  });
});
