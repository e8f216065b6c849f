import { keycloakMixin } from "../keycloak/mixin";
import { selectorLabels } from "../lib/labels";
import { MonitoringMixin } from "../lib/mixin";
import { minioMixin } from "../minio/mixin";
import { postgresMixin } from "../postgres/mixin";
import { redisMixin } from "../redis/mixin";
import { platformMixin } from "./platformAlerts";
import { sloMixin } from "./slo";

// Every mixin of the platform with the options a default stack gives them (namespace
// "blacklake", the schema's default backup schedules). docs/alerts.md, the promtool tests
// and the completeness tests are built from this list, so an alert added to any mixin
// shows up in all three.

export const EXAMPLE_NAMESPACE = "blacklake";

export function exampleMixins(namespace: string = EXAMPLE_NAMESPACE): MonitoringMixin[] {
  const sel = (name: string, component: string) => selectorLabels({ name, instance: namespace, component });
  return [
    postgresMixin({
      namespace,
      name: "postgres",
      podSelector: sel("postgres", "database"),
      repos: [{ index: 1, schedules: { full: "0 2 * * *", incr: "0 */4 * * *" } }],
    }),
    redisMixin({ namespace, podSelector: sel("redis", "queue") }),
    minioMixin({ namespace, podSelector: sel("minio", "object-store") }),
    keycloakMixin({ namespace, podSelector: sel("keycloak", "auth") }),
    platformMixin({
      namespace,
      api: { namespace, podSelector: sel("api", "api"), portName: "http", path: "/metrics" },
      kubeStateMetrics: { namespace, podSelector: sel("kube-state-metrics", "monitoring"), portName: "http-metrics" },
      certManager: { namespace: "cert-manager", podSelector: { "app.kubernetes.io/name": "cert-manager", "app.kubernetes.io/component": "controller" }, portName: "http-metrics" },
    }),
    sloMixin({ namespace }),
  ];
}
