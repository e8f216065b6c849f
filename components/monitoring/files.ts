import type { MonitoringSettings } from "./settings";
import type { MonitoringMixin } from "../lib/mixin";
import { renderDashboards, renderGrafanaDashboardProvider, renderGrafanaDatasources } from "./dashboards";
import { kubeletScrapeConfigs, renderAlertmanagerConfig, renderPrometheusConfig, renderRuleFiles, type StaticScrapeTarget } from "./render";

// The files Prometheus, Alertmanager and Grafana read, for every target: the Kubernetes
// component puts them in ConfigMaps and Secrets, the local (Docker) stack uploads them
// into its containers. Only how Prometheus finds its targets differs between the two.

export type { MonitoringSettings };

export const PROMETHEUS_PORT = 9090;
export const ALERTMANAGER_PORT = 9093;
export const GRAFANA_PORT = 3000;
/** Grafana's Service, which the public Ingress routes to. */
export const GRAFANA_SERVICE = "grafana";
/** Prometheus, Alertmanager and kube-state-metrics run as nobody. */
export const NOBODY = 65534;
/** The grafana user of the official image. */
export const GRAFANA_UID = 472;

/** Where the files live inside the containers, on every target. */
export const MONITORING_PATHS = {
  prometheusConfigDir: "/etc/prometheus/config",
  prometheusRulesDir: "/etc/prometheus/rules",
  prometheusCaFile: "/etc/prometheus/ca/ca.crt",
  prometheusData: "/prometheus",
  alertmanagerConfigDir: "/etc/alertmanager",
  alertmanagerData: "/alertmanager",
  grafanaProvisioning: "/etc/grafana/provisioning",
  grafanaDashboards: "/etc/grafana/dashboards",
  grafanaData: "/var/lib/grafana",
} as const;

/** A Docker healthcheck for the monitoring images, which carry busybox's wget but no curl. */
export function wgetCheck(port: number, path: string): string {
  return `wget -q -O /dev/null http://127.0.0.1:${port}${path}`;
}

/** How Prometheus finds what to scrape: Kubernetes service discovery, or fixed addresses per job. */
export type ScrapeDiscovery = { kind: "kubernetes" } | { kind: "static"; targets: Record<string, StaticScrapeTarget | "absent"> };

export interface PrometheusFilesOptions {
  /** The platform instance: Prometheus' external `platform` label. */
  instance: string;
  /** host:port of every Alertmanager. */
  alertmanagers: string[];
  discovery: ScrapeDiscovery;
}

/** prometheus.yml (file name -> text). */
export function prometheusConfigFiles(s: MonitoringSettings, mixins: MonitoringMixin[], o: PrometheusFilesOptions): Record<"prometheus.yml", string> {
  const discovery =
    o.discovery.kind === "kubernetes"
      ? { caFile: MONITORING_PATHS.prometheusCaFile, extraScrapeConfigs: kubeletScrapeConfigs({ verifyTls: s.prometheus.kubeletTlsVerify }) }
      : { staticTargets: o.discovery.targets };
  return {
    "prometheus.yml": renderPrometheusConfig({
      mixins,
      scrapeInterval: s.prometheus.scrapeInterval,
      evaluationInterval: s.prometheus.scrapeInterval,
      alertmanagers: o.alertmanagers,
      ruleFiles: [`${MONITORING_PATHS.prometheusRulesDir}/*.yml`],
      ...discovery,
      externalLabels: { platform: o.instance },
    }),
  };
}

/** One rule file per mixin: file name -> YAML text. */
export function prometheusRuleFiles(s: MonitoringSettings, mixins: MonitoringMixin[]): Record<string, string> {
  return renderRuleFiles(mixins, { runbookBaseUrl: s.runbookBaseUrl });
}

/** alertmanager.yml; receivers carry tokens, so both targets treat it as a secret. */
export function alertmanagerConfigFiles(s: MonitoringSettings): Record<"alertmanager.yml", string> {
  return { "alertmanager.yml": renderAlertmanagerConfig({ receivers: s.receivers, smtp: s.smtp }) };
}

/** Grafana's provisioning files: the Prometheus datasource and the dashboards folder. */
export function grafanaProvisioningFiles(prometheusUrl: string): Record<"datasources.yaml" | "dashboards.yaml", string> {
  return {
    "datasources.yaml": renderGrafanaDatasources(prometheusUrl),
    "dashboards.yaml": renderGrafanaDashboardProvider(MONITORING_PATHS.grafanaDashboards),
  };
}

/** Every dashboard: file name -> JSON text. */
export function grafanaDashboardFiles(mixins: MonitoringMixin[]): Record<string, string> {
  return renderDashboards(mixins);
}
