import { describe, expect, it } from "vitest";
import { postgresClusterExample } from "../../examples/postgres-cluster";
import { Keycloak } from "../../components/keycloak";
import { KEYCLOAK_DEFAULT_IMAGES, keycloakSettings } from "../../components/keycloak/settings";
import type { MonitoringMixin } from "../../components/lib/mixin";
import { MinioTenant } from "../../components/minio";
import { MINIO_DEFAULT_IMAGES, minioSettings } from "../../components/minio/settings";
import { tlsSettings } from "../../components/tls/settings";
import { Monitoring } from "../../components/monitoring";
import { NetworkPolicies } from "../../components/network";
import { MONITORING_DEFAULT_IMAGES, monitoringSettings } from "../../components/monitoring/settings";
import { RedisQueue } from "../../components/redis";
import { REDIS_DEFAULT_IMAGES, redisSettings } from "../../components/redis/settings";
import { type Registered, runProgram } from "../harness";

// Each component composed on its own, outside the platform, with a namespace that is not
// its instance label (the platform's stacks use one value for both, so a component that
// took one for the other looked right there). Everything that names the namespace (object
// metadata, Service DNS names in env and files, PromQL selectors) must say the namespace;
// the instance value may appear only as the app.kubernetes.io/instance label.

const NAMESPACE = "data";
const INSTANCE = "orders";

const placement = { namespace: NAMESPACE, instance: INSTANCE, storageClass: "standard" };

/** What is wrong with where a run put things: a line per misplaced name. */
function misplaced(registered: Registered, mixins: MonitoringMixin[]): string[] {
  const problems: string[] = [];
  for (const r of registered.kubernetesObjects()) {
    const metadata = r.inputs.metadata as { namespace?: string; labels?: Record<string, string> } | undefined;
    const clusterScoped = /:(ClusterRole|ClusterRoleBinding|Namespace)$/.test(r.type);
    if (!clusterScoped && metadata?.namespace !== NAMESPACE) problems.push(`${r.type} ${r.name}: metadata.namespace is ${metadata?.namespace}`);
    if (metadata?.labels?.["app.kubernetes.io/instance"] !== INSTANCE) problems.push(`${r.type} ${r.name}: instance label is ${metadata?.labels?.["app.kubernetes.io/instance"]}`);
    const text = JSON.stringify(r.inputs);
    for (const wrong of [`.${INSTANCE}.svc`, `namespace=\\"${INSTANCE}\\"`]) if (text.includes(wrong)) problems.push(`${r.type} ${r.name}: names ${wrong}`);
  }
  for (const mixin of mixins) {
    for (const group of mixin.ruleGroups) {
      for (const rule of group.rules) {
        const namespaces = [...rule.expr.matchAll(/namespace="([^"]*)"/g)].map((m) => m[1]);
        if (namespaces.some((n) => n !== NAMESPACE)) problems.push(`${mixin.name} rule ${"alert" in rule ? rule.alert : rule.record}: selects namespace ${namespaces.join(", ")}`);
      }
    }
    for (const target of mixin.scrapeTargets) if (target.namespace !== NAMESPACE) problems.push(`${mixin.name} scrape target ${target.jobName}: namespace ${target.namespace}`);
  }
  return problems;
}

describe("a component composed on its own, in a namespace other than its instance label", () => {
  it("examples/postgres-cluster: the PostgreSQL cluster with its backups and mixin, from its own settings", async () => {
    const { registered, outputs } = await runProgram(postgresClusterExample, { namespace: NAMESPACE, instance: INSTANCE, backupBucket: "orders-backups" });
    expect(misplaced(registered, [outputs.alertRules])).toEqual([]);
    const sts = registered.one("kubernetes:apps/v1:StatefulSet", "orders-db").inputs as any;
    expect(sts.spec.replicas).toBe(2);
    const env = Object.fromEntries(sts.spec.template.spec.containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    expect(env.PRIMARY_HOST).toBe("orders-db-0.orders-db-pods.data.svc");
    const conf = (registered.one("kubernetes:core/v1:ConfigMap", "orders-db-config").inputs as any).data["pgbackrest.conf"];
    expect(conf).toContain("repo1-s3-bucket=orders-backups");
    expect(conf).toContain("repo1-path=/orders");
    // The schedules the example set reach the CronJobs and the backup-age alerts.
    expect((registered.one("kubernetes:batch/v1:CronJob", "orders-db-backup-repo1-incr").inputs as any).spec.schedule).toBe("0 */2 * * *");
    expect(registered.has("kubernetes:core/v1:Namespace", NAMESPACE)).toBe(false); // it uses the namespace it is given
  });

  it("Redis: Sentinel's primary host and the mixin are in the namespace", async () => {
    const { registered, outputs } = await runProgram(() => new RedisQueue("redis", { ...placement, settings: redisSettings.parse({}), images: REDIS_DEFAULT_IMAGES }));
    expect(misplaced(registered, [outputs.mixin])).toEqual([]);
    const files = (registered.one("kubernetes:core/v1:ConfigMap", "redis-config").inputs as any).data;
    expect(files["sentinel.conf"]).toContain("redis-0.redis-pods.data.svc");
  });

  it("Monitoring: Alertmanager's peers and Prometheus' Alertmanagers are in the namespace", async () => {
    const { registered } = await runProgram(
      () =>
        new Monitoring("monitoring", {
          ...placement,
          settings: monitoringSettings.parse({}),
          images: MONITORING_DEFAULT_IMAGES,
          mixins: [],
          scrapeSecrets: [],
          caSecretName: "ca",
          grafanaUrl: "https://grafana.example.test",
        }),
    );
    expect(misplaced(registered, [])).toEqual([]);
    const am = registered.one("kubernetes:apps/v1:StatefulSet", "alertmanager").inputs as any;
    expect(am.spec.template.spec.containers[0].args).toContain("--cluster.peer=alertmanager-1.alertmanager-pods.data.svc:9094");
    const prometheusYml = (registered.one("kubernetes:core/v1:ConfigMap", "prometheus-config").inputs as any).data["prometheus.yml"];
    expect(prometheusYml).toContain("alertmanager-0.alertmanager-pods.data.svc:9093");
    // Cluster-scoped names are unique per namespace, which is unique in a cluster; an instance label need not be.
    expect(
      registered
        .ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")
        .map((r) => (r.inputs.metadata as { name: string }).name)
        .sort(),
    ).toEqual(["data-kube-state-metrics", "data-prometheus"]);
  });

  // A child's URN carries its parent's type but not its name: children named after their
  // parts (prometheus, allow-dns) would collide between two instances, which the engine
  // refuses ("Duplicate resource URN"). The components prefix them with their own name.
  it("two Monitoring and two NetworkPolicies instances in one program: every URN is unique", async () => {
    const monitoring = (ns: string) =>
      new Monitoring(`monitoring-${ns}`, {
        namespace: ns,
        instance: ns,
        storageClass: "standard",
        settings: monitoringSettings.parse({}),
        images: MONITORING_DEFAULT_IMAGES,
        mixins: [],
        scrapeSecrets: [],
        caSecretName: "ca",
        grafanaUrl: "https://grafana.example.test",
      });
    const network = (ns: string) =>
      new NetworkPolicies(`network-${ns}`, {
        namespace: ns,
        instance: ns,
        ingressNamespace: "ingress",
        apiServerCidrs: ["10.0.0.1/32"],
        internetCidrs: ["0.0.0.0/0"],
        nodeCidrs: ["10.0.0.0/16"],
      });
    const { registered } = await runProgram(() => [monitoring("a"), monitoring("b"), network("a"), network("b")]);
    const urns = registered.resources.map((r) => r.urn);
    expect(urns.filter((urn, i) => urns.indexOf(urn) !== i)).toEqual([]);
    expect(registered.one("kubernetes:apps/v1:StatefulSet", "monitoring-a-prometheus").inputs.metadata).toMatchObject({ name: "prometheus", namespace: "a" });
  });

  it("MinIO and Keycloak: their mixins are in the namespace", async () => {
    const { registered: minio, outputs: tenant } = await runProgram(
      () => new MinioTenant("minio", { ...placement, settings: minioSettings.parse({}), images: MINIO_DEFAULT_IMAGES, consumerCredentials: {}, tls: tlsSettings.parse({}) }),
    );
    expect(misplaced(minio, [tenant.mixin])).toEqual([]);
    const { registered: keycloak, outputs: identity } = await runProgram(
      () =>
        new Keycloak("keycloak", {
          ...placement,
          settings: keycloakSettings.parse({}),
          images: KEYCLOAK_DEFAULT_IMAGES,
          domain: "example.com",
          databaseSecretName: "keycloak-db",
          databaseCa: { volume: { name: "db-ca", secret: { secretName: "db-tls" } }, mount: { kind: "files", volume: "db-ca", path: "/etc/db-ca" } },
        }),
    );
    expect(misplaced(keycloak, [identity.mixin])).toEqual([]);
  });
});
