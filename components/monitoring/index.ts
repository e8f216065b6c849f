import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../stacks/config";

export interface MonitoringArgs {
  namespace: pulumi.Input<string>;
  /** The platform instance, for the app.kubernetes.io/instance label. */
  instance: string;
  images: PlatformConfig["images"];
  settings: PlatformConfig["monitoring"];
  storageClass: string;
}

/**
 * Prometheus, Alertmanager and Grafana, collecting every component's monitoring mixin.
 *
 * Placeholder: the composition, its arguments and its place in the resource tree are
 * final; the Kubernetes objects arrive with issue #6.
 */
export class Monitoring extends pulumi.ComponentResource {
  readonly settings: PlatformConfig["monitoring"];

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:monitoring:Stack", name, {}, opts);
    this.settings = args.settings;
    this.registerOutputs({});
  }
}
