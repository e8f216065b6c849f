import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { httpProbes } from "../lib/probes";
import { toResourceRequirements } from "../lib/resources";
import type { ObjectScope } from "../lib/scope";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";
import { ALERTMANAGER_PORT, alertmanagerConfigFiles, NOBODY } from "./files";
import type { MonitoringArgs } from "./index";

/** Alertmanager: an HA StatefulSet whose replicas gossip, so a notification goes out once. */
export function alertmanager(app: ObjectScope, args: MonitoringArgs): void {
  const s = args.settings;
  // Receivers carry webhook URLs with tokens: the whole file is a Secret.
  const amConfig = new k8s.core.v1.Secret(
    "alertmanager-config",
    {
      metadata: app.meta("alertmanager-config"),
      type: "Opaque",
      stringData: { "alertmanager.yml": pulumi.secret(alertmanagerConfigFiles(s)["alertmanager.yml"]) },
    },
    app.child,
  );
  new k8s.core.v1.Service(
    "alertmanager-pods",
    {
      metadata: app.meta("alertmanager-pods"),
      spec: {
        clusterIP: "None",
        publishNotReadyAddresses: true,
        selector: app.selector,
        ports: [
          { name: "http", port: ALERTMANAGER_PORT, targetPort: "http" },
          { name: "cluster", port: 9094, targetPort: "cluster" },
        ],
      },
    },
    app.child,
  );
  new k8s.core.v1.Service(
    "alertmanager",
    { metadata: app.meta("alertmanager"), spec: { selector: app.selector, ports: [{ name: "http", port: ALERTMANAGER_PORT, targetPort: "http" }] } },
    app.child,
  );
  new k8s.apps.v1.StatefulSet(
    "alertmanager",
    {
      metadata: app.meta("alertmanager"),
      spec: {
        serviceName: "alertmanager-pods",
        replicas: s.alertmanager.replicas,
        podManagementPolicy: "Parallel",
        selector: { matchLabels: app.selector },
        template: {
          metadata: { labels: app.labels },
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
                  ...Array.from({ length: s.alertmanager.replicas }, (_, i) => `--cluster.peer=alertmanager-${i}.alertmanager-pods.${app.namespace}.svc:9094`),
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
    app.child,
  );
  if (s.alertmanager.replicas > 1) {
    new k8s.policy.v1.PodDisruptionBudget("alertmanager", { metadata: app.meta("alertmanager"), spec: { maxUnavailable: 1, selector: { matchLabels: app.selector } } }, app.child);
  }
}
