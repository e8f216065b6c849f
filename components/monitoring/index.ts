import * as pulumi from "@pulumi/pulumi";
import { type InClusterArgs, renamedType } from "../lib/component";
import { selectorLabels } from "../lib/labels";
import type { MonitoringMixin } from "../lib/mixin";
import { ObjectScope } from "../lib/scope";
import { alertmanager } from "./alertmanager";
import { GRAFANA_PORT, type MonitoringSettings, PROMETHEUS_PORT } from "./files";
import { grafana } from "./grafana";
import { kubeStateMetrics } from "./kubeStateMetrics";
import { prometheus } from "./prometheus";

export type { MonitoringSettings };
export type MonitoringImages = Record<"prometheus" | "alertmanager" | "grafana" | "kubeStateMetrics", string>;

export interface MonitoringArgs extends InClusterArgs<MonitoringSettings, MonitoringImages> {
  /** Every component's mixin: the collector renders them and knows nothing else about the components. */
  mixins: MonitoringMixin[];
  /** Secrets the scrape targets name (bearer tokens), mounted under /etc/prometheus/secrets/<name>/. */
  scrapeSecrets: string[];
  /** Secret with ca.crt of the platform's private CA, for https targets. */
  caSecretName: string;
  /** Where users open Grafana (its public host): Grafana's redirects and links use it. */
  grafanaUrl: string;
}

/**
 * Prometheus, Alertmanager, Grafana and kube-state-metrics. Prometheus' scrape jobs,
 * rule files and Grafana's dashboards are rendered from the mixins it is given.
 */
export class Monitoring extends pulumi.ComponentResource {
  readonly prometheusUrl: pulumi.Output<string>;
  /** The mixins Prometheus loads and Grafana shows: exactly what this deployment alerts on. */
  readonly mixins: readonly MonitoringMixin[];
  readonly grafanaUrl: pulumi.Output<string>;
  /** The pods of one of its apps (prometheus, alertmanager, kube-state-metrics), for the mixins' scrape targets. */
  static readonly podSelector = (app: "prometheus" | "alertmanager" | "kube-state-metrics", instance: string) => selectorLabels({ name: app, instance, component: "monitoring" });

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:monitoring:Monitoring", name, {}, renamedType("blacklake:monitoring:Stack", opts));
    this.mixins = args.mixins;
    const ns = args.namespace;
    const app = (appName: string) => new ObjectScope(this, args, { name: appName, instance: args.instance, component: "monitoring" }, name);
    this.prometheusUrl = pulumi.interpolate`http://prometheus.${ns}.svc:${PROMETHEUS_PORT}`;
    this.grafanaUrl = pulumi.interpolate`http://grafana.${ns}.svc:${GRAFANA_PORT}`;
    prometheus(app("prometheus"), args);
    alertmanager(app("alertmanager"), args);
    grafana(app("grafana"), args, this.prometheusUrl);
    kubeStateMetrics(app("kube-state-metrics"), args);
    this.registerOutputs({ prometheusUrl: this.prometheusUrl, grafanaUrl: this.grafanaUrl });
  }
}
