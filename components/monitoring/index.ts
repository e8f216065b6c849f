import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { type InClusterArgs, objectNamespace, renamedType } from "../lib/component";
import { generatedPassword, opaqueSecret } from "../lib/credentials";
import { type LabelIdentity, selectorLabels, standardLabels } from "../lib/labels";
import type { MonitoringMixin } from "../lib/mixin";
import { volumeClaim } from "../lib/placement";
import { httpProbes } from "../lib/probes";
import { RESOURCE_PRESETS, toResourceRequirements } from "../lib/resources";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";
import { DEFAULT_SECRETS_DIR } from "./render";
import {
  ALERTMANAGER_PORT,
  alertmanagerConfigFiles,
  GRAFANA_PORT,
  GRAFANA_UID,
  grafanaDashboardFiles,
  grafanaProvisioningFiles,
  MONITORING_PATHS,
  type MonitoringSettings,
  NOBODY,
  PROMETHEUS_PORT,
  prometheusConfigFiles,
  prometheusRuleFiles,
} from "./files";

export type { MonitoringSettings };
export type MonitoringImages = Record<"prometheus" | "alertmanager" | "grafana" | "kubeStateMetrics", string>;

export interface MonitoringArgs extends InClusterArgs<MonitoringSettings, MonitoringImages> {
  /** Every component's mixin: the collector renders them and knows nothing else about the components. */
  mixins: MonitoringMixin[];
  /** Secrets the scrape targets name (bearer tokens), mounted under /etc/prometheus/secrets/<name>/. */
  scrapeSecrets: string[];
  /** Secret with ca.crt of the platform's private CA, for https targets. */
  caSecretName: string;
}

const KSM_PORT = 8080;

/**
 * Prometheus, Alertmanager, Grafana and kube-state-metrics. Prometheus' scrape jobs,
 * rule files and Grafana's dashboards are rendered from the mixins it is given.
 */
export class Monitoring extends pulumi.ComponentResource {
  readonly prometheusUrl: pulumi.Output<string>;
  /** The mixins Prometheus loads and Grafana shows: exactly what this deployment alerts on. */
  readonly mixins: readonly MonitoringMixin[];
  readonly grafanaUrl: pulumi.Output<string>;
  /** The kube-state-metrics pods, for the platform mixin's scrape target. */
  static readonly kubeStateMetricsSelector = (instance: string) => selectorLabels({ name: "kube-state-metrics", instance, component: "monitoring" });

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:monitoring:Monitoring", name, {}, renamedType("blacklake:monitoring:Stack", opts));
    this.mixins = args.mixins;
    const child = { parent: this };
    const s = args.settings;
    const ns = args.namespace;
    const id = (app: string): LabelIdentity => ({ name: app, instance: args.instance, component: "monitoring" });
    const meta = (objectName: string, app: string) => ({ name: objectName, namespace: objectNamespace(args), labels: standardLabels(id(app)) });
    const clusterMeta = (app: string) => ({ name: `${ns}-${app}`, labels: standardLabels(id(app)) });
    this.prometheusUrl = pulumi.interpolate`http://prometheus.${ns}.svc:${PROMETHEUS_PORT}`;
    this.grafanaUrl = pulumi.interpolate`http://grafana.${ns}.svc:${GRAFANA_PORT}`;

    // --- Prometheus --------------------------------------------------------------------------
    const serviceAccount = (app: string) => new k8s.core.v1.ServiceAccount(app, { metadata: meta(app, app), automountServiceAccountToken: false }, child);
    const promAccount = serviceAccount("prometheus");
    const bind = (app: string, kind: "Role" | "ClusterRole", rules: k8s.types.input.rbac.v1.PolicyRule[], account: k8s.core.v1.ServiceAccount) => {
      const subjects = [{ kind: "ServiceAccount", name: account.metadata.name, namespace: ns }];
      if (kind === "Role") {
        const role = new k8s.rbac.v1.Role(`${app}-discovery`, { metadata: meta(app, app), rules }, child);
        new k8s.rbac.v1.RoleBinding(
          `${app}-discovery`,
          { metadata: meta(app, app), roleRef: { apiGroup: "rbac.authorization.k8s.io", kind, name: role.metadata.name }, subjects },
          child,
        );
      } else {
        const role = new k8s.rbac.v1.ClusterRole(`${app}-cluster`, { metadata: clusterMeta(app), rules }, child);
        new k8s.rbac.v1.ClusterRoleBinding(
          `${app}-cluster`,
          { metadata: clusterMeta(app), roleRef: { apiGroup: "rbac.authorization.k8s.io", kind, name: role.metadata.name }, subjects },
          child,
        );
      }
    };
    // Service discovery needs to read pods in our namespace only; kubelet and cAdvisor
    // metrics are cluster-scoped, read through the API server's node proxy.
    bind("prometheus", "Role", [{ apiGroups: [""], resources: ["pods", "endpoints", "services"], verbs: ["get", "list", "watch"] }], promAccount);
    bind(
      "prometheus",
      "ClusterRole",
      [
        { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["nodes/metrics", "nodes/proxy"], verbs: ["get"] },
      ],
      promAccount,
    );

    const ruleFiles = prometheusRuleFiles(s, args.mixins);
    const alertmanagerHosts = Array.from({ length: s.alertmanager.replicas }, (_, i) => `alertmanager-${i}.alertmanager-pods.${ns}.svc:${ALERTMANAGER_PORT}`);
    const promConfig = new k8s.core.v1.ConfigMap(
      "prometheus-config",
      {
        metadata: meta("prometheus-config", "prometheus"),
        data: prometheusConfigFiles(s, args.mixins, { instance: args.instance, alertmanagers: alertmanagerHosts, discovery: { kind: "kubernetes" } }),
      },
      child,
    );
    const promRules = new k8s.core.v1.ConfigMap("prometheus-rules", { metadata: meta("prometheus-rules", "prometheus"), data: ruleFiles }, child);

    const promSelector = selectorLabels(id("prometheus"));
    new k8s.apps.v1.StatefulSet(
      "prometheus",
      {
        metadata: meta("prometheus", "prometheus"),
        spec: {
          serviceName: "prometheus",
          replicas: 1,
          selector: { matchLabels: promSelector },
          template: {
            metadata: { labels: standardLabels(id("prometheus")) },
            spec: {
              serviceAccountName: promAccount.metadata.name,
              // Kubernetes service discovery needs the service account's token.
              automountServiceAccountToken: true,
              securityContext: restrictedPodSecurityContext(NOBODY),
              containers: [
                {
                  name: "prometheus",
                  image: args.images.prometheus,
                  args: [
                    "--config.file=/etc/prometheus/config/prometheus.yml",
                    "--storage.tsdb.path=/prometheus",
                    `--storage.tsdb.retention.time=${s.prometheus.retention}`,
                    `--storage.tsdb.retention.size=${s.prometheus.retentionSize}`,
                    `--web.listen-address=:${PROMETHEUS_PORT}`,
                  ],
                  ports: [{ name: "http", containerPort: PROMETHEUS_PORT }],
                  resources: toResourceRequirements(s.prometheus.resources),
                  securityContext: restrictedContainerSecurityContext(),
                  ...httpProbes({ port: "http", readinessPath: "/-/ready", livenessPath: "/-/healthy", startupSeconds: 300 }),
                  volumeMounts: [
                    { name: "data", mountPath: "/prometheus" },
                    { name: "config", mountPath: "/etc/prometheus/config", readOnly: true },
                    { name: "rules", mountPath: "/etc/prometheus/rules", readOnly: true },
                    { name: "ca", mountPath: "/etc/prometheus/ca", readOnly: true },
                    ...args.scrapeSecrets.map((secretName) => ({ name: `secret-${secretName}`, mountPath: `${DEFAULT_SECRETS_DIR}/${secretName}`, readOnly: true })),
                  ],
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
          volumeClaimTemplates: [volumeClaim("data", standardLabels(id("prometheus")), s.prometheus.storage, args.storageClass)],
        },
      },
      child,
    );
    new k8s.core.v1.Service(
      "prometheus",
      { metadata: meta("prometheus", "prometheus"), spec: { selector: promSelector, ports: [{ name: "http", port: PROMETHEUS_PORT, targetPort: "http" }] } },
      child,
    );

    // --- Alertmanager --------------------------------------------------------------------------
    // Receivers carry webhook URLs with tokens: the whole file is a Secret.
    const amConfig = new k8s.core.v1.Secret(
      "alertmanager-config",
      {
        metadata: meta("alertmanager-config", "alertmanager"),
        type: "Opaque",
        stringData: { "alertmanager.yml": pulumi.secret(alertmanagerConfigFiles(s)["alertmanager.yml"]) },
      },
      child,
    );
    const amSelector = selectorLabels(id("alertmanager"));
    new k8s.core.v1.Service(
      "alertmanager-pods",
      {
        metadata: meta("alertmanager-pods", "alertmanager"),
        spec: {
          clusterIP: "None",
          publishNotReadyAddresses: true,
          selector: amSelector,
          ports: [
            { name: "http", port: ALERTMANAGER_PORT, targetPort: "http" },
            { name: "cluster", port: 9094, targetPort: "cluster" },
          ],
        },
      },
      child,
    );
    new k8s.core.v1.Service(
      "alertmanager",
      { metadata: meta("alertmanager", "alertmanager"), spec: { selector: amSelector, ports: [{ name: "http", port: ALERTMANAGER_PORT, targetPort: "http" }] } },
      child,
    );
    new k8s.apps.v1.StatefulSet(
      "alertmanager",
      {
        metadata: meta("alertmanager", "alertmanager"),
        spec: {
          serviceName: "alertmanager-pods",
          replicas: s.alertmanager.replicas,
          podManagementPolicy: "Parallel",
          selector: { matchLabels: amSelector },
          template: {
            metadata: { labels: standardLabels(id("alertmanager")) },
            spec: {
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurityContext(NOBODY),
              containers: [
                {
                  name: "alertmanager",
                  image: args.images.alertmanager,
                  args: [
                    "--config.file=/etc/alertmanager/alertmanager.yml",
                    "--storage.path=/alertmanager",
                    `--web.listen-address=:${ALERTMANAGER_PORT}`,
                    // HA: every replica gossips with the others so a notification goes out once.
                    "--cluster.listen-address=:9094",
                    ...Array.from({ length: s.alertmanager.replicas }, (_, i) => `--cluster.peer=alertmanager-${i}.alertmanager-pods.${ns}.svc:9094`),
                  ],
                  ports: [
                    { name: "http", containerPort: ALERTMANAGER_PORT },
                    { name: "cluster", containerPort: 9094 },
                  ],
                  resources: toResourceRequirements(s.alertmanager.resources),
                  securityContext: restrictedContainerSecurityContext(),
                  ...httpProbes({ port: "http", readinessPath: "/-/ready", livenessPath: "/-/healthy" }),
                  volumeMounts: [
                    { name: "config", mountPath: "/etc/alertmanager", readOnly: true },
                    { name: "data", mountPath: "/alertmanager" },
                  ],
                },
              ],
              volumes: [
                { name: "config", secret: { secretName: amConfig.metadata.name } },
                { name: "data", emptyDir: { sizeLimit: "1Gi" } },
              ],
            },
          },
        },
      },
      child,
    );
    if (s.alertmanager.replicas > 1) {
      new k8s.policy.v1.PodDisruptionBudget(
        "alertmanager",
        { metadata: meta("alertmanager", "alertmanager"), spec: { maxUnavailable: 1, selector: { matchLabels: amSelector } } },
        child,
      );
    }

    // --- Grafana --------------------------------------------------------------------------------
    const grafanaAdmin = opaqueSecret("grafana-admin", meta("grafana-admin", "grafana"), { username: "admin", password: generatedPassword("grafana-admin", this) }, this);
    const dashboardsPath = MONITORING_PATHS.grafanaDashboards;
    const provisioningFiles = this.prometheusUrl.apply(grafanaProvisioningFiles);
    const grafanaProvisioning = new k8s.core.v1.ConfigMap(
      "grafana-provisioning",
      {
        metadata: meta("grafana-provisioning", "grafana"),
        data: { "datasources.yaml": provisioningFiles.apply((f) => f["datasources.yaml"]), "dashboards.yaml": provisioningFiles.apply((f) => f["dashboards.yaml"]) },
      },
      child,
    );
    const dashboards = new k8s.core.v1.ConfigMap("grafana-dashboards", { metadata: meta("grafana-dashboards", "grafana"), data: grafanaDashboardFiles(args.mixins) }, child);
    const grafanaSelector = selectorLabels(id("grafana"));
    new k8s.apps.v1.Deployment(
      "grafana",
      {
        metadata: meta("grafana", "grafana"),
        spec: {
          replicas: 1,
          selector: { matchLabels: grafanaSelector },
          template: {
            metadata: { labels: standardLabels(id("grafana")) },
            spec: {
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurityContext(GRAFANA_UID),
              containers: [
                {
                  name: "grafana",
                  image: args.images.grafana,
                  ports: [{ name: "http", containerPort: GRAFANA_PORT }],
                  env: [
                    { name: "GF_SECURITY_ADMIN_USER", valueFrom: { secretKeyRef: { name: grafanaAdmin.metadata.name, key: "username" } } },
                    { name: "GF_SECURITY_ADMIN_PASSWORD", valueFrom: { secretKeyRef: { name: grafanaAdmin.metadata.name, key: "password" } } },
                    { name: "GF_AUTH_ANONYMOUS_ENABLED", value: String(s.grafana.anonymousAccess) },
                    { name: "GF_USERS_ALLOW_SIGN_UP", value: "false" },
                    { name: "GF_ANALYTICS_REPORTING_ENABLED", value: "false" },
                    { name: "GF_ANALYTICS_CHECK_FOR_UPDATES", value: "false" },
                    { name: "GF_PATHS_PROVISIONING", value: "/etc/grafana/provisioning" },
                  ],
                  resources: toResourceRequirements(s.grafana.resources),
                  securityContext: restrictedContainerSecurityContext(),
                  ...httpProbes({ port: "http", readinessPath: "/api/health", livenessPath: "/api/health" }),
                  volumeMounts: [
                    { name: "provisioning", mountPath: "/etc/grafana/provisioning/datasources/datasources.yaml", subPath: "datasources.yaml", readOnly: true },
                    { name: "provisioning", mountPath: "/etc/grafana/provisioning/dashboards/dashboards.yaml", subPath: "dashboards.yaml", readOnly: true },
                    { name: "dashboards", mountPath: dashboardsPath, readOnly: true },
                    { name: "data", mountPath: "/var/lib/grafana" },
                    { name: "tmp", mountPath: "/tmp" },
                  ],
                },
              ],
              volumes: [
                { name: "provisioning", configMap: { name: grafanaProvisioning.metadata.name } },
                { name: "dashboards", configMap: { name: dashboards.metadata.name } },
                { name: "data", emptyDir: { sizeLimit: "1Gi" } },
                { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
              ],
            },
          },
        },
      },
      child,
    );
    new k8s.core.v1.Service(
      "grafana",
      { metadata: meta("grafana", "grafana"), spec: { selector: grafanaSelector, ports: [{ name: "http", port: GRAFANA_PORT, targetPort: "http" }] } },
      child,
    );

    // --- kube-state-metrics ------------------------------------------------------------------
    const ksmAccount = serviceAccount("kube-state-metrics");
    bind(
      "kube-state-metrics",
      "ClusterRole",
      [
        { apiGroups: [""], resources: ["pods", "nodes", "persistentvolumeclaims", "persistentvolumes", "services", "namespaces", "resourcequotas"], verbs: ["list", "watch"] },
        { apiGroups: ["apps"], resources: ["deployments", "statefulsets", "replicasets", "daemonsets"], verbs: ["list", "watch"] },
        { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: ["list", "watch"] },
        { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: ["list", "watch"] },
        { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ["list", "watch"] },
      ],
      ksmAccount,
    );
    new k8s.apps.v1.Deployment(
      "kube-state-metrics",
      {
        metadata: meta("kube-state-metrics", "kube-state-metrics"),
        spec: {
          replicas: 1,
          selector: { matchLabels: Monitoring.kubeStateMetricsSelector(args.instance) },
          template: {
            metadata: { labels: standardLabels(id("kube-state-metrics")) },
            spec: {
              serviceAccountName: ksmAccount.metadata.name,
              automountServiceAccountToken: true,
              securityContext: restrictedPodSecurityContext(NOBODY),
              containers: [
                {
                  name: "kube-state-metrics",
                  image: args.images.kubeStateMetrics,
                  args: [`--port=${KSM_PORT}`, "--telemetry-port=8081"],
                  ports: [
                    { name: "http-metrics", containerPort: KSM_PORT },
                    { name: "telemetry", containerPort: 8081 },
                  ],
                  resources: toResourceRequirements(RESOURCE_PRESETS.small),
                  securityContext: restrictedContainerSecurityContext(),
                  ...httpProbes({ port: "telemetry", readinessPath: "/metrics", livenessPath: "/metrics" }),
                },
              ],
            },
          },
        },
      },
      child,
    );
    this.registerOutputs({ prometheusUrl: this.prometheusUrl, grafanaUrl: this.grafanaUrl });
  }
}
