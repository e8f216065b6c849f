import type { AlertRule, MonitoringMixin, RecordingRule } from "../lib/mixin";

// Keycloak's alerts of the operations guide: the service down, and authentication
// failures (> 50/min critical, a security alert; > 10/min warning).
//
// Keycloak 26 serves /metrics on its management interface (port 9000, which the pod
// names "management") when KC_METRICS_ENABLED=true. The login counters need
// KC_EVENT_METRICS_USER_ENABLED=true as well (feature user-event-metrics, on by default
// in 26.2). They are one counter, keycloak_user_events_total, labelled by event and
// error: a failure has a non-empty `error` and the event WITHOUT the `_error` suffix of
// the event type (LOGIN_ERROR counts as event="login", error="invalid_user_credentials";
// a wrong client secret as event="client_login", error="invalid_client_credentials"
// or "invalid_client"). Checked against a real Keycloak 26.2.5 by
// test/integration/keycloak.test.ts.

export interface KeycloakMixinOptions {
  namespace: string;
  /** Pod labels that select the Keycloak pods. */
  podSelector: Record<string, string>;
}

export const KEYCLOAK_JOB = "keycloak";
export const KEYCLOAK_METRICS_PORT_NAME = "management";

/** Failed logins per minute, by realm: users (password, code) and clients (secret). */
export const LOGIN_FAILURES_PER_MINUTE = "blacklake:keycloak_login_failures:rate5m_per_minute";

/**
 * The `event` label values of keycloak_user_events_total that are authentications: a
 * user's login (password, code, direct grant) and a client's (client credentials).
 */
export const LOGIN_FAILURE_EVENTS = ["login", "client_login"] as const;

/** The guide's thresholds, failed authentications per minute. */
export const AUTH_FAILURES_CRITICAL_PER_MINUTE = 50;
export const AUTH_FAILURES_WARNING_PER_MINUTE = 10;

export function keycloakMixin(o: KeycloakMixinOptions): MonitoringMixin {
  const sel = `job="${KEYCLOAK_JOB}", namespace="${o.namespace}"`;
  const runbook = "docs/runbooks/keycloak.md";

  const recording: RecordingRule[] = [
    {
      record: LOGIN_FAILURES_PER_MINUTE,
      expr: `sum by (namespace, realm) (rate(keycloak_user_events_total{${sel}, event=~"${LOGIN_FAILURE_EVENTS.join("|")}", error!=""}[5m])) * 60`,
    },
  ];

  const authFailures = (severity: "critical" | "warning", threshold: number, forDuration: string): AlertRule => ({
    alert: severity === "critical" ? "KeycloakAuthenticationFailuresCritical" : "KeycloakAuthenticationFailuresHigh",
    expr: `${LOGIN_FAILURES_PER_MINUTE}{namespace="${o.namespace}"} > ${threshold}`,
    for: forDuration,
    labels: severity === "critical" ? { severity, category: "security" } : { severity },
    annotations: {
      summary: `More than ${threshold} failed logins per minute in realm {{ $labels.realm }}`,
      description:
        `{{ $value | humanize }} failed authentications per minute (users and clients, 5-minute average) in realm {{ $labels.realm }}` +
        (severity === "critical" ? ": likely password guessing or credential stuffing." : "."),
      runbook,
    },
  });

  const alerts: AlertRule[] = [
    {
      alert: "KeycloakDown",
      expr: `up{${sel}} == 0`,
      for: "1m",
      labels: { severity: "critical" },
      annotations: {
        summary: "Keycloak {{ $labels.instance }} is down",
        description: "Prometheus cannot scrape Keycloak's management port on {{ $labels.instance }}; logins and token refreshes through it fail.",
        runbook,
      },
    },
    authFailures("critical", AUTH_FAILURES_CRITICAL_PER_MINUTE, "2m"),
    authFailures("warning", AUTH_FAILURES_WARNING_PER_MINUTE, "5m"),
  ];

  return {
    name: "keycloak",
    downAlertJobs: [KEYCLOAK_JOB],
    scrapeTargets: [{ jobName: KEYCLOAK_JOB, namespace: o.namespace, podSelector: o.podSelector, portName: KEYCLOAK_METRICS_PORT_NAME, path: "/metrics" }],
    ruleGroups: [
      { name: "keycloak.recording", rules: recording },
      { name: "keycloak.alerts", rules: alerts },
    ],
    dashboards: [
      {
        uid: "blacklake-keycloak",
        title: "Keycloak",
        panels: [
          { title: "Failed logins per minute", unit: "short", queries: [{ expr: LOGIN_FAILURES_PER_MINUTE, legend: "{{realm}}" }] },
          {
            title: "Failed logins by error",
            unit: "short",
            queries: [{ expr: `sum by (realm, event, error) (rate(keycloak_user_events_total{error!=""}[5m])) * 60`, legend: "{{realm}} {{event}} {{error}}" }],
          },
          {
            title: "Successful logins per minute",
            unit: "short",
            queries: [{ expr: `sum by (realm, event) (rate(keycloak_user_events_total{event=~"login|client_login", error=""}[5m])) * 60`, legend: "{{realm}} {{event}}" }],
          },
          { title: "Keycloak up", queries: [{ expr: `up{job="${KEYCLOAK_JOB}"}`, legend: "{{instance}}" }] },
        ],
      },
    ],
  };
}
