import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../harness";
import { ControlPlane } from "./support";

// `npm run preflight` against a real kube-apiserver on loopback: on a bare control plane it
// names everything the prod stack needs and the cluster lacks; once the prerequisites of
// docs/prerequisites.md exist (cert-manager's real CRDs, the issuers, the storage class,
// the IngressClass, the controller's namespace), only what this control plane cannot have
// is left: a metrics-server (no kubelet, no pods) and proof of an enforcing CNI.

let plane: ControlPlane;

beforeAll(async () => {
  plane = await ControlPlane.start();
});

afterAll(() => plane?.stop());

function preflight(stack: string): { status: number | null; lines: string[] } {
  const r = spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(ROOT, "scripts/preflight/main.ts"), "--stack", stack, "--kubeconfig", plane.kubeconfig], {
    env: plane.env,
    encoding: "utf8",
    timeout: 300_000,
  });
  return { status: r.status, lines: `${r.stdout}${r.stderr}`.trim().split("\n") };
}

const line = (lines: string[], check: string) => lines.find((l) => l.includes(` ${check}:`));
const apply = (manifest: object) => {
  const r = plane.kubectl(["apply", "-f", "-"], JSON.stringify(manifest));
  expect(r.status, r.stderr).toBe(0);
};

describe("npm run preflight -- --stack prod", () => {
  it("on a bare cluster: fails, naming each missing prerequisite and what to do", () => {
    const { status, lines } = preflight("prod");
    expect(status, lines.join("\n")).toBe(1);
    expect(line(lines, "Kubernetes version")).toMatch(/^ok +Kubernetes version: 1\.\d+$/);
    expect(line(lines, "cert-manager")).toMatch(/^MISSING cert-manager: install cert-manager \(no certificates\.cert-manager\.io, clusterissuers\.cert-manager\.io\)$/);
    expect(line(lines, "storage class fast-ssd")).toMatch(/^MISSING .*create it, or set kubernetes\.storageClass/);
    expect(line(lines, "IngressClass nginx")).toMatch(/^MISSING .*install an ingress controller of that class/);
    expect(line(lines, "ingress controller namespace ingress-nginx")).toMatch(/^MISSING /);
    expect(line(lines, "resource metrics API")).toMatch(/^MISSING .*install metrics-server.*not registered/);
    expect(line(lines, "NetworkPolicy enforcement")).toMatch(/^warn /);
    expect(lines.at(-1)).toBe("not ready: 5 missing (docs/prerequisites.md)");
  });

  it("with the prerequisites in place: only what a control plane without nodes cannot have is left", () => {
    plane.installCertManagerCrds();
    apply({ apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: "blacklake-internal-ca" }, spec: { ca: { secretName: "blacklake-ca" } } });
    apply({
      apiVersion: "cert-manager.io/v1",
      kind: "ClusterIssuer",
      metadata: { name: "letsencrypt" },
      spec: {
        acme: {
          server: "https://acme-v02.api.letsencrypt.org/directory",
          privateKeySecretRef: { name: "letsencrypt-account" },
          solvers: [{ http01: { ingress: { ingressClassName: "nginx" } } }],
        },
      },
    });
    apply({ apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "fast-ssd" }, provisioner: "example.com/ssd" });
    apply({ apiVersion: "networking.k8s.io/v1", kind: "IngressClass", metadata: { name: "nginx" }, spec: { controller: "k8s.io/ingress-nginx" } });
    apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "ingress-nginx" } });
    const { status, lines } = preflight("prod");
    expect(status, lines.join("\n")).toBe(1);
    for (const check of ["cert-manager", "storage class fast-ssd", "IngressClass nginx", "ingress controller namespace ingress-nginx"])
      expect(line(lines, check), check).toMatch(/^ok /);
    // No cert-manager controller runs here, so nothing reports the issuers Ready.
    expect(line(lines, "in-cluster (tls.issuer) issuer ClusterIssuer/blacklake-internal-ca")).toMatch(/^warn .*has not reported it Ready/);
    expect(line(lines, "public (ingress.issuer) issuer ClusterIssuer/letsencrypt")).toMatch(/^warn /);
    expect(lines.filter((l) => l.startsWith("MISSING"))).toEqual([expect.stringMatching(/^MISSING resource metrics API: install metrics-server/)]);
  });

  it("refuses an ACME issuer for the in-cluster certificates: it writes no ca.crt for the clients", () => {
    plane.kubectl(["delete", "clusterissuer", "blacklake-internal-ca"]);
    apply({
      apiVersion: "cert-manager.io/v1",
      kind: "ClusterIssuer",
      metadata: { name: "blacklake-internal-ca" },
      spec: { acme: { server: "https://acme.example.com/directory", privateKeySecretRef: { name: "acme" }, solvers: [{ http01: { ingress: { ingressClassName: "nginx" } } }] } },
    });
    const { lines } = preflight("prod");
    expect(line(lines, "in-cluster (tls.issuer) issuer ClusterIssuer/blacklake-internal-ca")).toMatch(/^MISSING .*ACME issuer, which writes no ca\.crt/);
  });
});
