import type { AlertRule, MonitoringMixin, RecordingRule } from "../lib/mixin";
import { API_JOB } from "./platformAlerts";

// The operations guide's SLOs as data, and the multi-window, multi-burn-rate alerts of the
// Google SRE workbook ("Alerting on SLOs", table 5-8) derived from them.
//
// An SLO with objective O has an error budget of 1 - O. A burn rate of N spends the budget
// N times faster than allowed: at 1x the 30-day budget lasts exactly 30 days. Each alert
// needs the burn rate above its factor over a long window (the budget spent is
// significant) AND over a short window (it is still happening, so the alert resets soon
// after the problem stops):
//
//   severity  long   short  factor  budget spent (of 30 days) when it fires
//   critical  1h     5m     14.4    2% in 1 hour     (page)
//   critical  6h     30m    6       5% in 6 hours    (page)
//   warning   1d     2h     3       10% in 1 day     (ticket)
//   warning   3d     6h     1       10% in 3 days    (ticket)
//
// The two page windows form one alert <Slo>ErrorBudgetBurnFast, the two ticket windows
// <Slo>ErrorBudgetBurnSlow (the workbook's `or` of the pairs). The error ratio of each
// window is a recording rule, blacklake:slo_<name>_errors:ratio_rate<window>.

export interface Slo {
  /** Lower-case identifier used in recorded series, e.g. "availability". */
  name: string;
  /** Prefix of the alert names, e.g. "ApiAvailability". */
  alertPrefix: string;
  /** Share of good events, e.g. 0.999. */
  objective: number;
  description: string;
  /** The guide's wording. */
  guide: string;
  /** PromQL of the share of bad events over a window ("[w]" is replaced with the window). */
  errorRatio: (window: string) => string;
}

export interface BurnWindow {
  long: string;
  short: string;
  factor: number;
  severity: "critical" | "warning";
}

export const BURN_WINDOWS: BurnWindow[] = [
  { long: "1h", short: "5m", factor: 14.4, severity: "critical" },
  { long: "6h", short: "30m", factor: 6, severity: "critical" },
  { long: "1d", short: "2h", factor: 3, severity: "warning" },
  { long: "3d", short: "6h", factor: 1, severity: "warning" },
];

export const SLO_WINDOWS = [...new Set(BURN_WINDOWS.flatMap((w) => [w.short, w.long]))];

export const LATENCY_SLO_SECONDS = 0.5;

export function apiSlos(namespace: string): Slo[] {
  const sel = `job="${API_JOB}", namespace="${namespace}"`;
  const ratioOf5xx = (w: string) => `sum by (namespace) (rate(http_requests_total{${sel}, code=~"5.."}[${w}])) / sum by (namespace) (rate(http_requests_total{${sel}}[${w}]))`;
  return [
    {
      name: "availability",
      alertPrefix: "ApiAvailability",
      objective: 0.999,
      description: "99.9% of API requests answer non-5xx",
      guide: "Availability 99.9% (HTTP non-5xx / total)",
      errorRatio: ratioOf5xx,
    },
    {
      name: "latency",
      alertPrefix: "ApiLatency",
      objective: 0.95,
      description: `95% of API requests complete within ${LATENCY_SLO_SECONDS * 1000} ms`,
      guide: "Latency p95 < 500 ms",
      errorRatio: (w) =>
        `1 - sum by (namespace) (rate(http_request_duration_seconds_bucket{${sel}, le="${LATENCY_SLO_SECONDS}"}[${w}])) / sum by (namespace) (rate(http_request_duration_seconds_count{${sel}}[${w}]))`,
    },
    {
      name: "errors",
      alertPrefix: "ApiErrorRate",
      objective: 0.99,
      description: "fewer than 1% of API requests answer 5xx",
      guide: "Error rate < 1% of requests are 5xx",
      errorRatio: ratioOf5xx,
    },
  ];
}

export const sloErrorRatio = (slo: Slo, window: string) => `blacklake:slo_${slo.name}_errors:ratio_rate${window}`;

/** The "alert when below for 5 min" of the availability SLO, besides the burn-rate alerts. */
export const AVAILABILITY_BREACH_FOR = "5m";

export function sloMixin(o: { namespace: string; slos?: Slo[] }): MonitoringMixin {
  const slos = o.slos ?? apiSlos(o.namespace);
  const ns = `namespace="${o.namespace}"`;
  const runbook = "docs/runbooks/platform-slo.md";
  const fmt = (n: number) => String(Number(n.toPrecision(6)));

  const recording: RecordingRule[] = slos.flatMap((slo) => SLO_WINDOWS.map((w) => ({ record: sloErrorRatio(slo, w), expr: slo.errorRatio(w) })));

  const burn = (slo: Slo, severity: "critical" | "warning"): AlertRule => {
    const budget = 1 - slo.objective;
    const windows = BURN_WINDOWS.filter((w) => w.severity === severity);
    const expr = windows
      .map((w) => `(${sloErrorRatio(slo, w.long)}{${ns}} > ${fmt(w.factor * budget)} and ${sloErrorRatio(slo, w.short)}{${ns}} > ${fmt(w.factor * budget)})`)
      .join(" or ");
    const described = windows.map((w) => `${w.factor}x over ${w.long} and ${w.short}`).join(", or ");
    return {
      alert: `${slo.alertPrefix}ErrorBudgetBurn${severity === "critical" ? "Fast" : "Slow"}`,
      expr,
      for: severity === "critical" ? "2m" : "15m",
      labels: { severity, slo: slo.name, alertgroup: `${slo.alertPrefix}ErrorBudgetBurn` },
      annotations: {
        summary: `The ${slo.name} SLO (${slo.description}) burns its error budget ${severity === "critical" ? "fast" : "steadily"}`,
        description: `The error ratio is {{ $value | humanizePercentage }} against a budget of ${fmt(budget * 100)}% (burn rate ${described}).`,
        runbook,
      },
    };
  };

  const availability = slos.find((s) => s.name === "availability");
  const alerts: AlertRule[] = [
    ...slos.flatMap((slo) => [burn(slo, "critical"), burn(slo, "warning")]),
    ...(availability
      ? [
          {
            alert: "ApiAvailabilityBelowSlo",
            expr: `${sloErrorRatio(availability, "5m")}{${ns}} > ${fmt(1 - availability.objective)}`,
            for: AVAILABILITY_BREACH_FOR,
            labels: { severity: "warning" as const, slo: availability.name },
            annotations: {
              summary: `API availability below ${fmt(availability.objective * 100)}% for 5 minutes`,
              description: "{{ $value | humanizePercentage }} of API requests answered 5xx over the last 5 minutes.",
              runbook,
            },
          },
        ]
      : []),
  ];

  return {
    name: "slo",
    scrapeTargets: [],
    ruleGroups: [
      { name: "slo.recording", rules: recording },
      { name: "slo.alerts", rules: alerts },
    ],
    dashboards: [
      {
        uid: "blacklake-slo",
        title: "SLOs",
        panels: slos.map((slo) => ({
          title: `${slo.name} error ratio (budget ${fmt((1 - slo.objective) * 100)}%)`,
          unit: "percentunit",
          queries: ["1h", "1d", "3d"].map((w) => ({ expr: sloErrorRatio(slo, w), legend: w })),
        })),
      },
    ],
  };
}
