import type { AlertRule, MonitoringMixin, RecordingRule, ScrapeTarget } from "../lib/mixin";
import { WATCHDOG_ALERT } from "./render";

// The alerts of the operations guide that no component owns: any scrape target down, the
// API's error rate, latency and connection pool, and the resource use of every container
// and volume in the platform's namespace, and certificate expiry.
//
// Metric contracts (what must be scraped for these alerts to see anything):
// - API (job "api", the pods of options.api): Prometheus client conventions,
//     http_requests_total{code="200"|"503"|...}            counter, every request
//     http_request_duration_seconds_bucket{le=...}          histogram, with a le="0.5" bucket
//     blacklake_db_pool_in_use, blacklake_db_pool_size     gauges, per pod (and per `pool` if several)
// - kube-state-metrics (job "kube-state-metrics", honor_labels so that its `namespace`
//   label is the object's): kube_pod_container_resource_limits{resource="memory"|"cpu"}.
// - the kubelet (job "kubelet"): kubelet_volume_stats_{used,available,capacity}_bytes,
//   and cAdvisor (job "cadvisor"): container_memory_working_set_bytes,
//   container_cpu_usage_seconds_total. Both scraped by node role: kubeletScrapeConfigs()
//   in render.ts.
// - cert-manager (job "cert-manager", honor_labels): certmanager_certificate_expiration_timestamp_seconds
//   (labels name, namespace of the Certificate). We chose cert-manager's metric over the
//   blackbox exporter's probe_ssl_earliest_cert_expiry: it covers every Certificate,
//   including those of internal TLS (MinIO, PostgreSQL) that no probe reaches, without
//   running another exporter. A certificate not issued by cert-manager is not seen.

export interface PodTarget {
  namespace: string;
  podSelector: Record<string, string>;
  portName: string;
  path?: string;
}

/** A pod target whose own labels (namespace, pod, container) must win over the target's. */
export interface HonorLabelsScrapeTarget extends ScrapeTarget {
  honorLabels: true;
}

export interface PlatformMixinOptions {
  /** The platform's namespace: every alert is scoped to it. */
  namespace: string;
  /** The API's pods; its metrics follow the contract above. */
  api: PodTarget;
  /** kube-state-metrics, when the platform runs its own (otherwise the cluster's must be scraped). */
  kubeStateMetrics?: PodTarget;
  /** cert-manager's controller, when its metrics are to be scraped from here; CertificateExpiringSoon exists only then. */
  certManager?: PodTarget;
  /** Jobs whose mixins alert on their own targets being down (MonitoringMixin.downAlertJobs): ServiceDown skips them. */
  jobsWithOwnDownAlert?: string[];
}

export const API_JOB = "api";
export const KUBE_STATE_METRICS_JOB = "kube-state-metrics";
export const CERT_MANAGER_JOB = "cert-manager";

/** The guide's thresholds. */
export const API_ERROR_RATIO_CRITICAL = 0.05;
/** The error-rate SLO: fewer than 1% of requests answer 5xx. */
export const API_ERROR_RATIO_SLO = 0.01;
export const API_LATENCY_P95_SECONDS = { high: 2, elevated: 1, sloTarget: 0.5 } as const;
export const VOLUME_USAGE_WARNING = 0.8;
export const VOLUME_USAGE_CRITICAL = 0.9;
export const VOLUME_FREE_CRITICAL = 0.1;
export const MEMORY_CRITICAL = 0.9;
export const MEMORY_WARNING = 0.85;
export const CPU_WARNING = 0.8;
export const CERT_EXPIRY_WARNING_DAYS = 30;
export const DB_POOL_WARNING = 0.9;

export const API_5XX_RATIO = "blacklake:api_http_5xx:ratio_rate5m";
export const API_LATENCY_P95 = "blacklake:api_http_request_duration_seconds:p95_rate5m";
export const CONTAINER_MEMORY_RATIO = "blacklake:container_memory_working_set:ratio_limit";
export const CONTAINER_CPU_RATIO = "blacklake:container_cpu_usage:ratio_limit_rate5m";
export const VOLUME_USED_RATIO = "blacklake:kubelet_volume_used:ratio";
export const VOLUME_FREE_RATIO = "blacklake:kubelet_volume_available:ratio";

export function platformMixin(o: PlatformMixinOptions): MonitoringMixin {
  const ns = `namespace="${o.namespace}"`;
  const api = `job="${API_JOB}", ${ns}`;
  const runbook = (file: string) => `docs/runbooks/platform-${file}.md`;
  const pct = (r: number) => `${Math.round(r * 100)}%`;
  const pod = "namespace, pod, container";
  const ownDown = [...new Set(o.jobsWithOwnDownAlert ?? [])].sort();

  const recording: RecordingRule[] = [
    {
      record: API_5XX_RATIO,
      expr: `sum by (namespace) (rate(http_requests_total{${api}, code=~"5.."}[5m])) / sum by (namespace) (rate(http_requests_total{${api}}[5m]))`,
    },
    {
      record: API_LATENCY_P95,
      expr: `histogram_quantile(0.95, sum by (namespace, le) (rate(http_request_duration_seconds_bucket{${api}}[5m])))`,
    },
    {
      record: CONTAINER_MEMORY_RATIO,
      expr: `sum by (${pod}) (container_memory_working_set_bytes{job="cadvisor", ${ns}, container!="", container!="POD"}) / sum by (${pod}) (kube_pod_container_resource_limits{${ns}, resource="memory"} > 0)`,
    },
    {
      record: CONTAINER_CPU_RATIO,
      expr: `sum by (${pod}) (rate(container_cpu_usage_seconds_total{job="cadvisor", ${ns}, container!="", container!="POD"}[5m])) / sum by (${pod}) (kube_pod_container_resource_limits{${ns}, resource="cpu"} > 0)`,
    },
    {
      record: VOLUME_USED_RATIO,
      expr: `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes{job="kubelet", ${ns}} / kubelet_volume_stats_capacity_bytes{job="kubelet", ${ns}})`,
    },
    {
      record: VOLUME_FREE_RATIO,
      expr: `min by (namespace, persistentvolumeclaim) (kubelet_volume_stats_available_bytes{job="kubelet", ${ns}} / kubelet_volume_stats_capacity_bytes{job="kubelet", ${ns}})`,
    },
  ];

  const latency = (alert: string, seconds: number, what: string): AlertRule => ({
    alert,
    expr: `${API_LATENCY_P95}{${ns}} > ${seconds}`,
    for: "5m",
    labels: { severity: "warning", alertgroup: "ApiLatency" },
    annotations: {
      summary: `API p95 latency above ${seconds < 1 ? `${seconds * 1000} ms` : `${seconds} s`}${what}`,
      description: "95% of API requests took up to {{ $value | humanizeDuration }} over the last 5 minutes.",
      runbook: runbook("api"),
    },
  });

  const service: AlertRule[] = [
    {
      // The dead man's switch: always firing, routed to receivers.heartbeat every minute.
      alert: WATCHDOG_ALERT,
      expr: "vector(1)",
      for: "0m",
      // No series to take a namespace from: the heartbeat tells the stacks apart by this one.
      labels: { severity: "info", namespace: o.namespace },
      annotations: {
        summary: "The alerting pipeline works (always firing)",
        description: "Prometheus evaluates rules and Alertmanager delivers: the heartbeat receiver's service pages when this stops arriving.",
        runbook: runbook("watchdog"),
      },
    },
    {
      alert: "ServiceDown",
      expr: `up{${ns}${ownDown.length ? `, job!~"${ownDown.join("|")}"` : ""}} == 0`,
      for: "1m",
      labels: { severity: "critical" },
      annotations: {
        summary: "Target {{ $labels.instance }} of job {{ $labels.job }} is down",
        description: "Prometheus could not scrape {{ $labels.job }} on {{ $labels.instance }} for a minute: the pod is down, not ready, or refuses the scrape.",
        runbook: runbook("service-down"),
      },
    },
    {
      // The SLO's error-rate objective (< 1% of requests answer 5xx), held for 5 minutes.
      alert: "ApiErrorRateAboveSlo",
      expr: `${API_5XX_RATIO}{${ns}} > ${API_ERROR_RATIO_SLO}`,
      for: "5m",
      labels: { severity: "warning", alertgroup: "ApiErrorRate" },
      annotations: {
        summary: `More than ${pct(API_ERROR_RATIO_SLO)} of API requests fail with a server error (the error-rate SLO)`,
        description: "{{ $value | humanizePercentage }} of API requests answered 5xx over the last 5 minutes.",
        runbook: runbook("api"),
      },
    },
    {
      alert: "ApiErrorRateCritical",
      expr: `${API_5XX_RATIO}{${ns}} > ${API_ERROR_RATIO_CRITICAL}`,
      for: "2m",
      labels: { severity: "critical" },
      annotations: {
        summary: `More than ${pct(API_ERROR_RATIO_CRITICAL)} of API requests fail with a server error`,
        description: "{{ $value | humanizePercentage }} of API requests answered 5xx over the last 5 minutes.",
        runbook: runbook("api"),
      },
    },
    latency("ApiLatencyHigh", API_LATENCY_P95_SECONDS.high, ""),
    latency("ApiLatencyElevated", API_LATENCY_P95_SECONDS.elevated, ""),
    latency("ApiLatencyAboveSloTarget", API_LATENCY_P95_SECONDS.sloTarget, " (the latency SLO's target)"),
    {
      alert: "ApiDbPoolSaturated",
      expr: `sum by (namespace, pod) (blacklake_db_pool_in_use{${api}}) / sum by (namespace, pod) (blacklake_db_pool_size{${api}}) > ${DB_POOL_WARNING}`,
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: `API pod {{ $labels.pod }} uses more than ${pct(DB_POOL_WARNING)} of its database connection pool`,
        description: "{{ $value | humanizePercentage }} of the pool's connections are checked out; requests will queue for a connection.",
        runbook: runbook("api"),
      },
    },
  ];
  // Only where cert-manager's metrics are scraped: without them the alert could never fire.
  if (o.certManager) {
    service.push({
      alert: "CertificateExpiringSoon",
      expr: `(certmanager_certificate_expiration_timestamp_seconds{${ns}} - time()) / 86400 < ${CERT_EXPIRY_WARNING_DAYS}`,
      for: "1h",
      labels: { severity: "warning" },
      annotations: {
        summary: `Certificate {{ $labels.name }} expires in less than ${CERT_EXPIRY_WARNING_DAYS} days`,
        description: "Certificate {{ $labels.name }} expires in {{ $value | humanize }} days and cert-manager has not renewed it.",
        runbook: runbook("certificates"),
      },
    });
  }

  // What `up` cannot say: a target that is gone has no `up` series at all, so the API's
  // absence and the workloads' missing replicas come from kube-state-metrics.
  const ksm = `job="${KUBE_STATE_METRICS_JOB}", ${ns}`;
  const workloads: AlertRule[] = [
    {
      alert: "ApiTargetsAbsent",
      expr: `absent(up{${api}} == 1)`,
      for: "5m",
      labels: { severity: "critical", namespace: o.namespace },
      annotations: {
        summary: "No API pod is scraped as up",
        description: "Prometheus has no API target that answers: every pod is gone, Pending or failing its scrape.",
        runbook: runbook("service-down"),
      },
    },
    {
      alert: "WorkloadReplicasUnavailable",
      expr: `(kube_deployment_spec_replicas{${ksm}} - kube_deployment_status_replicas_available{${ksm}}) > 0 or (kube_statefulset_replicas{${ksm}} - kube_statefulset_status_replicas_ready{${ksm}}) > 0`,
      for: "15m",
      labels: { severity: "warning" },
      annotations: {
        summary: "{{ $labels.deployment }}{{ $labels.statefulset }} runs {{ $value }} replica(s) short",
        description: "Fewer replicas are available than declared for 15 minutes: pods Pending, not ready or crash-looping.",
        runbook: runbook("service-down"),
      },
    },
    {
      alert: "PodCrashLooping",
      // By pod and container: kube-state-metrics also labels the pod's uid, which a recreated
      // StatefulSet pod changes (one alert per container, not one per incarnation).
      expr: `max by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total{${ksm}}[15m])) > 3`,
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: "{{ $labels.pod }}/{{ $labels.container }} restarts again and again",
        description: "{{ $value }} restarts in 15 minutes.",
        runbook: runbook("service-down"),
      },
    },
  ];

  const resources: AlertRule[] = [
    {
      alert: "VolumeUsageHigh",
      expr: `${VOLUME_USED_RATIO}{${ns}} > ${VOLUME_USAGE_WARNING}`,
      for: "15m",
      labels: { severity: "warning" },
      annotations: {
        summary: `Volume {{ $labels.persistentvolumeclaim }} is more than ${pct(VOLUME_USAGE_WARNING)} full`,
        description: "{{ $value | humanizePercentage }} of the volume is used.",
        runbook: runbook("disk"),
      },
    },
    {
      alert: "VolumeUsageCritical",
      expr: `${VOLUME_USED_RATIO}{${ns}} > ${VOLUME_USAGE_CRITICAL}`,
      for: "5m",
      labels: { severity: "critical", alertgroup: "VolumeUsage" },
      annotations: {
        summary: `Volume {{ $labels.persistentvolumeclaim }} is more than ${pct(VOLUME_USAGE_CRITICAL)} full`,
        description: "{{ $value | humanizePercentage }} of the volume is used; writes fail when it is full.",
        runbook: runbook("disk"),
      },
    },
    {
      alert: "VolumeFreeSpaceLow",
      expr: `${VOLUME_FREE_RATIO}{${ns}} < ${VOLUME_FREE_CRITICAL}`,
      for: "5m",
      labels: { severity: "critical", alertgroup: "VolumeUsage" },
      annotations: {
        summary: `Volume {{ $labels.persistentvolumeclaim }} has less than ${pct(VOLUME_FREE_CRITICAL)} free`,
        description: "Only {{ $value | humanizePercentage }} of the volume is available to the workload (reserved blocks excluded).",
        runbook: runbook("disk"),
      },
    },
    {
      alert: "ContainerMemoryUsageHigh",
      expr: `${CONTAINER_MEMORY_RATIO}{${ns}} > ${MEMORY_WARNING}`,
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: `Container {{ $labels.container }} in {{ $labels.pod }} uses more than ${pct(MEMORY_WARNING)} of its memory limit`,
        description: "The working set is {{ $value | humanizePercentage }} of the limit.",
        runbook: runbook("resources"),
      },
    },
    {
      alert: "ContainerMemoryUsageCritical",
      expr: `${CONTAINER_MEMORY_RATIO}{${ns}} > ${MEMORY_CRITICAL}`,
      for: "2m",
      labels: { severity: "critical" },
      annotations: {
        summary: `Container {{ $labels.container }} in {{ $labels.pod }} uses more than ${pct(MEMORY_CRITICAL)} of its memory limit`,
        description: "The working set is {{ $value | humanizePercentage }} of the limit; the kernel kills the container at 100%.",
        runbook: runbook("resources"),
      },
    },
    {
      alert: "ContainerCpuUsageHigh",
      expr: `${CONTAINER_CPU_RATIO}{${ns}} > ${CPU_WARNING}`,
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: `Container {{ $labels.container }} in {{ $labels.pod }} uses more than ${pct(CPU_WARNING)} of its CPU limit`,
        description: "CPU use is {{ $value | humanizePercentage }} of the limit; above it the container is throttled.",
        runbook: runbook("resources"),
      },
    },
  ];

  const target = (jobName: string, t: PodTarget, honorLabels: boolean): ScrapeTarget =>
    honorLabels ? ({ jobName, ...t, honorLabels: true } as HonorLabelsScrapeTarget) : { jobName, ...t };

  return {
    name: "platform",
    scrapeTargets: [
      target(API_JOB, o.api, false),
      ...(o.kubeStateMetrics ? [target(KUBE_STATE_METRICS_JOB, o.kubeStateMetrics, true)] : []),
      ...(o.certManager ? [target(CERT_MANAGER_JOB, o.certManager, true)] : []),
    ],
    ruleGroups: [
      { name: "platform.recording", rules: recording },
      { name: "platform.service", rules: service },
      { name: "platform.resources", rules: resources },
      { name: "platform.workloads", rules: workloads },
    ],
    dashboards: [
      {
        uid: "blacklake-platform",
        title: "Platform",
        panels: [
          { title: "API 5xx ratio", unit: "percentunit", queries: [{ expr: API_5XX_RATIO }] },
          { title: "API p95 latency", unit: "s", queries: [{ expr: API_LATENCY_P95 }] },
          { title: "Container memory / limit", unit: "percentunit", queries: [{ expr: CONTAINER_MEMORY_RATIO, legend: "{{pod}} {{container}}" }] },
          { title: "Container CPU / limit", unit: "percentunit", queries: [{ expr: CONTAINER_CPU_RATIO, legend: "{{pod}} {{container}}" }] },
          { title: "Volume usage", unit: "percentunit", queries: [{ expr: VOLUME_USED_RATIO, legend: "{{persistentvolumeclaim}}" }] },
        ],
      },
    ],
  };
}
