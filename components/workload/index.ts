import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { type AutoscalingSettings, horizontalPodAutoscaler } from "../lib/autoscaling";
import { type NamespaceArgs, objectNamespace } from "../lib/component";
import { type LabelIdentity, selectorLabels, standardLabels } from "../lib/labels";
import { httpProbes } from "../lib/probes";
import { type ComputeResources, toResourceRequirements } from "../lib/resources";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";

/** An environment variable read from one key of a Secret. */
export interface SecretEnv {
  secretName: pulumi.Input<string>;
  key: string;
}

export interface WorkloadArgs extends NamespaceArgs {
  identity: LabelIdentity;
  image: string;
  port: number;
  /** Answers while the process is alive; failing it restarts the container. */
  livenessPath: string;
  /** Answers when the pod may receive traffic. */
  readinessPath: string;
  /** Prometheus metrics on the same port. */
  metricsPath?: string;
  resources: ComputeResources;
  autoscaling: AutoscalingSettings;
  /** Spread pods across zones as well as nodes (needs a multi-zone cluster). */
  spreadAcrossZones: boolean;
  env?: Record<string, pulumi.Input<string>>;
  secretEnv?: Record<string, SecretEnv>;
}

/**
 * A stateless service, safe by default: a Deployment that never drops below its
 * capacity during a rollout, spread across nodes (and zones), restricted pods with
 * probes and limits, a ClusterIP Service, a PodDisruptionBudget and an HPA.
 */
export class Workload extends pulumi.ComponentResource {
  readonly host: pulumi.Output<string>;
  readonly port: number;
  readonly podSelector: Record<string, string>;

  constructor(name: string, args: WorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:workload:Workload", name, {}, opts);
    const child = { parent: this };
    const selector = selectorLabels(args.identity);
    const labels = standardLabels(args.identity);
    const meta = { name, namespace: objectNamespace(args), labels };
    this.podSelector = selector;
    this.port = args.port;
    this.host = pulumi.interpolate`${name}.${args.namespace}.svc`;

    const spread = (topologyKey: string) => ({
      maxSkew: 1,
      topologyKey,
      whenUnsatisfiable: "ScheduleAnyway",
      labelSelector: { matchLabels: selector },
    });
    const env = [
      ...Object.entries(args.env ?? {}).map(([n, value]) => ({ name: n, value })),
      ...Object.entries(args.secretEnv ?? {}).map(([n, s]) => ({ name: n, valueFrom: { secretKeyRef: { name: s.secretName, key: s.key } } })),
    ];

    const deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata: meta,
        spec: {
          replicas: args.autoscaling.minReplicas,
          selector: { matchLabels: selector },
          revisionHistoryLimit: 5,
          // Surge new pods before old ones go: capacity never drops during a rollout.
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
          template: {
            metadata: {
              labels,
              annotations: args.metricsPath ? { "prometheus.io/path": args.metricsPath, "prometheus.io/port": String(args.port) } : {},
            },
            spec: {
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurityContext(),
              terminationGracePeriodSeconds: 30,
              topologySpreadConstraints: [spread("kubernetes.io/hostname"), ...(args.spreadAcrossZones ? [spread("topology.kubernetes.io/zone")] : [])],
              containers: [
                {
                  name: args.identity.name,
                  image: args.image,
                  ports: [{ name: "http", containerPort: args.port }],
                  env,
                  resources: toResourceRequirements(args.resources),
                  securityContext: restrictedContainerSecurityContext(),
                  ...httpProbes({ port: "http", readinessPath: args.readinessPath, livenessPath: args.livenessPath }),
                  volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                },
              ],
              volumes: [{ name: "tmp", emptyDir: { sizeLimit: "256Mi" } }],
            },
          },
        },
      },
      // The HPA owns the replica count once it exists.
      { ...child, ignoreChanges: args.autoscaling.enabled ? ["spec.replicas"] : [] },
    );

    new k8s.core.v1.Service(name, { metadata: meta, spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: args.port, targetPort: "http" }] } }, child);
    new k8s.policy.v1.PodDisruptionBudget(
      name,
      // With one replica, maxUnavailable 1 keeps node drains possible; with more, one at a time.
      { metadata: meta, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } },
      child,
    );
    if (args.autoscaling.enabled) {
      horizontalPodAutoscaler(name, meta, { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name }, args.autoscaling, child);
    }
    this.registerOutputs({ host: this.host });
  }
}
