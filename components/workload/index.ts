import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../stacks/config";

export interface ApiWorkloadArgs {
  namespace: pulumi.Input<string>;
  /** The platform instance, for the app.kubernetes.io/instance label. */
  instance: string;
  images: PlatformConfig["images"];
  settings: PlatformConfig["api"];
  storageClass: string;
}

/**
 * The BlackLake API: Deployment, Service, PodDisruptionBudget and HPA.
 *
 * Placeholder: the composition, its arguments and its place in the resource tree are
 * final; the Kubernetes objects arrive with issue #7.
 */
export class ApiWorkload extends pulumi.ComponentResource {
  readonly settings: PlatformConfig["api"];

  constructor(name: string, args: ApiWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:workload:Api", name, {}, opts);
    this.settings = args.settings;
    this.registerOutputs({});
  }
}
