// A component's monitoring mixin, kube-prometheus style: the component owns its scrape
// targets, alert and recording rules, and dashboards as data. The monitoring component
// only collects and renders mixins; it knows nothing about the components.

/** critical pages, warning goes to chat or mail, info is routed on its own (the Watchdog's heartbeat). */
export type Severity = "critical" | "warning" | "info";

export interface AlertRule {
  alert: string;
  expr: string;
  /** How long the condition must hold, as the operations guide states it. */
  for: string;
  labels: { severity: Severity; [key: string]: string };
  annotations: {
    summary: string;
    /** May use {{ $value }} and {{ $labels.x }}. */
    description: string;
    /** A file in docs/runbooks, relative to the repository root. */
    runbook: string;
  };
}

export interface RecordingRule {
  record: string;
  expr: string;
}

export interface RuleGroup {
  name: string;
  rules: (AlertRule | RecordingRule)[];
}

/** Pods to scrape, found by Kubernetes service discovery through their labels. */
export interface ScrapeTarget {
  jobName: string;
  namespace: string;
  /** Pod labels that select the targets. */
  podSelector: Record<string, string>;
  /** Name of the container port that serves metrics. */
  portName: string;
  path?: string;
  /** Labels the scrape puts on every series of the job (e.g. which repository an exporter reads). */
  labels?: Record<string, string>;
}

export interface DashboardPanel {
  title: string;
  unit?: string;
  queries: { expr: string; legend?: string }[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
}

export interface MonitoringMixin {
  name: string;
  scrapeTargets: ScrapeTarget[];
  ruleGroups: RuleGroup[];
  dashboards: Dashboard[];
  /**
   * Scrape jobs this mixin has its own `up == 0` alert for (with its runbook): the
   * platform's ServiceDown leaves them out, so one outage pages once.
   */
  downAlertJobs?: string[];
}

export function isAlertRule(rule: AlertRule | RecordingRule): rule is AlertRule {
  return "alert" in rule;
}

/**
 * PromQL that is non-empty while a CronJob's most recent run failed: a failed Job of it
 * started after its last success (or it never succeeded). Failed Jobs are kept for
 * inspection (failedJobsHistoryLimit), so "some Job failed" would keep firing long after
 * later runs succeeded. The value is the failed run's start time (Unix seconds).
 */
export function latestCronJobRunFailed(namespace: string, cronJob: string): string {
  const jobs = `namespace="${namespace}", job_name=~"${cronJob}-[0-9]+"`;
  const failedStart = `max by (namespace) (kube_job_status_start_time{${jobs}} and on (namespace, job_name) (kube_job_status_failed{${jobs}} > 0))`;
  const lastSuccess = `max by (namespace) (kube_cronjob_status_last_successful_time{namespace="${namespace}", cronjob="${cronJob}"})`;
  return `${failedStart} > on (namespace) ${lastSuccess} or (${failedStart} unless on (namespace) ${lastSuccess})`;
}
