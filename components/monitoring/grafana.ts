import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { configChecksumAnnotation } from "../lib/checksum";
import { type ContainerSpec, kubernetesContainer } from "../lib/container";
import type { Env, EnvValue } from "../lib/env";
import { toResourceRequirements } from "../lib/resources";
import type { ObjectScope } from "../lib/scope";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";
import { GRAFANA_PORT, GRAFANA_SERVICE, GRAFANA_UID, grafanaDashboardFiles, grafanaProvisioningFiles, MONITORING_PATHS, type MonitoringSettings, wgetCheck } from "./files";
import type { MonitoringArgs } from "./index";

/**
 * Grafana's environment on every target: its admin, no anonymous access unless asked, no
 * sign-up or phoning home, and the URL users open it at (its redirects and links use it).
 */
function grafanaEnv(s: MonitoringSettings, admin: { username: EnvValue; password: EnvValue }, rootUrl: string): Env {
  return {
    GF_SERVER_ROOT_URL: rootUrl,
    GF_SECURITY_ADMIN_USER: admin.username,
    GF_SECURITY_ADMIN_PASSWORD: admin.password,
    GF_AUTH_ANONYMOUS_ENABLED: String(s.grafana.anonymousAccess),
    GF_USERS_ALLOW_SIGN_UP: "false",
    GF_ANALYTICS_REPORTING_ENABLED: "false",
    GF_ANALYTICS_CHECK_FOR_UPDATES: "false",
    GF_PATHS_PROVISIONING: MONITORING_PATHS.grafanaProvisioning,
  };
}

/**
 * Grafana's container on every target. `files` are the provisioning and dashboard files'
 * text, for targets that copy files in (Kubernetes mounts its ConfigMaps).
 */
export function grafanaContainer(
  s: MonitoringSettings,
  image: pulumi.Input<string>,
  admin: Parameters<typeof grafanaEnv>[1],
  rootUrl: string,
  files?: { provisioning: Record<string, pulumi.Input<string>>; dashboards: Record<string, string> },
): ContainerSpec {
  const provisioned = (kind: "datasources" | "dashboards") => ({
    kind: "files" as const,
    volume: "provisioning",
    path: `${MONITORING_PATHS.grafanaProvisioning}/${kind}/${kind}.yaml`,
    subPath: `${kind}.yaml`,
    files: files?.provisioning,
  });
  return {
    name: "grafana",
    image,
    ports: [{ name: "http", port: GRAFANA_PORT }],
    env: grafanaEnv(s, admin, rootUrl),
    uid: GRAFANA_UID,
    mounts: [
      provisioned("datasources"),
      provisioned("dashboards"),
      { kind: "files", volume: "dashboards", path: MONITORING_PATHS.grafanaDashboards, files: files?.dashboards },
      { kind: "data", volume: "data", path: MONITORING_PATHS.grafanaData },
      { kind: "scratch", volume: "tmp", path: "/tmp" },
    ],
    health: { http: { port: "http", readinessPath: "/api/health", livenessPath: "/api/health" }, docker: wgetCheck(GRAFANA_PORT, "/api/health") },
  };
}

/** Grafana with the mixins' dashboards provisioned and Prometheus as its data source. */
export function grafana(app: ObjectScope, args: MonitoringArgs, prometheusUrl: pulumi.Output<string>): void {
  const s = args.settings;
  const grafanaAdmin = app.secret("grafana-admin", { username: "admin", password: app.password("grafana-admin") });
  const provisioningFiles = prometheusUrl.apply(grafanaProvisioningFiles);
  const grafanaProvisioning = new k8s.core.v1.ConfigMap(
    app.childName("grafana-provisioning"),
    {
      metadata: app.meta("grafana-provisioning"),
      data: { "datasources.yaml": provisioningFiles.apply((f) => f["datasources.yaml"]), "dashboards.yaml": provisioningFiles.apply((f) => f["dashboards.yaml"]) },
    },
    app.childOpts("grafana-provisioning"),
  );
  const dashboards = new k8s.core.v1.ConfigMap(
    app.childName("grafana-dashboards"),
    { metadata: app.meta("grafana-dashboards"), data: grafanaDashboardFiles(args.mixins) },
    app.childOpts("grafana-dashboards"),
  );
  new k8s.apps.v1.Deployment(
    app.childName("grafana"),
    {
      metadata: app.meta("grafana"),
      spec: {
        replicas: 1,
        selector: { matchLabels: app.selector },
        template: {
          metadata: { labels: app.labels, annotations: configChecksumAnnotation(grafanaProvisioning.data, dashboards.data) },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurityContext(GRAFANA_UID),
            containers: [
              {
                ...kubernetesContainer(
                  grafanaContainer(
                    s,
                    args.images.grafana,
                    {
                      username: { secretName: grafanaAdmin.metadata.name, key: "username" },
                      password: { secretName: grafanaAdmin.metadata.name, key: "password" },
                    },
                    args.grafanaUrl,
                  ),
                ),
                resources: toResourceRequirements(s.grafana.resources),
                securityContext: restrictedContainerSecurityContext(),
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
    app.childOpts("grafana"),
  );
  new k8s.core.v1.Service(
    app.childName("grafana"),
    { metadata: app.meta(GRAFANA_SERVICE), spec: { selector: app.selector, ports: [{ name: "http", port: GRAFANA_PORT, targetPort: "http" }] } },
    app.childOpts("grafana"),
  );
}
