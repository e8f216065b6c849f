import { beforeAll, describe as suite, expect, it } from "vitest";
import type { CapturedResource } from "../../scripts/synth/mockRuntime";
import { allPolicies } from "../../policies/policies";
import { runLocal, runStack } from "../harness";
import { describe, type InputResource, mandatory, policyConfigFor, runPolicies } from "./harness";
import { INSECURE_EDITS } from "./insecureEdits";
import { LOCAL_EDITS } from "./localEdits";
import { drop } from "./prodEdits";
import { UNSAFE_EDITS } from "./unsafeEdits";

// Insecure and unsafe edits of the prod stack as the program registers it: each must be
// caught by the named MANDATORY policy, and the violation must name the edited resource.

let prod: CapturedResource[] = [];
let local: CapturedResource[] = [];
beforeAll(async () => {
  prod = (await runStack("prod")).resources;
  local = (await runLocal()).resources;
}, 60_000);

const MUTATIONS = [...INSECURE_EDITS, ...UNSAFE_EDITS];

const caught = async (m: (typeof MUTATIONS)[number], stack: CapturedResource[], config: ReturnType<typeof policyConfigFor>) => {
  const copy: InputResource[] = structuredClone(stack);
  const mutated = m.edit(copy) ?? copy;
  const found = mandatory(await runPolicies(allPolicies, mutated, config));
  const hits = found.filter((v) => v.policy === m.policy);
  expect(hits.length, `not caught by ${m.policy}; mandatory violations:\n${describe(found)}`).toBeGreaterThan(0);
  expect(hits.map((v) => v.message).join("\n")).toContain(`"${m.mentions}"`);
};

suite("mutations of the prod stack", () => {
  const config = policyConfigFor("prod");

  it("the unmutated prod stack has no mandatory violations (the baseline)", async () => {
    const found = mandatory(await runPolicies(allPolicies, prod, config));
    expect(found, describe(found)).toEqual([]);
  });

  it("has at least 80 mutations, each aimed at a mandatory policy of the pack, none twice", () => {
    expect(MUTATIONS.length).toBeGreaterThanOrEqual(80);
    for (const m of MUTATIONS) expect(allPolicies.find((p) => p.name === m.policy)?.enforcementLevel, m.policy).toBe("mandatory");
    expect(new Set(MUTATIONS.map((m) => m.what)).size).toBe(MUTATIONS.length);
  });

  it("dropping the default-deny NetworkPolicy is reported as mandatory", async () => {
    const found = await runPolicies(allPolicies, drop("NetworkPolicy", "default-deny")(structuredClone(prod)) as InputResource[], config);
    expect(found.filter((v) => v.policy === "stack-network-policy-default-deny").map((v) => v.level)).toEqual(["mandatory"]);
  });

  for (const m of MUTATIONS) it(`${m.what} -> ${m.policy}`, () => caught(m, prod, config));
});

suite("mutations of the local stack (target docker)", () => {
  const config = policyConfigFor("dev"); // `npm run local` previews with the dev stack's policy config

  it("the unmutated local stack has no mandatory violations (the baseline)", async () => {
    const found = mandatory(await runPolicies(allPolicies, local, config));
    expect(found, describe(found)).toEqual([]);
  });

  for (const m of LOCAL_EDITS) it(`${m.what} -> ${m.policy}`, () => caught(m, local, config));
});
