import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changedSteps, checkpoint, ControlPlane, engine, type EngineOptions, type EngineResult } from "./support";

// staging and prod under the real engine against a real kube-apiserver on loopback: what
// CI runs on every pull request (preview with the policy pack) and on merge (up). The
// control plane has no kubelet, so kubernetes.skipAwait is on for what this file applies
// (staging); a preview never waits, so prod, which refuses skipAwait, previews without it.
// The aws and docker providers cannot be built here, so --no-cloud turns AWS and image
// builds off.

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "blacklake-engine-cluster-"));
let plane: ControlPlane;
let options: EngineOptions;

beforeAll(async () => {
  plane = await ControlPlane.start();
  plane.installCertManagerCrds();
  options = { stateDir, kubeconfig: plane.kubeconfig, noCloud: true, set: { "kubernetes.skipAwait": "true" } };
});

afterAll(() => {
  plane?.stop();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

const mandatory = (r: EngineResult) => r.report!.policyViolations.filter((v) => v.level === "mandatory");

/** kubectl's name for the type of a Pulumi kubernetes resource, e.g. StatefulSet.v1.apps. */
function kubectlKind(type: string): string {
  const [, groupVersion, kind] = type.split(":");
  if (groupVersion === undefined) throw new Error(`not a Pulumi kubernetes type: ${type}`);
  const [group, version] = groupVersion.split("/");
  return group === "core" ? `${kind}.${version}.` : `${kind}.${version}.${group}`;
}

describe.each(["staging", "prod"])("preview of %s with the policy pack", (stack) => {
  it("plans every resource with no mandatory violation", () => {
    const preview = engine("preview", stack, { ...options, set: stack === "prod" ? {} : options.set });
    expect(preview.status, preview.output).toBe(0);
    expect(preview.output).toContain("--no-cloud: AWS resources and image builds are off");
    expect(preview.report!.changes.create).toBeGreaterThan(100);
    expect(mandatory(preview)).toEqual([]);
  });
});

describe("the policy pack under the real engine", () => {
  it("fails a preview that breaks a mandatory policy, naming it", () => {
    const preview = engine("preview", "staging", { ...options, set: { ...options.set, "images.api": "registry.example.com/blacklake/api:1.0.0" } });
    expect(preview.status).not.toBe(0);
    expect(mandatory(preview).map((v) => v.policy)).toEqual(["k8s-allowed-registries"]);
    expect(preview.output).toContain("k8s-allowed-registries");
    expect(preview.output).toMatch(/mandatory/);
  });
});

/** Typical one-value changes and the objects (kind, Pulumi name) that must update. */
const TYPICAL_CHANGES: Record<string, { set: Record<string, string>; updates: string[] }> = {
  "a backup schedule": {
    set: { "postgres.backups.pgbackrest.repos[0].schedules.full": "0 3 * * *" },
    // The rule files change; Prometheus reloads them in place, so its StatefulSet does not change.
    updates: ["CronJob postgres-backup-repo1-full", "ConfigMap monitoring-prometheus-rules"],
  },
  "postgres maxConnections": {
    set: { "postgres.parameters.maxConnections": "200" },
    updates: ["ConfigMap postgres-config", "StatefulSet postgres"],
  },
  "an alert threshold": {
    set: { "postgres.replicationLagAlertSeconds": "90" },
    updates: ["ConfigMap monitoring-prometheus-rules"],
  },
  "the API image": {
    set: { "images.api": "ghcr.io/blacklake/api:1.0.1" },
    updates: ["Deployment api"],
  },
  "Redis maxmemory": {
    set: { "redis.maxmemory": "128mb" },
    updates: ["ConfigMap redis-config", "StatefulSet redis"],
  },
  "an HPA bound": {
    set: { "api.autoscaling.maxReplicas": "8" },
    updates: ["HorizontalPodAutoscaler api"],
  },
};

/** The stack's Kubernetes objects, from its checkpoint, each with a kubectl get. */
function kubernetesObjectsOfStack() {
  return checkpoint(stateDir, "staging")
    .resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers:"))
    .map((r) => {
      const [namespace, name] = r.id!.includes("/") ? r.id!.split("/") : [undefined, r.id!];
      return { ...r, get: () => plane.kubectl(["get", kubectlKind(r.type), name, "-o", "name", ...(namespace ? ["-n", namespace] : [])]) };
    });
}

describe("the staging stack applied by the real engine", () => {
  let up: EngineResult;
  beforeAll(() => {
    up = engine("up", "staging", options);
  });

  it("comes up with no mandatory violation", () => {
    expect(up.status, up.output).toBe(0);
    expect(mandatory(up)).toEqual([]);
    expect(up.report!.changes.create).toBeGreaterThan(100);
  });

  it("stored every Kubernetes object of the stack in the API server", () => {
    const objects = kubernetesObjectsOfStack();
    expect(objects.length).toBeGreaterThan(80);
    for (const o of objects) {
      const got = o.get();
      expect(got.status, `${o.type} ${o.id}: ${got.stderr}`).toBe(0);
    }
  });

  it("changes nothing on a second up, and a refresh finds no drift", () => {
    const second = engine("up", "staging", options);
    expect(second.status, second.output).toBe(0);
    expect(changedSteps(second.report!)).toEqual([]);
    const refresh = engine("refresh", "staging", options);
    expect(refresh.status, refresh.output).toBe(0);
    expect(Object.keys(refresh.report!.changes)).toEqual(["same"]);
  });

  // What a reviewer reads in a pull request: each typical change plans exactly the updates
  // of the objects that carry the value, in place. Never a replaced StatefulSet, volume or
  // Secret, never a regenerated password.
  it.each(Object.entries(TYPICAL_CHANGES))("previews %s as exactly its updates", (_change, { set, updates }) => {
    const preview = engine("preview", "staging", { ...options, set: { ...options.set, ...set } });
    expect(preview.status, preview.output).toBe(0);
    const changed = changedSteps(preview.report!);
    expect(changed.map((s) => `${s.op} ${s.type.split(":").pop()} ${s.urn.split("::").pop()}`).sort()).toEqual(updates.map((u) => `update ${u}`).sort());
    for (const step of changed) expect(step.replaceKeys, step.urn).toEqual([]);
  });

  it("deletes every object it created on destroy, the namespace included", () => {
    const objects = kubernetesObjectsOfStack();
    const destroyed = engine("destroy", "staging", options);
    expect(destroyed.status, destroyed.output).toBe(0);
    expect(checkpoint(stateDir, "staging").resources).toEqual([]);
    const gone = plane.kubectl(["wait", "--for=delete", "namespace/blacklake-staging", "--timeout=120s"]);
    expect(gone.status, gone.stderr).toBe(0);
    for (const o of objects) expect(o.get().stderr, `${o.type} ${o.id}`).toMatch(/NotFound|not found/);
  });
});
