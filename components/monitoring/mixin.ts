import type { MonitoringMixin } from "../lib/mixin";

// Monitoring that watches itself: Prometheus scrapes its own replicas and Alertmanager's,
// and alerts when the alerting path breaks in a way `up` does not show. A Prometheus
// that is down cannot say so: the Watchdog's missing heartbeat does (platform-watchdog.md),
// and with two replicas each scrapes the other, so ServiceDown covers a lost replica.
//
// Metric contracts (recorded from the real servers at the shipped versions,
// test/fixtures/metrics/{prometheus,alertmanager}.txt):
// - Prometheus: prometheus_rule_evaluation_failures_total{rule_group}, counter;
//   prometheus_config_last_reload_successful, gauge 0/1;
//   prometheus_notifications_{errors,sent}_total{alertmanager}, counters per Alertmanager URL.
// - Alertmanager: alertmanager_config_last_reload_successful, gauge 0/1;
//   alertmanager_notifications_{failed_,}total{integration}, counters per integration
//   (webhook, email, ...; failed also carries `reason`).

export const PROMETHEUS_JOB = "prometheus";
export const ALERTMANAGER_JOB = "alertmanager";
/** Share of alerts every Alertmanager refused before Prometheus is said to be cut off from them. */
export const ALERT_SEND_ERROR_RATIO = 0.03;
/** Share of one integration's notifications that failed. */
export const NOTIFICATION_FAILURE_RATIO = 0.01;

export interface SelfMonitoringOptions {
  namespace: string;
  prometheus: { podSelector: Record<string, string>; portName: string };
  alertmanager: { podSelector: Record<string, string>; portName: string };
}

export function selfMonitoringMixin(o: SelfMonitoringOptions): MonitoringMixin {
  const prom = `job="${PROMETHEUS_JOB}", namespace="${o.namespace}"`;
  const am = `job="${ALERTMANAGER_JOB}", namespace="${o.namespace}"`;
  const runbook = "docs/runbooks/platform-monitoring.md";
  const pct = (r: number) => `${r * 100}%`;
  return {
    name: "monitoring",
    scrapeTargets: [
      { jobName: PROMETHEUS_JOB, namespace: o.namespace, ...o.prometheus },
      { jobName: ALERTMANAGER_JOB, namespace: o.namespace, ...o.alertmanager },
    ],
    ruleGroups: [
      {
        name: "monitoring.alerts",
        rules: [
          {
            // A rule that fails to evaluate is an alert that cannot fire.
            alert: "PrometheusRuleEvaluationFailures",
            expr: `sum by (namespace, pod, rule_group) (increase(prometheus_rule_evaluation_failures_total{${prom}}[5m])) > 0`,
            for: "10m",
            labels: { severity: "critical" },
            annotations: {
              summary: "Prometheus {{ $labels.pod }} fails to evaluate rules of {{ $labels.rule_group }}",
              description: "{{ $value }} evaluations failed in the last 5 minutes: the alerts of that group may not fire.",
              runbook,
            },
          },
          {
            // A rejected config leaves the previous one running: new rules and targets are not in effect.
            alert: "PrometheusConfigReloadFailed",
            expr: `max_over_time(prometheus_config_last_reload_successful{${prom}}[5m]) == 0`,
            for: "10m",
            labels: { severity: "warning" },
            annotations: {
              summary: "Prometheus {{ $labels.pod }} rejected its configuration",
              description: "The last reload failed; Prometheus runs on its previous configuration, without the latest rules and scrape jobs.",
              runbook,
            },
          },
          {
            // Every Alertmanager refuses: no alert reaches anyone (the Watchdog's heartbeat stops too).
            alert: "PrometheusCannotSendAlerts",
            expr: `min by (namespace, pod) (rate(prometheus_notifications_errors_total{${prom}}[5m]) / rate(prometheus_notifications_sent_total{${prom}}[5m])) > ${ALERT_SEND_ERROR_RATIO}`,
            for: "15m",
            labels: { severity: "critical" },
            annotations: {
              summary: "Prometheus {{ $labels.pod }} cannot deliver alerts to any Alertmanager",
              description: `{{ $value | humanizePercentage }} of the alerts sent to the best Alertmanager failed (more than ${pct(ALERT_SEND_ERROR_RATIO)}).`,
              runbook,
            },
          },
          {
            alert: "AlertmanagerConfigReloadFailed",
            expr: `max_over_time(alertmanager_config_last_reload_successful{${am}}[5m]) == 0`,
            for: "10m",
            labels: { severity: "critical" },
            annotations: {
              summary: "Alertmanager {{ $labels.pod }} rejected its configuration",
              description: "The last reload failed; Alertmanager routes with its previous configuration, without the latest receivers and routes.",
              runbook,
            },
          },
          {
            // Critical although it may be the paging integration that fails: the other
            // integrations (and Grafana) still show it.
            alert: "AlertmanagerNotificationsFailing",
            expr: `sum by (namespace, pod, integration) (rate(alertmanager_notifications_failed_total{${am}}[5m])) / sum by (namespace, pod, integration) (rate(alertmanager_notifications_total{${am}}[5m])) > ${NOTIFICATION_FAILURE_RATIO}`,
            for: "5m",
            labels: { severity: "critical" },
            annotations: {
              summary: "Alertmanager {{ $labels.pod }} fails to send {{ $labels.integration }} notifications",
              description: `{{ $value | humanizePercentage }} of the {{ $labels.integration }} notifications failed in the last 5 minutes (more than ${pct(NOTIFICATION_FAILURE_RATIO)}).`,
              runbook,
            },
          },
        ],
      },
    ],
    dashboards: [
      {
        uid: "blacklake-monitoring",
        title: "Monitoring",
        panels: [
          {
            title: "Rule evaluation failures",
            queries: [{ expr: `sum by (pod, rule_group) (rate(prometheus_rule_evaluation_failures_total{${prom}}[5m]))`, legend: "{{pod}} {{rule_group}}" }],
          },
          { title: "Alerts sent, failed", queries: [{ expr: `sum by (pod) (rate(prometheus_notifications_errors_total{${prom}}[5m]))`, legend: "{{pod}}" }] },
          {
            title: "Notifications failed",
            queries: [{ expr: `sum by (pod, integration) (rate(alertmanager_notifications_failed_total{${am}}[5m]))`, legend: "{{pod}} {{integration}}" }],
          },
        ],
      },
    ],
  };
}
