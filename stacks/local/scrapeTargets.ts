import type { StaticScrapeTarget } from "../../components/monitoring/render";

// Where Prometheus finds each mixin job on the stack's Docker network: fixed container
// addresses instead of Kubernetes service discovery. The labels are the ones discovery
// would have set (namespace, pod, container), so the alert rules, which select on
// namespace, work unchanged. Jobs whose targets only exist on Kubernetes are "absent".

export interface LocalEndpoint {
  /** The container's DNS name on the network. */
  host: string;
  port: number;
}

export function localScrapeTargets(instance: string, endpoints: Record<string, LocalEndpoint | "absent">): Record<string, StaticScrapeTarget | "absent"> {
  return Object.fromEntries(
    Object.entries(endpoints).map(([job, e]) => [
      job,
      e === "absent" ? "absent" : { targets: [`${e.host}:${e.port}`], labels: { namespace: instance, pod: `${e.host}-0`, container: e.host } },
    ]),
  );
}
