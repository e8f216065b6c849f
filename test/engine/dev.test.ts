import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runUnderMocks } from "../../scripts/synth/mockRuntime";
import { kubernetesObjects } from "../../scripts/synth/render";
import { ROOT, stackConfig } from "../harness";
import { DEV_PASSPHRASE, workspaceDir } from "../../scripts/engine/pulumi";
import { changedSteps, checkpoint, engine, type EngineResult, objectKey, pulumiCli, renderedObjects } from "./support";

/** How the engine marks a secret value in a checkpoint. */
const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";

// The README's main job, `npm run up` of the dev stack, with the real Pulumi CLI and the
// real kubernetes and random providers: the provider renders every object to a
// directory, random generates every credential, and the state is a local file backend.

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "blacklake-engine-dev-"));
const manifests = path.join(stateDir, "manifests");
const options = { stateDir, set: { "kubernetes.renderYamlToDirectory": manifests } };

const stackFiles = () =>
  Object.fromEntries(
    fs
      .readdirSync(ROOT)
      .filter((f) => /^Pulumi(\.[a-z]+)?\.yaml$/.test(f))
      .map((f) => [f, fs.readFileSync(path.join(ROOT, f), "utf8")]),
  );
const committedStackFiles = stackFiles();

let firstUp: EngineResult;

beforeAll(() => {
  firstUp = engine("up", "dev", options);
});

afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

describe("the dev stack under the real engine", () => {
  it("comes up, creating every resource, with the policy pack passing", () => {
    expect(firstUp.status, firstUp.output).toBe(0);
    expect(firstUp.report!.changes.create).toBeGreaterThan(100);
    expect(firstUp.report!.policyViolations.filter((v) => v.level === "mandatory")).toEqual([]);
    expect(firstUp.output).toMatch(/Policies:|policy/i);
  });

  it("renders exactly the objects that synth writes, each ConfigMap with the same files", async () => {
    const rendered = renderedObjects(manifests);
    const synthesized = kubernetesObjects((await runUnderMocks("dev", stackConfig("dev"))).resources);
    expect(rendered.map(objectKey).sort()).toEqual(synthesized.map(objectKey).sort());
    const synthConfigMaps = new Map(synthesized.filter((o) => o.kind === "ConfigMap").map((o) => [objectKey(o), o.data]));
    for (const configMap of rendered.filter((o) => o.kind === "ConfigMap")) {
      expect(configMap.data, objectKey(configMap)).toEqual(synthConfigMaps.get(objectKey(configMap)));
    }
  });

  it("keeps every generated password and key out of the state file in plain text", () => {
    const { text, resources } = checkpoint(stateDir, "dev");
    // What random generated, read back decrypted through the CLI with the passphrase.
    const exported = pulumiCli(stateDir, "dev", ["stack", "export", "--show-secrets"], DEV_PASSPHRASE);
    expect(exported.status, exported.stderr).toBe(0);
    const decrypted = JSON.parse(exported.stdout).deployment.resources as { type: string; outputs?: Record<string, unknown> }[];
    const generated = decrypted.flatMap((r) => {
      if (r.type === "random:index/randomPassword:RandomPassword") return [String(r.outputs!.result)];
      if (r.type === "random:index/randomBytes:RandomBytes") return [String(r.outputs!.base64), String(r.outputs!.hex)];
      return [];
    });
    expect(generated.length).toBeGreaterThan(10);
    for (const value of generated) {
      expect(text.includes(value), `a generated value of ${value.length} chars is in the state in plain text`).toBe(false);
      expect(text.includes(Buffer.from(value).toString("base64")), "a generated value is in the state in base64").toBe(false);
    }
    // Every Secret's data is ciphertext in the state, in its inputs and its outputs.
    const secrets = resources.filter((r) => r.type === "kubernetes:core/v1:Secret") as unknown as { inputs: Record<string, unknown>; outputs: Record<string, unknown> }[];
    expect(secrets.length).toBeGreaterThan(10);
    const isCiphertext = (v: unknown) => typeof v === "object" && v !== null && SECRET_SIGNATURE in v && "ciphertext" in v;
    for (const s of secrets) {
      for (const field of ["data", "stringData"]) {
        if (s.inputs[field] !== undefined) expect(isCiphertext(s.inputs[field]), `inputs.${field}`).toBe(true);
        if (s.outputs[field] !== undefined) expect(isCiphertext(s.outputs[field]), `outputs.${field}`).toBe(true);
      }
    }
  });

  it("changes nothing on a second up", () => {
    const second = engine("up", "dev", options);
    expect(second.status, second.output).toBe(0);
    expect(changedSteps(second.report!)).toEqual([]);
    expect(Object.keys(second.report!.changes)).toEqual(["same"]);
  });

  it("leaves no resource in the stack after destroy", () => {
    const destroyed = engine("destroy", "dev", options);
    expect(destroyed.status, destroyed.output).toBe(0);
    expect(destroyed.report!.changes.delete).toBe(firstUp.report!.changes.create);
    expect(checkpoint(stateDir, "dev").resources).toEqual([]);
  });

  it("never rewrites the committed stack files (the CLI works on a copy)", () => {
    expect(stackFiles()).toEqual(committedStackFiles);
    expect(fs.readFileSync(path.join(workspaceDir(stateDir, "dev"), "Pulumi.dev.yaml"), "utf8")).toMatch(/encryptionsalt/);
  });
});
