import { describe, expect, it } from "vitest";
import { podTemplateOf, runStack, stackConfig, STACKS } from "../harness";

// The public hosts: one Ingress per service of the configured class, HTTPS only with a
// cert-manager certificate of its own from the public issuer, each backend an existing
// Service port, and Keycloak's host the one its tokens name as their issuer.

type Ingress = {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    ingressClassName: string;
    tls: { hosts: string[]; secretName: string }[];
    rules: { host: string; http: { paths: { path: string; pathType: string; backend: { service: { name: string; port: { number: number } } } }[] } }[];
  };
};

describe.each(STACKS)("the %s stack's public hosts", (stack) => {
  it("an Ingress of the nginx class per public service, each TLS only with its own certificate from the public issuer", async () => {
    const run = await runStack(stack);
    const domain = String(stackConfig(stack).values.domain);
    const ingresses = run.ofType("kubernetes:networking.k8s.io/v1:Ingress").map((r) => r.inputs as unknown as Ingress);
    expect(ingresses.map((i) => i.spec.rules[0]!.host).sort()).toEqual([`api.${domain}`, `auth.${domain}`, `grafana.${domain}`]);
    for (const ingress of ingresses) {
      const host = ingress.spec.rules[0]!.host;
      expect(ingress.spec.ingressClassName).toBe("nginx");
      expect(ingress.spec.tls).toEqual([{ hosts: [host], secretName: `${ingress.metadata.name}-public-tls` }]);
      expect(ingress.metadata.annotations?.["nginx.ingress.kubernetes.io/force-ssl-redirect"]).toBe("true");
      const certificate = run.one("kubernetes:cert-manager.io/v1:Certificate", `${ingress.metadata.name}-public-tls`).inputs as any;
      expect(certificate.spec).toMatchObject({ secretName: `${ingress.metadata.name}-public-tls`, dnsNames: [host], issuerRef: { kind: "ClusterIssuer", name: "letsencrypt" } });
    }
  });

  it("routes to Services and ports that exist, and shows the world only Keycloak's realms", async () => {
    const run = await runStack(stack);
    for (const r of run.ofType("kubernetes:networking.k8s.io/v1:Ingress")) {
      for (const p of (r.inputs as unknown as Ingress).spec.rules[0]!.http.paths) {
        const service = run.one("kubernetes:core/v1:Service", p.backend.service.name).inputs as any;
        expect(
          service.spec.ports.map((port: { port: number }) => port.port),
          p.backend.service.name,
        ).toContain(p.backend.service.port.number);
        expect(p.pathType).toBe("Prefix");
      }
    }
    const keycloak = run.one("kubernetes:networking.k8s.io/v1:Ingress", "keycloak").inputs as unknown as Ingress;
    expect(keycloak.spec.rules[0]!.http.paths.map((p) => p.path)).toEqual(["/realms/", "/resources/"]);
    // The API checks tokens against this issuer: it is the Ingress's host.
    const issuer = (run.one("kubernetes:core/v1:Secret", "keycloak-api-client").inputs as any).stringData.issuer as string;
    expect(new URL(issuer).host).toBe(keycloak.spec.rules[0]!.host);
    // Grafana builds its redirects and links from its root URL: the Ingress's host.
    const grafana = run.one("kubernetes:networking.k8s.io/v1:Ingress", "grafana").inputs as unknown as Ingress;
    const grafanaEnv = (podTemplateOf(run.one("kubernetes:apps/v1:Deployment", "grafana"))!.spec as any).containers[0].env as { name: string; value?: string }[];
    expect(grafanaEnv.find((e) => e.name === "GF_SERVER_ROOT_URL")?.value).toBe(`https://${grafana.spec.rules[0]!.host}`);
  });
});

describe("ingress config", () => {
  it("ingress.enabled false: no Ingress and no public certificate", async () => {
    const raw = stackConfig("staging");
    const run = await runStack("staging", { ...raw, values: { ...raw.values, ingress: { enabled: false } } });
    expect(run.ofType("kubernetes:networking.k8s.io/v1:Ingress")).toEqual([]);
    expect(
      run
        .ofType("kubernetes:cert-manager.io/v1:Certificate")
        .map((c) => (c.inputs as any).spec.secretName)
        .sort(),
    ).toEqual(["minio-tls", "postgres-tls"]);
  });

  it("the class and the issuer come from the config", async () => {
    const raw = stackConfig("staging");
    const run = await runStack("staging", { ...raw, values: { ...raw.values, ingress: { className: "traefik", issuer: { kind: "Issuer", name: "public-acme" } } } });
    const api = run.one("kubernetes:networking.k8s.io/v1:Ingress", "api").inputs as unknown as Ingress;
    expect(api.spec.ingressClassName).toBe("traefik");
    expect((run.one("kubernetes:cert-manager.io/v1:Certificate", "api-public-tls").inputs as any).spec.issuerRef).toEqual({
      group: "cert-manager.io",
      kind: "Issuer",
      name: "public-acme",
    });
  });
});
