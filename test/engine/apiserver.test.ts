import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STACKS } from "../harness";
import { ControlPlane, synthToDisk } from "./support";

// Every object the program declares for dev, staging and prod, applied to a real
// kube-apiserver: schema validation and strict field validation server-side, Pod
// Security admission against the namespace's "restricted" labels, a second apply that
// changes nothing, and a delete that leaves nothing behind.
//
// The real engine applies staging (cluster.test.ts); this applies every stack's objects,
// prod's AWS-dependent ones included, with kubectl's strict validation and Pod Security
// warnings read, which the engine reports less plainly.

let plane: ControlPlane;

beforeAll(async () => {
  plane = await ControlPlane.start();
  plane.installCertManagerCrds();
});

afterAll(() => plane?.stop());

describe.each(STACKS)("the %s stack on a real kube-apiserver", (stack) => {
  let synth: Awaited<ReturnType<typeof synthToDisk>>;
  const apply = (dir: string) => plane.kubectl(["apply", "--server-side", "--field-manager=blacklake", "--validate=strict", "-f", dir]);

  beforeAll(async () => {
    synth = await synthToDisk(stack);
  });

  it("accepts every object, with no Pod Security warning", () => {
    for (const dir of [synth.clusterDir, synth.namespacedDir]) {
      const result = apply(dir);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr, "warnings from the API server").not.toMatch(/Warning/);
    }
  });

  it("stores every object it was given", () => {
    for (const o of synth.objects) {
      const args = ["get", o.kind, o.metadata.name, "-o", "json", ...(o.metadata.namespace ? ["-n", o.metadata.namespace] : [])];
      const result = plane.kubectl(args);
      expect(result.status, `${o.kind}/${o.metadata.name}: ${result.stderr}`).toBe(0);
      const stored = JSON.parse(result.stdout);
      expect(stored.metadata.labels["app.kubernetes.io/managed-by"], `${o.kind}/${o.metadata.name}`).toBe("pulumi");
    }
  });

  it("changes nothing on a second apply", () => {
    for (const dir of [synth.clusterDir, synth.namespacedDir]) {
      const diff = plane.kubectl(["diff", "--server-side", "--field-manager=blacklake", "-f", dir]);
      expect(diff.status, `kubectl diff found changes:\n${diff.stdout}${diff.stderr}`).toBe(0);
    }
  });

  it("leaves nothing behind when deleted", () => {
    const deleted = plane.kubectl(["delete", "namespace", synth.namespace, "--wait=true", "--timeout=120s"]);
    expect(deleted.status, deleted.stderr).toBe(0);
    // The cluster-scoped objects (ClusterRoles, the PriorityClass) outlive the namespace.
    const clusterScoped = plane.kubectl(["delete", "--ignore-not-found", "--wait=true", "--timeout=120s", "-f", synth.clusterDir]);
    expect(clusterScoped.status, clusterScoped.stderr).toBe(0);
    for (const o of synth.objects.filter((x) => !x.metadata.namespace)) {
      expect(plane.kubectl(["get", o.kind, o.metadata.name]).stderr, `${o.kind}/${o.metadata.name}`).toMatch(/NotFound|not found/);
    }
    const left = plane.kubectl(["get", "namespace", synth.namespace]);
    expect(left.status).not.toBe(0);
    expect(left.stderr).toContain("NotFound");
  });
});

describe("the API server tier catches what it should", () => {
  let synth: Awaited<ReturnType<typeof synthToDisk>>;
  let statefulSet: string;

  beforeAll(async () => {
    synth = await synthToDisk("staging");
    const applied = plane.kubectl(["apply", "--server-side", "-f", synth.clusterDir]);
    expect(applied.status, applied.stderr).toBe(0);
    statefulSet = fs.readFileSync(path.join(synth.namespacedDir, "statefulset-postgres.yaml"), "utf8");
  });

  afterAll(() => plane.kubectl(["delete", "namespace", synth.namespace, "--wait=false"]));

  it("warns when a pod template breaks the restricted Pod Security profile", () => {
    const insecure = statefulSet.replace(/allowPrivilegeEscalation: false/g, "allowPrivilegeEscalation: true");
    const result = plane.kubectl(["apply", "--server-side", "--dry-run=server", "-f", "-"], insecure);
    expect(result.stderr).toMatch(/would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
  });

  it("rejects a field the schema does not declare", () => {
    const typo = statefulSet.replace("serviceName:", "serviceNmae:");
    const result = plane.kubectl(["apply", "--server-side", "--dry-run=server", "--validate=strict", "-f", "-"], typo);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("field not declared in schema");
  });
});
