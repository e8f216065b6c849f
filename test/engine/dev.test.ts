import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runUnderMocks } from "../../scripts/synth/mockRuntime";
import { kubernetesObjects } from "../../scripts/synth/render";
import { stackConfig } from "../harness";
import { changedSteps, checkpoint, engine, EngineResult, objectKey, renderedObjects } from "./support";

// The README's main job, `npm run up` of the dev stack, with the real Pulumi CLI and the
// real kubernetes and random providers: the provider renders every object to a
// directory, random generates every credential, and the state is a local file backend.

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "blacklake-engine-dev-"));
const manifests = path.join(stateDir, "manifests");
const options = { stateDir, set: { "kubernetes.renderYamlToDirectory": manifests } };

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

  it("keeps every generated credential out of the state file in plain text", () => {
    const { text } = checkpoint(stateDir, "dev");
    const secrets = renderedObjects(manifests).filter((o) => o.kind === "Secret");
    const values = secrets.flatMap((s) => [
      ...Object.values((s.data ?? {}) as Record<string, string>).map((b64) => Buffer.from(b64, "base64").toString("utf8")),
      ...Object.values((s.stringData ?? {}) as Record<string, string>),
    ]);
    // the generated ones: long random strings (config files in Secrets are checked too)
    const generated = values.filter((v) => v.length >= 16);
    expect(generated.length).toBeGreaterThan(10);
    for (const value of generated) {
      expect(text.includes(value), `a Secret value of ${value.length} chars is in the state in plain text`).toBe(false);
      expect(text.includes(Buffer.from(value).toString("base64")), "a Secret value is in the state in base64").toBe(false);
    }
    expect(text).toContain('"4dabf18193072939515e22adb298388d"'); // the engine's secret marker: values are ciphertext
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
});
