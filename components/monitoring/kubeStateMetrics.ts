import * as k8s from "@pulumi/kubernetes";
import { httpProbes } from "../lib/probes";
import { RESOURCE_PRESETS, toResourceRequirements } from "../lib/resources";
import type { ObjectScope } from "../lib/scope";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";
import { NOBODY } from "./files";
import type { MonitoringArgs } from "./index";
import { grant, serviceAccount } from "./rbac";

const KUBE_STATE_METRICS_PORT = 8080;
const KUBE_STATE_METRICS_TELEMETRY_PORT = 8081;
/** Its command line: the object metrics on one port, its own on another. */
export const KUBE_STATE_METRICS_ARGS = [`--port=${KUBE_STATE_METRICS_PORT}`, `--telemetry-port=${KUBE_STATE_METRICS_TELEMETRY_PORT}`];

/** kube-state-metrics: the objects' state (replicas, jobs, limits) as metrics, cluster-wide read only. */
export function kubeStateMetrics(app: ObjectScope, args: MonitoringArgs): void {
  const ksmAccount = serviceAccount(app);
  grant(
    app,
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
    app.childName("kube-state-metrics"),
    {
      metadata: app.meta("kube-state-metrics"),
      spec: {
        replicas: 1,
        selector: { matchLabels: app.selector },
        template: {
          metadata: { labels: app.labels },
          spec: {
            serviceAccountName: ksmAccount.metadata.name,
            automountServiceAccountToken: true,
            securityContext: restrictedPodSecurityContext(NOBODY),
            containers: [
              {
                name: "kube-state-metrics",
                image: args.images.kubeStateMetrics,
                args: KUBE_STATE_METRICS_ARGS,
                ports: [
                  { name: "http-metrics", containerPort: KUBE_STATE_METRICS_PORT },
                  { name: "telemetry", containerPort: KUBE_STATE_METRICS_TELEMETRY_PORT },
                ],
                resources: toResourceRequirements(RESOURCE_PRESETS.small),
                securityContext: restrictedContainerSecurityContext(),
                // Upstream's own probes: ready once it has gathered metrics (/readyz, telemetry
                // port), alive while it and the API server answer (/livez, metrics port).
                ...httpProbes({ port: "telemetry", readinessPath: "/readyz", livenessPort: "http-metrics", livenessPath: "/livez" }),
              },
            ],
          },
        },
      },
    },
    app.childOpts("kube-state-metrics"),
  );
}
