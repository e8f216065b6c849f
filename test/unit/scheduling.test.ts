import { describe, expect, it } from "vitest";
import { STATEFUL_PRIORITY } from "../../components/namespace";
import { podTemplateOf, runStack, STACKS } from "../harness";

// The stateful tier is evicted last and scheduled first: a PriorityClass per stack (named
// after its namespace, being cluster-scoped) that the database, object store and queue use.

describe.each(STACKS)("the %s stack's scheduling priority", (stack) => {
  it("declares <namespace>-stateful above the default, preempting, not the cluster default, and gives it to PostgreSQL, MinIO and Redis only", async () => {
    const run = await runStack(stack);
    const [priorityClass] = run.ofType("kubernetes:scheduling.k8s.io/v1:PriorityClass").map((r) => r.inputs as any);
    const namespace = (run.ofType("kubernetes:core/v1:Namespace")[0]!.inputs as any).metadata.name;
    expect(priorityClass).toMatchObject({ metadata: { name: `${namespace}-stateful` }, value: STATEFUL_PRIORITY, globalDefault: false, preemptionPolicy: "PreemptLowerPriority" });
    const withPriority = run
      .ofType("kubernetes:apps/v1:StatefulSet")
      .concat(run.ofType("kubernetes:apps/v1:Deployment"))
      .filter((r) => podTemplateOf(r)?.spec?.priorityClassName === `${namespace}-stateful`)
      .map((r) => (r.inputs as any).metadata.name)
      .sort();
    expect(withPriority).toEqual(["minio", "postgres", "redis"]);
  });
});
