import * as pulumi from "@pulumi/pulumi";
import { renamedType } from "../lib/component";
import * as k8s from "@pulumi/kubernetes";
import { standardLabels } from "../lib/labels";
import { RESTRICTED_NAMESPACE_LABELS } from "../lib/securityContext";

export interface PlatformNamespaceArgs {
  /** The namespace's name; also the platform instance label. */
  name: string;
}

/**
 * Above every pod without a class (0) and far below the system's (2000000000): under node
 * pressure the databases, the object store and the queue are evicted last and, when
 * space is short, preempt stateless pods that can run anywhere.
 */
export const STATEFUL_PRIORITY = 100000;

/**
 * The namespace that holds the platform, labelled so the API server enforces the
 * Pod Security "restricted" profile on every pod in it.
 */
export class PlatformNamespace extends pulumi.ComponentResource {
  readonly name: pulumi.Output<string>;
  /** The PriorityClass of the stateful tier's pods. */
  readonly statefulPriorityClass: pulumi.Output<string>;

  constructor(name: string, args: PlatformNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:namespace:PlatformNamespace", name, {}, renamedType("blacklake:platform:Namespace", opts));
    const namespace = new k8s.core.v1.Namespace(
      name,
      {
        metadata: {
          name: args.name,
          labels: {
            ...standardLabels({ name: "blacklake", instance: args.name, component: "namespace" }),
            ...RESTRICTED_NAMESPACE_LABELS,
          },
        },
      },
      { parent: this },
    );
    this.name = namespace.metadata.name;
    // Cluster-scoped, so named after the namespace: two stacks in one cluster each have their own.
    const priorityClass = new k8s.scheduling.v1.PriorityClass(
      `${name}-stateful`,
      {
        metadata: { name: `${args.name}-stateful`, labels: standardLabels({ name: "blacklake", instance: args.name, component: "scheduling" }) },
        value: STATEFUL_PRIORITY,
        globalDefault: false,
        preemptionPolicy: "PreemptLowerPriority",
        description: `The stateful tier of the platform in namespace ${args.name}: PostgreSQL, MinIO, Redis.`,
      },
      { parent: this },
    );
    this.statefulPriorityClass = priorityClass.metadata.name;
    this.registerOutputs({ name: this.name, statefulPriorityClass: this.statefulPriorityClass });
  }
}
