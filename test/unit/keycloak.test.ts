import { describe, expect, it } from "vitest";
import { runStack } from "../harness";

describe("the Keycloak component", () => {
  it("runs at least 2 replicas in prod, scaled by an HPA on CPU within the guide's windows", async () => {
    const run = await runStack("prod");
    const deployment = (run.one("kubernetes:apps/v1:Deployment", "keycloak").inputs as any).spec;
    expect(deployment.replicas).toBe(2);
    const hpa = (run.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "keycloak").inputs as any).spec;
    expect(hpa).toMatchObject({ minReplicas: 2, maxReplicas: 4, scaleTargetRef: { kind: "Deployment", name: "keycloak" } });
    expect(hpa.metrics[0].resource.target.averageUtilization).toBe(70);
    expect(hpa.behavior.scaleUp.stabilizationWindowSeconds).toBe(120);
    expect(hpa.behavior.scaleDown.stabilizationWindowSeconds).toBe(300);
  });

  it("has no HPA where autoscaling is off (dev, staging)", async () => {
    const run = await runStack("staging");
    expect(run.ofType("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").filter((h) => h.name === "keycloak")).toEqual([]);
    expect((run.one("kubernetes:apps/v1:Deployment", "keycloak").inputs as any).spec.replicas).toBe(1);
  });

  it("imports the realm from a Secret and keeps its database credentials in the database's Secret", async () => {
    const run = await runStack("prod");
    const realm = run.one("kubernetes:core/v1:Secret", "keycloak-realm");
    expect(realm.secretInputs).toContain("stringData");
    const realmJson = JSON.parse((realm.inputs as any).stringData["blacklake.json"]);
    expect(realmJson.realm).toBe("blacklake");
    expect(realmJson.clients.find((c: any) => c.clientId === "blacklake-api").secret).toBe("mock-random-keycloak-api-client");
    const container = (run.one("kubernetes:apps/v1:Deployment", "keycloak").inputs as any).spec.template.spec.containers[0];
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom.secretKeyRef]));
    expect(env.KC_DB_URL).toEqual({ name: "postgres-db-keycloak", key: "jdbcUrl" });
    expect(env.KC_DB_PASSWORD).toEqual({ name: "postgres-db-keycloak", key: "password" });
    expect(env.KC_HOSTNAME).toBe("https://auth.blacklake.example.com");
    expect(env.KC_METRICS_ENABLED).toBe("true");
    expect(container.volumeMounts).toEqual([
      { name: "realm", mountPath: "/opt/keycloak/data/import", readOnly: true },
      // The database's CA, which the JDBC URL verifies the server with.
      { name: "postgres-ca", mountPath: "/etc/postgres-tls", readOnly: true },
    ]);
    expect(container.readinessProbe.httpGet).toEqual({ path: "/health/ready", port: "management" });
  });

  it("gets its own database on the platform PostgreSQL", async () => {
    const run = await runStack("prod");
    const job = (run.one("kubernetes:batch/v1:Job", "postgres-db-keycloak").inputs as any).spec.template.spec.containers[0];
    expect(job.env.find((e: any) => e.name === "DATABASE").value).toBe("keycloak");
    expect(job.command.join(" ")).toContain("--file=/etc/postgres/provision-database.sql");
  });
});
