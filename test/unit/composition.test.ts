import { describe, expect, it } from "vitest";
import { type Registered, runStack, STACKS } from "../harness";

// The three environments share one composition; these tests pin what each gets.

const COMPONENTS = [
  "blacklake:namespace:PlatformNamespace",
  "blacklake:postgres:PostgresCluster",
  "blacklake:minio:MinioTenant",
  "blacklake:redis:RedisQueue",
  "blacklake:keycloak:Keycloak",
  "blacklake:workload:Workload",
  "blacklake:monitoring:Monitoring",
];

describe.each(STACKS)("the %s composition", (stack) => {
  it("registers every platform component once, at the top of the tree", async () => {
    const run = await runStack(stack);
    for (const type of COMPONENTS) {
      const found = run.ofType(type);
      expect(found, type).toHaveLength(1);
      expect(found[0]!.parent, type).toBeUndefined();
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

  it("prod runs an HA pair of Prometheus servers, on separate nodes where it can, with a PDB; the others one", async () => {
    const prometheus = (r: Registered) => r.one("kubernetes:apps/v1:StatefulSet", "prometheus").inputs as any;
    const prod = await runStack("prod");
    expect(prometheus(prod).spec.replicas).toBe(2);
    expect(prometheus(prod).spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchLabels).toEqual(
      prometheus(prod).spec.selector.matchLabels,
    );
    expect((prod.one("kubernetes:policy/v1:PodDisruptionBudget", "prometheus").inputs as any).spec.maxUnavailable).toBe(1);
    const alertmanager = prod.one("kubernetes:apps/v1:StatefulSet", "alertmanager").inputs as any;
    expect(alertmanager.spec.replicas).toBeGreaterThan(1);
    expect(alertmanager.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm).toEqual({
      topologyKey: "kubernetes.io/hostname",
      labelSelector: { matchLabels: alertmanager.spec.selector.matchLabels },
    });
    for (const stack of ["dev", "staging"] as const) {
      const run = await runStack(stack);
      expect(prometheus(run).spec.replicas, stack).toBe(1);
      expect(run.has("kubernetes:policy/v1:PodDisruptionBudget", "prometheus"), stack).toBe(false);
    }
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
    expect(run.has("blacklake:postgres:PostgresCluster", "postgres")).toBe(true);
  });
});

// Names one component produces and another consumes (components/lib/names.ts): each
// consumer must find what the producer made, as the stack renders both.
describe.each(STACKS)("the %s stack's shared names", (stack) => {
  const configMap = (run: Awaited<ReturnType<typeof runStack>>, name: string) => (run.one("kubernetes:core/v1:ConfigMap", name).inputs as { data: Record<string, string> }).data;

  it("the API and pgBackRest use buckets the MinIO bootstrap creates, on the MinIO Service", async () => {
    const run = await runStack(stack);
    const buckets = configMap(run, "minio-bootstrap").buckets!.trim().split("\n");
    const api = run.one("kubernetes:apps/v1:Deployment", "api").inputs as { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } };
    const env = Object.fromEntries(api.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value]));
    expect(buckets).toContain(env.S3_BUCKET);
    expect(buckets).toContain(env.S3_EXPORTS_BUCKET);
    const conf = configMap(run, "postgres-config")["pgbackrest.conf"]!;
    expect(buckets).toContain(/^repo1-s3-bucket=(.*)$/m.exec(conf)?.[1]);
    const minioService = run.one("kubernetes:core/v1:Service", "minio").inputs as { metadata: { name: string; namespace: string } };
    expect(/^repo1-s3-endpoint=(.*)$/m.exec(conf)?.[1]).toBe(`${minioService.metadata.name}.${minioService.metadata.namespace}.svc`);
  });

  it("Keycloak connects with the role and database the provisioning Job creates", async () => {
    const run = await runStack(stack);
    type Env = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } };
    const envOf = (type: string, name: string) =>
      Object.fromEntries(
        (run.one(type, name).inputs as { spec: { template: { spec: { containers: { env: Env[] }[] } } } }).spec.template.spec.containers[0]!.env.map((e) => [e.name, e]),
      );
    const job = envOf("kubernetes:batch/v1:Job", "postgres-db-keycloak");
    const keycloak = envOf("kubernetes:apps/v1:Deployment", "keycloak");
    const secretName = keycloak.KC_DB_USERNAME!.valueFrom?.secretKeyRef.name;
    expect(secretName).toBe(job.OWNER_PASSWORD!.valueFrom?.secretKeyRef.name);
    const secret = (run.one("kubernetes:core/v1:Secret", String(secretName)).inputs as { stringData: Record<string, string> }).stringData;
    expect(secret.username).toBe(job.OWNER!.value);
    expect(secret.database).toBe(job.DATABASE!.value);
    expect(secret.jdbcUrl).toMatch(new RegExp(`/${job.DATABASE!.value}\\?sslmode=verify-full&`));
  });
});
