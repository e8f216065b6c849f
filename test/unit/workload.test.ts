import { describe, expect, it } from "vitest";
import { runStack } from "../harness";

describe("the API workload", () => {
  it("scales 2..20 on CPU 70% in prod, up within 2 minutes, down after 5", async () => {
    const run = await runStack("prod");
    const hpa = (run.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "api").inputs as any).spec;
    expect(hpa).toMatchObject({ minReplicas: 2, maxReplicas: 20, scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "api" } });
    expect(hpa.metrics).toEqual([{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }]);
    expect(hpa.behavior.scaleUp.stabilizationWindowSeconds).toBe(120);
    expect(hpa.behavior.scaleDown.stabilizationWindowSeconds).toBe(300);
  });

  it("runs restricted pods with the baseline requests, probes on /live and /health/ready, port 8080", async () => {
    const run = await runStack("prod");
    const spec = (run.one("kubernetes:apps/v1:Deployment", "api").inputs as any).spec;
    expect(spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    const pod = spec.template.spec;
    const c = pod.containers[0];
    expect(c.resources.requests).toEqual({ cpu: "100m", memory: "128Mi", "ephemeral-storage": "64Mi" });
    expect(c.resources.limits["ephemeral-storage"]).toBe("2Gi");
    expect(c.ports).toEqual([{ name: "http", containerPort: 8080 }]);
    expect(c.livenessProbe.httpGet).toEqual({ path: "/live", port: "http" });
    expect(c.readinessProbe.httpGet).toEqual({ path: "/health/ready", port: "http" });
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.topologySpreadConstraints.map((t: any) => t.topologyKey)).toEqual(["kubernetes.io/hostname", "topology.kubernetes.io/zone"]);
    expect((run.one("kubernetes:policy/v1:PodDisruptionBudget", "api").inputs as any).spec.maxUnavailable).toBe(1);
  });

  it("reads every credential from a Secret, none as a literal", async () => {
    const run = await runStack("prod");
    const env = (run.one("kubernetes:apps/v1:Deployment", "api").inputs as any).spec.template.spec.containers[0].env;
    const fromSecret = Object.fromEntries(env.filter((e: any) => e.valueFrom).map((e: any) => [e.name, e.valueFrom.secretKeyRef]));
    expect(fromSecret.DATABASE_URL).toEqual({ name: "postgres-app", key: "uri" });
    expect(fromSecret.REDIS_PASSWORD).toEqual({ name: "redis-app", key: "password" });
    // Sentinel is on in prod: writers find the primary through it, not through the Service of every replica.
    const plain = Object.fromEntries(env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
    expect(plain).toMatchObject({ REDIS_SENTINEL_HOST: "redis-sentinel.blacklake.svc", REDIS_SENTINEL_PORT: "26379", REDIS_MASTER_NAME: "queue" });
    // OIDC discovery on Keycloak's Service, which the API's NetworkPolicy reaches (the ingress it does not).
    expect(plain.OIDC_DISCOVERY_URL).toBe("http://keycloak.blacklake.svc:8080/realms/blacklake/.well-known/openid-configuration");
    const keycloakEnv = (run.one("kubernetes:apps/v1:Deployment", "keycloak").inputs as any).spec.template.spec.containers[0].env;
    expect(keycloakEnv).toEqual(
      expect.arrayContaining([
        { name: "KC_HOSTNAME", value: "https://auth.blacklake.example.com" },
        { name: "KC_HOSTNAME_BACKCHANNEL_DYNAMIC", value: "true" },
      ]),
    );
    expect(fromSecret.S3_SECRET_ACCESS_KEY).toEqual({ name: "minio-api-credentials", key: "secretKey" });
    expect(fromSecret.OIDC_CLIENT_SECRET).toEqual({ name: "keycloak-api-client", key: "clientSecret" });
    expect(JSON.stringify(env)).not.toContain("mock-random");
  });

  it("spreads across nodes only where the stack is not highly available", async () => {
    const run = await runStack("dev");
    const pod = (run.one("kubernetes:apps/v1:Deployment", "api").inputs as any).spec.template.spec;
    expect(pod.topologySpreadConstraints.map((t: any) => t.topologyKey)).toEqual(["kubernetes.io/hostname"]);
    expect((run.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "api").inputs as any).spec).toMatchObject({ minReplicas: 1, maxReplicas: 2 });
  });
});
