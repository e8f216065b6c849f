import { selectorLabels } from "../../components/lib/labels";
import type { MonitoringMixin } from "../../components/lib/mixin";
import { keycloakMixin } from "../../components/keycloak/mixin";
import { minioMixin } from "../../components/minio/mixin";
import { Monitoring } from "../../components/monitoring";
import { platformMixin } from "../../components/monitoring/platformAlerts";
import { sloMixin } from "../../components/monitoring/slo";
import { postgresMixin } from "../../components/postgres/mixin";
import { redisMixin } from "../../components/redis/mixin";

// The same monitoring mixins, in the same order, as the Kubernetes composition builds
// from its components (stacks/platform.ts): the rule files and dashboards rendered from
// them are byte-identical on both targets (test/unit/local.test.ts checks it).

export interface LocalMixinOptions {
  instance: string;
  postgresRepos: { index: number; schedules: { full: string; diff?: string; incr: string } }[];
  replicationLagAlertSeconds: number;
  restoreDrill: boolean;
  keycloak: boolean;
}

const selector = (name: string, instance: string, component: string) => selectorLabels({ name, instance, component });

export function localMixins(o: LocalMixinOptions): MonitoringMixin[] {
  const ns = o.instance;
  return [
    platformMixin({
      namespace: ns,
      api: { namespace: ns, podSelector: selector("api", ns, "api"), portName: "http", path: "/metrics" },
      kubeStateMetrics: { namespace: ns, podSelector: Monitoring.kubeStateMetricsSelector(ns), portName: "http-metrics" },
    }),
    sloMixin({ namespace: ns }),
    postgresMixin({
      namespace: ns,
      name: "postgres",
      podSelector: selector("postgres", ns, "database"),
      repos: o.postgresRepos,
      replicationLagAlertSeconds: o.replicationLagAlertSeconds,
      restoreDrill: o.restoreDrill,
    }),
    redisMixin({ namespace: ns, podSelector: selector("redis", ns, "queue") }),
    minioMixin({ namespace: ns, podSelector: selector("minio", ns, "object-storage"), mirror: false }),
    ...(o.keycloak ? [keycloakMixin({ namespace: ns, podSelector: selector("keycloak", ns, "identity") })] : []),
  ];
}
