import { describe, expect, it } from "vitest";
import { runStack, STACKS } from "../harness";

// The three environments share one composition; these tests pin what each gets.

const COMPONENTS = [
  "blacklake:platform:Namespace",
  "blacklake:postgres:Cluster",
  "blacklake:minio:Tenant",
  "blacklake:redis:Queue",
  "blacklake:keycloak:Keycloak",
  "blacklake:workload:Workload",
  "blacklake:monitoring:Stack",
];

describe.each(STACKS)("the %s composition", (stack) => {
  it("registers every platform component once, at the top of the tree", async () => {
    const run = await runStack(stack);
    for (const type of COMPONENTS) {
      const found = run.ofType(type);
      expect(found, type).toHaveLength(1);
      expect(found[0].parent, type).toBeUndefined();
    }
  });

  it("sends every Kubernetes object through the stack's explicit provider", async () => {
    const run = await runStack(stack);
    const objects = run.kubernetesObjects();
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) expect(o.provider, `${o.type} ${o.name}`).toBe("kubernetes");
  });

  it("declares no Job that deletes itself (the cluster removing what Pulumi owns is drift)", async () => {
    const run = await runStack(stack);
    const jobs = run.ofType("kubernetes:batch/v1:Job");
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) expect((job.inputs.spec as { ttlSecondsAfterFinished?: number }).ttlSecondsAfterFinished, job.name).toBeUndefined();
  });

  it("creates the namespace with the restricted Pod Security labels and standard labels", async () => {
    const run = await runStack(stack);
    const ns = run.one("kubernetes:core/v1:Namespace", "namespace");
    expect(ns.parent).toBe("namespace");
    const labels = (ns.inputs.metadata as { labels: Record<string, string> }).labels;
    expect(labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    expect(labels["app.kubernetes.io/part-of"]).toBe("blacklake");
    expect(labels["app.kubernetes.io/managed-by"]).toBe("pulumi");
  });
});

describe("differences between environments come from their stack files", () => {
  it("dev renders manifests to a directory instead of a cluster", async () => {
    const dev = await runStack("dev");
    expect(dev.one("pulumi:providers:kubernetes", "kubernetes").inputs.renderYamlToDirectory).toBe("out/dev-manifests");
    const prod = await runStack("prod");
    expect(prod.one("pulumi:providers:kubernetes", "kubernetes").inputs.renderYamlToDirectory).toBeUndefined();
  });

  it("each environment gets its own namespace", async () => {
    const names = await Promise.all(
      STACKS.map(async (s) => {
        const run = await runStack(s);
        return (run.one("kubernetes:core/v1:Namespace", "namespace").inputs.metadata as { name: string }).name;
      }),
    );
    expect(names).toEqual(["blacklake-dev", "blacklake-staging", "blacklake"]);
  });

  it("only prod declares the off-site backup", async () => {
    expect((await runStack("dev")).has("blacklake:aws:OffsiteBackup", "offsite")).toBe(false);
    expect((await runStack("staging")).has("blacklake:aws:OffsiteBackup", "offsite")).toBe(false);
    expect((await runStack("prod")).has("blacklake:aws:OffsiteBackup", "offsite")).toBe(true);
  });

  it("a switched-off component is not registered at all", async () => {
    const { stackConfig } = await import("../harness");
    const raw = stackConfig("dev");
    const run = await runStack("dev", { ...raw, values: { ...raw.values, keycloak: { enabled: false, replicas: 1, autoscaling: { enabled: false } } } });
    expect(run.has("blacklake:keycloak:Keycloak", "keycloak")).toBe(false);
    expect(run.has("blacklake:postgres:Cluster", "postgres")).toBe(true);
  });
});
