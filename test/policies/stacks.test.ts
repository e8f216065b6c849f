import { beforeAll, describe as suite, expect, it } from "vitest";
import { allPolicies } from "../../policies/policies";
import { runStack, STACKS, type StackName } from "../harness";
import { describe, mandatory, policyConfigFor, runPolicies, type Violation } from "./harness";

// The pack over what the real program registers for each stack (under Pulumi mocks),
// with the policy config that stack is previewed with (policies/config/<stack>.json).

const results = new Map<StackName, Violation[]>();

beforeAll(async () => {
  for (const stack of STACKS) {
    const { resources } = await runStack(stack);
    results.set(stack, await runPolicies(allPolicies, resources, policyConfigFor(stack)));
  }
}, 120_000);

suite("policy pack over the synthesized stacks", () => {
  for (const stack of STACKS) {
    it(`${stack}: no mandatory violations`, () => {
      const found = mandatory(results.get(stack)!);
      expect(found, `mandatory violations in ${stack}:\n${describe(found)}`).toEqual([]);
    });

    it(`${stack}: advisory findings are only the known, tracked ones`, () => {
      const advisory = results.get(stack)!.filter((v) => v.level === "advisory");
      // Tracked: keycloak needs a writable
      // root (its Quarkus build dir); the postgres socket emptyDir has no size limit.
      const known = ["k8s-read-only-root-filesystem", "k8s-emptydir-size-limit"];
      expect(
        advisory.filter((v) => !known.includes(v.policy)),
        describe(advisory),
      ).toEqual([]);
    });
  }
});
