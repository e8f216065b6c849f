import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { configChecksumAnnotation } from "../lib/checksum";
import { type ContainerSpec, kubernetesContainer } from "../lib/container";
import { toResourceRequirements } from "../lib/resources";
import type { ObjectScope } from "../lib/scope";
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
          // New receivers or routes: the pods roll one at a time (the PDB), the others keep the silences.
          metadata: { labels: app.labels, annotations: configChecksumAnnotation(amFiles) },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurityContext(NOBODY),
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
