import { dirname } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { type ContainerSpec, kubernetesContainer } from "../lib/container";
import * as k8s from "@pulumi/kubernetes";
import { preferOnePodPerNode, volumeClaim } from "../lib/placement";
import { toResourceRequirements } from "../lib/resources";
import type { ObjectScope } from "../lib/scope";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";
import { ALERTMANAGER_PORT, MONITORING_PATHS, type MonitoringSettings, NOBODY, PROMETHEUS_PORT, prometheusConfigFiles, prometheusRuleFiles, wgetCheck } from "./files";
import type { MonitoringArgs } from "./index";
import { grant, serviceAccount } from "./rbac";
import { DEFAULT_SECRETS_DIR } from "./render";

/** How often Prometheus looks for a changed prometheus.yml or rule file (Prometheus 3's auto-reload-config). */
export const CONFIG_RELOAD_INTERVAL = "30s";

/**
 * Prometheus' command line on every target: its config, TSDB and retention, and port.
 * It reloads its config and rule files when their content changes (checked every
 * CONFIG_RELOAD_INTERVAL): a new rule takes effect within a minute of the kubelet
 * refreshing the ConfigMap, with no restart (no WAL replay, no gap in the scrapes). A
 * file it rejects leaves the previous configuration running and
 * prometheus_config_last_reload_successful at 0: PrometheusConfigReloadFailed.
 */
export function prometheusArgs(s: MonitoringSettings): string[] {
  return [
    `--config.file=${MONITORING_PATHS.prometheusConfigDir}/prometheus.yml`,
    "--enable-feature=auto-reload-config",
    `--config.auto-reload-interval=${CONFIG_RELOAD_INTERVAL}`,
    `--storage.tsdb.path=${MONITORING_PATHS.prometheusData}`,
    `--storage.tsdb.retention.time=${s.prometheus.retention}`,
    `--storage.tsdb.retention.size=${s.prometheus.retentionSize}`,
    `--web.listen-address=:${PROMETHEUS_PORT}`,
  ];
}

/** What Prometheus reads besides its TSDB. */
export interface PrometheusFiles {
  /** The config and rule files' text, for targets that copy files in (Kubernetes mounts its ConfigMaps). */
  files?: { config: Record<string, string>; rules: Record<string, string> };
  /** Mount the CA (Kubernetes: ca.crt of the TLS Secret) to scrape MinIO over TLS. */
  ca: boolean;
  /** Scrape credentials, one directory per Secret under DEFAULT_SECRETS_DIR. */
  scrapeSecrets: { name: string; files?: Record<string, pulumi.Input<string>> }[];
}

/** Prometheus' container on every target. */
export function prometheusContainer(s: MonitoringSettings, image: pulumi.Input<string>, f: PrometheusFiles): ContainerSpec {
  return {
    name: "prometheus",
    image,
    args: prometheusArgs(s),
    ports: [{ name: "http", port: PROMETHEUS_PORT }],
    uid: NOBODY,
    mounts: [
      { kind: "data", volume: "data", path: MONITORING_PATHS.prometheusData },
      { kind: "files", volume: "config", path: MONITORING_PATHS.prometheusConfigDir, files: f.files?.config },
      { kind: "files", volume: "rules", path: MONITORING_PATHS.prometheusRulesDir, files: f.files?.rules },
      ...(f.ca ? [{ kind: "files" as const, volume: "ca", path: dirname(MONITORING_PATHS.prometheusCaFile) }] : []),
      ...f.scrapeSecrets.map((secret) => ({
        kind: "files" as const,
        volume: `secret-${secret.name}`,
        path: `${DEFAULT_SECRETS_DIR}/${secret.name}`,
        files: secret.files,
        secret: true,
      })),
    ],
    health: {
      http: { port: "http", readinessPath: "/-/ready", livenessPath: "/-/healthy", startupSeconds: 300 },
      docker: wgetCheck(PROMETHEUS_PORT, "/-/ready"),
    },
  };
}

/**
 * Prometheus: one replica with its TSDB on a volume, the scrape jobs and rule files
 * rendered from the mixins, Kubernetes service discovery in the namespace (a Role) and the
 * kubelet's and cAdvisor's metrics from each kubelet (a ClusterRole with nodes/metrics).
 */
export function prometheus(app: ObjectScope, args: MonitoringArgs): void {
  const s = args.settings;
  const promAccount = serviceAccount(app);
  // Service discovery needs to read pods in our namespace only; kubelet and cAdvisor
  // metrics come from each kubelet, which asks the API server whether we may (nodes/metrics).
  grant(app, "Role", [{ apiGroups: [""], resources: ["pods", "endpoints", "services"], verbs: ["get", "list", "watch"] }], promAccount);
  grant(
    app,
    "ClusterRole",
    [
      { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
      // The kubelet authorizes /metrics and /metrics/cadvisor as nodes/metrics; no nodes/proxy.
      { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
    ],
    promAccount,
  );

  const ruleFiles = prometheusRuleFiles(s, args.mixins);
  const alertmanagerHosts = Array.from({ length: s.alertmanager.replicas }, (_, i) => `alertmanager-${i}.alertmanager-pods.${app.namespace}.svc:${ALERTMANAGER_PORT}`);
  const promConfig = new k8s.core.v1.ConfigMap(
    app.childName("prometheus-config"),
    {
      metadata: app.meta("prometheus-config"),
      data: prometheusConfigFiles(s, args.mixins, { instance: args.instance, alertmanagers: alertmanagerHosts, discovery: { kind: "kubernetes" } }),
    },
    app.childOpts("prometheus-config"),
  );
  const promRules = new k8s.core.v1.ConfigMap(app.childName("prometheus-rules"), { metadata: app.meta("prometheus-rules"), data: ruleFiles }, app.childOpts("prometheus-rules"));

  new k8s.apps.v1.StatefulSet(
    app.childName("prometheus"),
    {
      metadata: app.meta("prometheus"),
      spec: {
        serviceName: "prometheus",
        // HA pairs: each replica scrapes and evaluates everything on its own, with no replica
        // label, so Alertmanager sees the same alert twice and sends it once.
        replicas: s.prometheus.replicas,
        selector: { matchLabels: app.selector },
        template: {
          // No config checksum: new rules or scrape jobs are reloaded in place (prometheusArgs), the pods do not roll.
          metadata: { labels: app.labels },
          spec: {
            serviceAccountName: promAccount.metadata.name,
            // Kubernetes service discovery needs the service account's token.
            automountServiceAccountToken: true,
            securityContext: restrictedPodSecurityContext(NOBODY),
            ...(s.prometheus.replicas > 1 ? { affinity: preferOnePodPerNode(app.selector) } : {}),
            containers: [
              {
                ...kubernetesContainer(prometheusContainer(s, args.images.prometheus, { ca: true, scrapeSecrets: args.scrapeSecrets.map((name) => ({ name })) })),
                resources: toResourceRequirements(s.prometheus.resources),
                securityContext: restrictedContainerSecurityContext(),
              },
            ],
            volumes: [
              { name: "config", configMap: { name: promConfig.metadata.name } },
              { name: "rules", configMap: { name: promRules.metadata.name } },
              { name: "ca", secret: { secretName: args.caSecretName, items: [{ key: "ca.crt", path: "ca.crt" }] } },
              ...args.scrapeSecrets.map((secretName) => ({ name: `secret-${secretName}`, secret: { secretName, optional: true } })),
            ],
          },
        },
        volumeClaimTemplates: [volumeClaim("data", app.labels, s.prometheus.storage, args.storageClass)],
      },
    },
    app.childOpts("prometheus"),
  );
  if (s.prometheus.replicas > 1) app.podDisruptionBudget("prometheus");
  new k8s.core.v1.Service(
    app.childName("prometheus"),
    { metadata: app.meta("prometheus"), spec: { selector: app.selector, ports: [{ name: "http", port: PROMETHEUS_PORT, targetPort: "http" }] } },
    app.childOpts("prometheus"),
  );
}
