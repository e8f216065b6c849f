import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type ContainerSpec, kubernetesContainer } from "../lib/container";
import { RESOURCE_PRESETS, toResourceRequirements } from "../lib/resources";
import type { ObjectScope } from "../lib/scope";
import { preferOnePodPerNode } from "../lib/placement";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";
import { ALERTMANAGER_PORT, alertmanagerConfigFiles, MONITORING_PATHS, NOBODY, wgetCheck } from "./files";
import type { MonitoringArgs } from "./index";

/** Where Alertmanager replicas gossip. */
export const ALERTMANAGER_CLUSTER_PORT = 9094;

/** Alertmanager's command line on every target; `cluster.listen` "" turns gossip off (one instance). */
function alertmanagerArgs(cluster: { listen: string; peers: string[] }): string[] {
  return [
    `--config.file=${MONITORING_PATHS.alertmanagerConfigDir}/alertmanager.yml`,
    `--storage.path=${MONITORING_PATHS.alertmanagerData}`,
    `--web.listen-address=:${ALERTMANAGER_PORT}`,
    `--cluster.listen-address=${cluster.listen}`,
    ...cluster.peers.map((peer) => `--cluster.peer=${peer}`),
  ];
}

/**
 * Alertmanager's container on every target. `config` is its config file's text, for targets
 * that copy files in (Kubernetes mounts the Secret).
 */
export function alertmanagerContainer(image: pulumi.Input<string>, cluster: Parameters<typeof alertmanagerArgs>[0], config?: Record<string, string>): ContainerSpec {
  return {
    name: "alertmanager",
    image,
    args: alertmanagerArgs(cluster),
    ports: [
      { name: "http", port: ALERTMANAGER_PORT },
      { name: "cluster", port: ALERTMANAGER_CLUSTER_PORT },
    ],
    uid: NOBODY,
    // Receivers carry webhook URLs with tokens: the config is secret.
    mounts: [
      { kind: "files", volume: "config", path: MONITORING_PATHS.alertmanagerConfigDir, files: config, secret: true },
      { kind: "data", volume: "data", path: MONITORING_PATHS.alertmanagerData },
    ],
    health: { http: { port: "http", readinessPath: "/-/ready", livenessPath: "/-/healthy" }, docker: wgetCheck(ALERTMANAGER_PORT, "/-/ready") },
  };
}

/** How often the reloader looks at alertmanager.yml. */
export const CONFIG_RELOAD_INTERVAL_SECONDS = 10;

/**
 * Reloads Alertmanager when its mounted alertmanager.yml changes (the kubelet refreshes a
 * Secret volume about a minute after `pulumi up` changed it), through the reload endpoint
 * on loopback: new receivers and routes take effect with no restart, the silences and
 * notification log stay. A file Alertmanager rejects leaves the previous configuration
 * running and alertmanager_config_last_reload_successful at 0 (AlertmanagerConfigReloadFailed);
 * one attempt per change, so a bad file is not retried every interval. POSIX sh with
 * busybox's sha256sum and wget: the Alertmanager image's own.
 */
export const CONFIG_RELOADER_SCRIPT = `set -u
last=$(sha256sum < "$CONFIG_FILE")
echo "config-reloader: watching $CONFIG_FILE every $INTERVAL_SECONDS s"
while sleep "$INTERVAL_SECONDS"; do
  now=$(sha256sum < "$CONFIG_FILE") || continue
  [ "$now" = "$last" ] && continue
  last=$now
  if wget -q -O /dev/null --post-data= "$RELOAD_URL"; then
    echo "config-reloader: reloaded $CONFIG_FILE"
  else
    echo "config-reloader: Alertmanager refused $CONFIG_FILE; it runs the previous configuration" >&2
  fi
done`;

/** The reloader beside Alertmanager, in Alertmanager's image (no other image to trust). Kubernetes only: on Docker a changed file is a new container. */
export function configReloaderContainer(image: pulumi.Input<string>): ContainerSpec {
  const configFile = `${MONITORING_PATHS.alertmanagerConfigDir}/alertmanager.yml`;
  return {
    name: "config-reloader",
    image,
    command: ["sh", "-c", CONFIG_RELOADER_SCRIPT],
    env: {
      CONFIG_FILE: configFile,
      RELOAD_URL: `http://127.0.0.1:${ALERTMANAGER_PORT}/-/reload`,
      INTERVAL_SECONDS: String(CONFIG_RELOAD_INTERVAL_SECONDS),
    },
    uid: NOBODY,
    mounts: [{ kind: "files", volume: "config", path: MONITORING_PATHS.alertmanagerConfigDir, secret: true }],
    // Ready and alive while it can read the file it watches (its loop ending ends the container).
    health: { exec: { readiness: ["test", "-r", configFile] } },
  };
}

/** Alertmanager: an HA StatefulSet whose replicas gossip, so a notification goes out once. */
export function alertmanager(app: ObjectScope, args: MonitoringArgs): void {
  const s = args.settings;
  // Receivers carry webhook URLs with tokens: the whole file is a Secret.
  const amFiles = { "alertmanager.yml": pulumi.secret(alertmanagerConfigFiles(s)["alertmanager.yml"]) };
  const amConfig = new k8s.core.v1.Secret(
    app.childName("alertmanager-config"),
    {
      metadata: app.meta("alertmanager-config"),
      type: "Opaque",
      stringData: amFiles,
    },
    app.childOpts("alertmanager-config"),
  );
  new k8s.core.v1.Service(
    app.childName("alertmanager-pods"),
    {
      metadata: app.meta("alertmanager-pods"),
      spec: {
        clusterIP: "None",
        publishNotReadyAddresses: true,
        selector: app.selector,
        ports: [
          { name: "http", port: ALERTMANAGER_PORT, targetPort: "http" },
          { name: "cluster", port: ALERTMANAGER_CLUSTER_PORT, targetPort: "cluster" },
        ],
      },
    },
    app.childOpts("alertmanager-pods"),
  );
  new k8s.core.v1.Service(
    app.childName("alertmanager"),
    { metadata: app.meta("alertmanager"), spec: { selector: app.selector, ports: [{ name: "http", port: ALERTMANAGER_PORT, targetPort: "http" }] } },
    app.childOpts("alertmanager"),
  );
  new k8s.apps.v1.StatefulSet(
    app.childName("alertmanager"),
    {
      metadata: app.meta("alertmanager"),
      spec: {
        serviceName: "alertmanager-pods",
        replicas: s.alertmanager.replicas,
        podManagementPolicy: "Parallel",
        selector: { matchLabels: app.selector },
        template: {
          // No config checksum: new receivers or routes are reloaded in place (configReloaderContainer), the pods do not roll.
          metadata: { labels: app.labels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurityContext(NOBODY),
            // Replicas on one node would go down together, and the notifications with them.
            ...(s.alertmanager.replicas > 1 ? { affinity: preferOnePodPerNode(app.selector) } : {}),
            containers: [
              {
                // HA: every replica gossips with the others so a notification goes out once.
                ...kubernetesContainer(
                  alertmanagerContainer(args.images.alertmanager, {
                    listen: `:${ALERTMANAGER_CLUSTER_PORT}`,
                    peers: Array.from({ length: s.alertmanager.replicas }, (_, i) => `alertmanager-${i}.alertmanager-pods.${app.namespace}.svc:${ALERTMANAGER_CLUSTER_PORT}`),
                  }),
                ),
                resources: toResourceRequirements(s.alertmanager.resources),
                securityContext: restrictedContainerSecurityContext(),
              },
              {
                ...kubernetesContainer(configReloaderContainer(args.images.alertmanager)),
                resources: toResourceRequirements(RESOURCE_PRESETS.nano),
                securityContext: restrictedContainerSecurityContext(),
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
    app.childOpts("alertmanager"),
  );
  if (s.alertmanager.replicas > 1) {
    app.podDisruptionBudget("alertmanager");
  }
}
