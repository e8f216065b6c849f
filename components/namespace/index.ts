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
 * The namespace that holds the platform, labelled so the API server enforces the
 * Pod Security "restricted" profile on every pod in it.
 */
export class PlatformNamespace extends pulumi.ComponentResource {
  readonly name: pulumi.Output<string>;

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
    this.registerOutputs({ name: this.name });
  }
}
