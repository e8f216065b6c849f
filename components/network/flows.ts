// The platform's network flow matrix: every connection a pod may open, as data a
// reviewer can read in one screen. NetworkPolicies are rendered from it (policies.ts),
// and a test computes reachability from the rendered policies and compares it with
// this matrix, in both directions: nothing more, nothing less.

/** A set of pods in the platform's namespace, by their labels. */
export interface Workload {
  name: string;
  podLabels: Record<string, string>;
}

/** Where traffic goes or comes from outside the namespace. */
export interface External {
  name: string;
  /** Either a namespace (by its kubernetes.io/metadata.name) or address blocks. */
  namespace?: string;
  cidrs?: string[];
}

export interface Flow {
  from: string;
  to: string;
  port: number;
  protocol?: "TCP" | "UDP";
  why: string;
}

const app = (name: string, component?: string): Record<string, string> => ({
  "app.kubernetes.io/name": name,
  ...(component ? { "app.kubernetes.io/component": component } : {}),
});

export const WORKLOADS: Workload[] = [
  { name: "api", podLabels: app("api") },
  { name: "postgres", podLabels: app("postgres", "database") },
  { name: "postgres-backup", podLabels: app("postgres", "backup") },
  { name: "postgres-restore-drill", podLabels: app("postgres", "restore-drill") },
  { name: "postgres-provisioning", podLabels: app("postgres", "provisioning") },
  { name: "redis", podLabels: app("redis") },
  { name: "minio", podLabels: app("minio", "object-storage") },
  { name: "minio-bootstrap", podLabels: app("minio", "bootstrap") },
  { name: "minio-mirror", podLabels: app("minio", "mirror") },
  { name: "keycloak", podLabels: app("keycloak") },
  { name: "prometheus", podLabels: app("prometheus") },
  { name: "alertmanager", podLabels: app("alertmanager") },
  { name: "grafana", podLabels: app("grafana") },
  { name: "kube-state-metrics", podLabels: app("kube-state-metrics") },
];

export interface ExternalEndpoints {
  ingressNamespace: string;
  apiServerCidrs: string[];
  /** Off-site object storage and alert receivers are outside the cluster. */
  internetCidrs: string[];
  nodeCidrs: string[];
}

export function externals(e: ExternalEndpoints): External[] {
  return [
    { name: "ingress", namespace: e.ingressNamespace },
    { name: "kube-apiserver", cidrs: e.apiServerCidrs },
    { name: "kubelets", cidrs: e.nodeCidrs },
    { name: "internet", cidrs: e.internetCidrs },
  ];
}

export const FLOWS: Flow[] = [
  { from: "ingress", to: "api", port: 8080, why: "users reach the API through the ingress controller" },
  { from: "ingress", to: "keycloak", port: 8080, why: "logins" },
  { from: "ingress", to: "grafana", port: 3000, why: "operators' dashboards" },
  { from: "api", to: "postgres", port: 5432, why: "the application's data" },
  { from: "api", to: "redis", port: 6379, why: "the job queue" },
  { from: "api", to: "redis", port: 26379, why: "Sentinel: which Redis is the primary (prod)" },
  { from: "api", to: "minio", port: 9000, why: "objects" },
  { from: "api", to: "keycloak", port: 8080, why: "token introspection and JWKS" },
  { from: "keycloak", to: "postgres", port: 5432, why: "Keycloak's own database" },
  { from: "keycloak", to: "keycloak", port: 7800, why: "Infinispan cluster traffic between replicas" },
  { from: "postgres", to: "postgres", port: 5432, why: "streaming replication" },
  { from: "postgres", to: "minio", port: 9000, why: "WAL archiving and backups to repo1" },
  { from: "postgres", to: "internet", port: 443, why: "backups to the off-site bucket (repo2)" },
  { from: "postgres-backup", to: "kube-apiserver", port: 443, why: "backup jobs ask the primary to run pgBackRest (pods/exec)" },
  { from: "postgres-backup", to: "kube-apiserver", port: 6443, why: "the same, on clusters whose API server listens on 6443" },
  { from: "postgres-restore-drill", to: "minio", port: 9000, why: "restore the latest backup" },
  { from: "postgres-restore-drill", to: "internet", port: 443, why: "restore from the off-site repository" },
  { from: "postgres-provisioning", to: "postgres", port: 5432, why: "create service databases" },
  { from: "redis", to: "redis", port: 6379, why: "replication" },
  { from: "redis", to: "redis", port: 26379, why: "Sentinel gossip and failover" },
  { from: "minio", to: "minio", port: 9000, why: "distributed erasure coding" },
  { from: "minio-bootstrap", to: "minio", port: 9000, why: "create buckets, policies and users" },
  { from: "minio-mirror", to: "minio", port: 9000, why: "read the buckets to mirror" },
  { from: "minio-mirror", to: "internet", port: 443, why: "write the off-site copy" },
  { from: "prometheus", to: "api", port: 8080, why: "metrics" },
  { from: "prometheus", to: "postgres", port: 9187, why: "postgres_exporter" },
  { from: "prometheus", to: "postgres", port: 9854, why: "pgbackrest_exporter of repo1" },
  { from: "prometheus", to: "postgres", port: 9855, why: "pgbackrest_exporter of repo2" },
  { from: "prometheus", to: "redis", port: 9121, why: "redis_exporter" },
  { from: "prometheus", to: "minio", port: 9000, why: "MinIO metrics (bearer token)" },
  { from: "prometheus", to: "keycloak", port: 9000, why: "Keycloak metrics on the management port" },
  { from: "prometheus", to: "kube-state-metrics", port: 8080, why: "object state metrics" },
  { from: "prometheus", to: "alertmanager", port: 9093, why: "send alerts, and Alertmanager's metrics" },
  { from: "prometheus", to: "prometheus", port: 9090, why: "self-monitoring: each replica scrapes every replica" },
  { from: "prometheus", to: "kube-apiserver", port: 443, why: "service discovery" },
  { from: "prometheus", to: "kube-apiserver", port: 6443, why: "service discovery (6443 clusters)" },
  { from: "prometheus", to: "kubelets", port: 10250, why: "kubelet and cAdvisor metrics" },
  { from: "grafana", to: "prometheus", port: 9090, why: "dashboards query Prometheus" },
  // memberlist gossips over both: TCP for state sync, UDP for the probes and the
  // notification log; with UDP refused the peers see each other down and both notify.
  { from: "alertmanager", to: "alertmanager", port: 9094, why: "HA gossip (state sync)" },
  { from: "alertmanager", to: "alertmanager", port: 9094, protocol: "UDP", why: "HA gossip (probes, notification log)" },
  { from: "alertmanager", to: "internet", port: 443, why: "webhook receivers" },
  { from: "alertmanager", to: "internet", port: 587, why: "e-mail receivers (SMTP submission)" },
  { from: "kube-state-metrics", to: "kube-apiserver", port: 443, why: "watch objects" },
  { from: "kube-state-metrics", to: "kube-apiserver", port: 6443, why: "watch objects (6443 clusters)" },
];

/** Every pod may resolve names: DNS egress to the cluster DNS, always allowed. */
export const DNS_NAMESPACE = "kube-system";
export const DNS_PORT = 53;
