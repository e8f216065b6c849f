import { stringify } from "yaml";
import { type AlertRule, isAlertRule, type MonitoringMixin, type RecordingRule, type ScrapeTarget } from "../lib/mixin";

// Pure renderers from mixins to Prometheus and Alertmanager configuration files. No
// Pulumi here: the Monitoring component puts the output in ConfigMaps and Secrets, the
// integration tier (test/integration/prometheus.test.ts) feeds it to promtool and amtool.

const yaml = (doc: unknown) => stringify(doc, { lineWidth: 0 });

// ---------------------------------------------------------------------------------------
// prometheus.yml

export interface PrometheusConfigOptions {
  mixins: MonitoringMixin[];
  scrapeInterval: string;
  evaluationInterval: string;
  /** Alertmanager addresses, host:port (e.g. the headless Service's pod DNS names). */
  alertmanagers: string[];
  /** Paths (or globs) of the rule files, as mounted in the Prometheus container. */
  ruleFiles: string[];
  /**
   * Where the Secrets that scrape targets name (bearerTokenSecret) are mounted: a target's
   * token is read from <secretsDir>/<secret name>/<key>. Default /etc/prometheus/secrets.
   */
  secretsDir?: string;
  /** CA bundle that signs the https targets' certificates (the platform's private CA). */
  caFile?: string;
  /** Scrape configs that are not pod targets, e.g. kubeletScrapeConfigs(). */
  extraScrapeConfigs?: object[];
  externalLabels?: Record<string, string>;
  /**
   * Where there is no Kubernetes service discovery (the local Docker stack): every
   * mixin job by name, either the fixed addresses to scrape or "absent" when the job's
   * targets do not exist there. Jobs keep their names, paths and credentials.
   */
  staticTargets?: Record<string, StaticScrapeTarget | "absent">;
}

/** Fixed addresses of one job, with the labels service discovery would have added (namespace, pod, container). */
export interface StaticScrapeTarget {
  targets: string[];
  labels?: Record<string, string>;
  /** Default http: the local stack's servers speak plain HTTP on their private network. */
  scheme?: "http" | "https";
}

/** Optional fields a mixin's scrape target may carry (see MinioScrapeTarget, HonorLabelsScrapeTarget). */
type TargetExtras = { scheme?: "http" | "https"; bearerTokenSecret?: { name: string; key: string }; honorLabels?: boolean };

export const DEFAULT_SECRETS_DIR = "/etc/prometheus/secrets";

/** Prometheus' name for a pod label in service-discovery meta labels. */
export const podLabelMeta = (label: string) => `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, "_")}`;

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export function scrapeConfig(target: ScrapeTarget & TargetExtras, o: { secretsDir?: string; caFile?: string } = {}): Record<string, unknown> {
  const config: Record<string, unknown> = {
    job_name: target.jobName,
    metrics_path: target.path ?? "/metrics",
    kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [target.namespace] } }],
  };
  if (target.honorLabels) config.honor_labels = true;
  if (target.scheme === "https") {
    config.scheme = "https";
    if (o.caFile) config.tls_config = { ca_file: o.caFile };
  }
  if (target.bearerTokenSecret) {
    const dir = o.secretsDir ?? DEFAULT_SECRETS_DIR;
    config.authorization = { type: "Bearer", credentials_file: `${dir}/${target.bearerTokenSecret.name}/${target.bearerTokenSecret.key}` };
  }
  config.relabel_configs = [
    ...Object.entries(target.podSelector)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([label, value]) => ({ action: "keep", source_labels: [podLabelMeta(label)], regex: escapeRegex(value) })),
    { action: "keep", source_labels: ["__meta_kubernetes_pod_container_port_name"], regex: escapeRegex(target.portName) },
    { action: "drop", source_labels: ["__meta_kubernetes_pod_phase"], regex: "Pending|Succeeded|Failed" },
    { action: "replace", source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
    { action: "replace", source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
    { action: "replace", source_labels: ["__meta_kubernetes_pod_container_name"], target_label: "container" },
    ...Object.entries(target.labels ?? {}).map(([label, value]) => ({ action: "replace", target_label: label, replacement: value })),
  ];
  return config;
}

/**
 * The kubelet's own metrics (kubelet_volume_stats_*) and cAdvisor's (container_*), from
 * each kubelet directly (node role: the node's address and kubelet port, 10250), with
 * Prometheus' service account token, which the kubelet authorizes as get on nodes/metrics
 * (no nodes/proxy: that right reaches every kubelet API, exec included). `verifyTls`: the
 * kubelets' serving certificates are checked against the cluster CA (signed by it, as
 * with serverTLSBootstrap); off, the connection is encrypted but unverified.
 * cAdvisor's series carry their own namespace/pod/container labels.
 */
export function kubeletScrapeConfigs(o: { serviceAccountDir?: string; verifyTls?: boolean } = {}): object[] {
  const sa = o.serviceAccountDir ?? "/var/run/secrets/kubernetes.io/serviceaccount";
  const job = (name: string, path: string) => ({
    job_name: name,
    scheme: "https",
    metrics_path: path,
    authorization: { type: "Bearer", credentials_file: `${sa}/token` },
    tls_config: o.verifyTls === false ? { insecure_skip_verify: true } : { ca_file: `${sa}/ca.crt` },
    honor_labels: name === "cadvisor",
    kubernetes_sd_configs: [{ role: "node" }],
    relabel_configs: [{ action: "replace", source_labels: ["__meta_kubernetes_node_name"], target_label: "node" }],
  });
  return [job("kubelet", "/metrics"), job("cadvisor", "/metrics/cadvisor")];
}

/** A job with fixed addresses instead of Kubernetes service discovery and relabelling. */
export function staticScrapeConfig(target: ScrapeTarget & TargetExtras, entry: StaticScrapeTarget, o: { secretsDir?: string; caFile?: string } = {}): Record<string, unknown> {
  const config: Record<string, unknown> = {
    job_name: target.jobName,
    metrics_path: target.path ?? "/metrics",
    static_configs: [{ targets: entry.targets, ...(entry.labels || target.labels ? { labels: { ...entry.labels, ...target.labels } } : {}) }],
  };
  if (target.honorLabels) config.honor_labels = true;
  if (entry.scheme === "https") {
    config.scheme = "https";
    if (o.caFile) config.tls_config = { ca_file: o.caFile };
  }
  if (target.bearerTokenSecret) {
    const dir = o.secretsDir ?? DEFAULT_SECRETS_DIR;
    config.authorization = { type: "Bearer", credentials_file: `${dir}/${target.bearerTokenSecret.name}/${target.bearerTokenSecret.key}` };
  }
  return config;
}

function jobScrapeConfigs(targets: (ScrapeTarget & TargetExtras)[], o: PrometheusConfigOptions): Record<string, unknown>[] {
  const staticTargets = o.staticTargets;
  if (!staticTargets) return targets.map((t) => scrapeConfig(t, o));
  const known = new Set(targets.map((t) => t.jobName));
  const unknown = Object.keys(staticTargets).filter((job) => !known.has(job));
  if (unknown.length) throw new Error(`static targets for jobs no mixin declares: ${unknown.join(", ")}`);
  return targets.flatMap((t) => {
    const entry = staticTargets[t.jobName];
    if (entry === undefined) throw new Error(`scrape job ${t.jobName} has no static target (give its addresses or "absent")`);
    return entry === "absent" ? [] : [staticScrapeConfig(t, entry, o)];
  });
}

export function renderPrometheusConfig(o: PrometheusConfigOptions): string {
  const targets = o.mixins.flatMap((m) => m.scrapeTargets as (ScrapeTarget & TargetExtras)[]);
  const jobs = new Set<string>();
  for (const t of targets) {
    if (jobs.has(t.jobName)) throw new Error(`two scrape targets are named ${t.jobName}`);
    jobs.add(t.jobName);
  }
  return yaml({
    global: {
      scrape_interval: o.scrapeInterval,
      evaluation_interval: o.evaluationInterval,
      ...(o.externalLabels ? { external_labels: o.externalLabels } : {}),
    },
    alerting: { alertmanagers: [{ static_configs: [{ targets: o.alertmanagers }] }] },
    rule_files: o.ruleFiles,
    scrape_configs: [...jobScrapeConfigs(targets, o), ...(o.extraScrapeConfigs ?? [])],
  });
}

// ---------------------------------------------------------------------------------------
// Rule files

/**
 * The inhibition family of an alert: its `alertgroup` label if it sets one, otherwise its
 * name without a trailing Critical/High/Warning. MinioDiskUsageHigh and
 * MinioDiskUsageCritical share "MinioDiskUsage", so the critical one silences the warning
 * (renderAlertmanagerConfig's inhibit rule matches on alertgroup and the object: INHIBIT_EQUAL).
 */
export function alertGroupOf(rule: AlertRule): string {
  return rule.labels.alertgroup ?? rule.alert.replace(/(Critical|High|Warning)$/, "");
}

/** The labels that name the object an alert is about, besides its family (alertgroup). */
export const INHIBIT_EQUAL = ["namespace", "alertgroup", "instance", "pod", "container", "persistentvolumeclaim", "job_name", "cronjob", "repo"];

/** The labels an alert carries in the rendered rule file. */
export function renderedLabels(rule: AlertRule): Record<string, string> {
  return { ...rule.labels, alertgroup: alertGroupOf(rule) };
}

export interface RuleFileOptions {
  /** Prefix of runbook_url, e.g. "https://git.example.com/blacklake/platform/blob/main/". */
  runbookBaseUrl: string;
}

export function renderedAnnotations(rule: AlertRule, o: RuleFileOptions): Record<string, string> {
  const base = o.runbookBaseUrl.endsWith("/") ? o.runbookBaseUrl : `${o.runbookBaseUrl}/`;
  return { summary: rule.annotations.summary, description: rule.annotations.description, runbook_url: `${base}${rule.annotations.runbook}` };
}

export function renderRule(rule: AlertRule | RecordingRule, o: RuleFileOptions): Record<string, unknown> {
  if (!isAlertRule(rule)) return { record: rule.record, expr: rule.expr };
  return { alert: rule.alert, expr: rule.expr, for: rule.for, labels: renderedLabels(rule), annotations: renderedAnnotations(rule, o) };
}

export const ruleFileName = (mixin: MonitoringMixin) => `${mixin.name}.rules.yml`;

/** One rule file per mixin: file name -> YAML text. */
export function renderRuleFiles(mixins: MonitoringMixin[], o: RuleFileOptions): Record<string, string> {
  const files: Record<string, string> = {};
  for (const m of mixins) {
    const name = ruleFileName(m);
    if (files[name]) throw new Error(`two mixins are named ${m.name}`);
    files[name] = yaml({ groups: m.ruleGroups.map((g) => ({ name: g.name, rules: g.rules.map((r) => renderRule(r, o)) })) });
  }
  return files;
}

export function allAlerts(mixins: MonitoringMixin[]): AlertRule[] {
  return mixins.flatMap((m) => m.ruleGroups.flatMap((g) => g.rules.filter(isAlertRule)));
}

// ---------------------------------------------------------------------------------------
// alertmanager.yml

/** The shape of monitoring.receivers.* in stacks/config/schema.ts. */
export type Receiver = { kind: "webhook"; url: string } | { kind: "email"; to: string } | { kind: "none" };

export interface SmtpOptions {
  /** host:port */
  smarthost: string;
  from: string;
  authUsername?: string;
  authPassword?: string;
  requireTls?: boolean;
}

export interface AlertmanagerConfigOptions {
  receivers: { critical: Receiver; warning: Receiver; heartbeat?: Receiver };
  /** Needed when a receiver is email. */
  smtp?: SmtpOptions;
}

/** Critical alerts page quickly and re-page hourly; warnings are batched. */
export const ROUTE_TIMING = {
  critical: { group_wait: "10s", group_interval: "1m", repeat_interval: "1h" },
  warning: { group_wait: "1m", group_interval: "5m", repeat_interval: "12h" },
  heartbeat: { group_wait: "0s", group_interval: "1m", repeat_interval: "1m" },
} as const;

/** The alert that always fires: while it arrives, Prometheus, its rules and Alertmanager work end to end. */
export const WATCHDOG_ALERT = "Watchdog";

export const GROUP_BY = ["alertname", "namespace"];

function receiverConfig(name: string, r: Receiver): Record<string, unknown> {
  switch (r.kind) {
    case "webhook":
      return { name, webhook_configs: [{ url: r.url, send_resolved: true }] };
    case "email":
      return { name, email_configs: [{ to: r.to, send_resolved: true }] };
    case "none":
      return { name };
  }
}

export function renderAlertmanagerConfig(o: AlertmanagerConfigOptions): string {
  const { critical, warning } = o.receivers;
  const heartbeat = o.receivers.heartbeat ?? { kind: "none" };
  const needsSmtp = [critical, warning, heartbeat].some((r) => r.kind === "email");
  if (needsSmtp && !o.smtp) throw new Error("an email receiver needs smtp options (smarthost, from)");
  const global: Record<string, unknown> = { resolve_timeout: "5m" };
  if (needsSmtp && o.smtp) {
    global.smtp_smarthost = o.smtp.smarthost;
    global.smtp_from = o.smtp.from;
    if (o.smtp.authUsername) global.smtp_auth_username = o.smtp.authUsername;
    if (o.smtp.authPassword) global.smtp_auth_password = o.smtp.authPassword;
    global.smtp_require_tls = o.smtp.requireTls ?? true;
  }
  return yaml({
    global,
    route: {
      receiver: "warning",
      group_by: GROUP_BY,
      ...ROUTE_TIMING.warning,
      routes: [
        // The Watchdog first, on its own: every minute, so its absence is noticed quickly.
        { receiver: "heartbeat", matchers: [`alertname="${WATCHDOG_ALERT}"`], ...ROUTE_TIMING.heartbeat },
        { receiver: "critical", matchers: ['severity="critical"'], ...ROUTE_TIMING.critical },
        { receiver: "warning", matchers: ['severity="warning"'], ...ROUTE_TIMING.warning },
      ],
    },
    inhibit_rules: [
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        // The same family on the same object: a critical on one volume or pod must not
        // silence the warning on another. A label neither alert has counts as equal.
        equal: INHIBIT_EQUAL,
      },
    ],
    receivers: [receiverConfig("critical", critical), receiverConfig("warning", warning), receiverConfig("heartbeat", heartbeat)],
  });
}
