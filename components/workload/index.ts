import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { type AutoscalingSettings, horizontalPodAutoscaler } from "../lib/autoscaling";
import { type NamespaceArgs, objectNamespace } from "../lib/component";
import { type LabelIdentity, selectorLabels, standardLabels } from "../lib/labels";
import { type ContainerSpec, kubernetesContainer } from "../lib/container";
import type { Env } from "../lib/env";
import type { PodFiles } from "../lib/mounts";
import { type ComputeResources, toResourceRequirements } from "../lib/resources";
import { DEFAULT_RUN_AS_USER, restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";

export interface WorkloadArgs extends NamespaceArgs {
  identity: LabelIdentity;
  image: pulumi.Input<string>;
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
  /** Variables in order: literals, Secret keys or pod fields. */
  env?: Env;
  /** Files from other components, e.g. the database's CA that its connection string names. */
  files?: PodFiles[];
}

/** The workload's container on every target: its port named http, scratch in /tmp, probes on the given paths. */
export function workloadContainer(name: string, args: Pick<WorkloadArgs, "image" | "port" | "livenessPath" | "readinessPath" | "env" | "files">): ContainerSpec {
  return {
    name,
    image: args.image,
    ports: [{ name: "http", port: args.port }],
    ...(args.env ? { env: args.env } : {}),
    uid: DEFAULT_RUN_AS_USER,
    mounts: [{ kind: "scratch", volume: "tmp", path: "/tmp" }, ...(args.files ?? []).map((f) => f.mount)],
    // Distroless images: no shell for a Docker healthcheck.
    health: { http: { port: "http", readinessPath: args.readinessPath, livenessPath: args.livenessPath } },
  };
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
                  ...kubernetesContainer(workloadContainer(args.identity.name, args)),
                  resources: toResourceRequirements(args.resources),
                  securityContext: restrictedContainerSecurityContext(),
                },
              ],
              volumes: [{ name: "tmp", emptyDir: { sizeLimit: "256Mi" } }, ...(args.files ?? []).map((f) => f.volume)],
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
