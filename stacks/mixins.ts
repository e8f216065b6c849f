import type { MonitoringMixin } from "../components/lib/mixin";
import { Monitoring } from "../components/monitoring";
import { selfMonitoringMixin } from "../components/monitoring/mixin";
import { platformMixin } from "../components/monitoring/platformAlerts";
import { sloMixin } from "../components/monitoring/slo";

/**
 * What a stack's Prometheus loads, in this order: the platform's own alerts (any target
 * down, the API, resources), the SLOs', monitoring's own, then each component's mixin. Both compositions
 * (platform.ts, local/) build their list here, so they cannot disagree on it.
 */
export function stackMixins(o: {
  namespace: string;
  /** The app.kubernetes.io/instance label kube-state-metrics' pods carry. */
  instance: string;
  apiPodSelector: Record<string, string>;
  components: MonitoringMixin[];
}): MonitoringMixin[] {
  const namespace = o.namespace;
  return [
    platformMixin({
      namespace,
      api: { namespace, podSelector: o.apiPodSelector, portName: "http", path: "/metrics" },
      kubeStateMetrics: { namespace, podSelector: Monitoring.podSelector("kube-state-metrics", o.instance), portName: "http-metrics" },
      jobsWithOwnDownAlert: o.components.flatMap((m) => m.downAlertJobs ?? []),
    }),
    sloMixin({ namespace }),
    selfMonitoringMixin({
      namespace,
      prometheus: { podSelector: Monitoring.podSelector("prometheus", o.instance), portName: "http" },
      alertmanager: { podSelector: Monitoring.podSelector("alertmanager", o.instance), portName: "http" },
    }),
    ...o.components,
  ];
}
