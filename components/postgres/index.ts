import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../stacks/config";

export interface PostgresClusterArgs {
  namespace: pulumi.Input<string>;
  /** The platform instance, for the app.kubernetes.io/instance label. */
  instance: string;
  images: PlatformConfig["images"];
  settings: PlatformConfig["postgres"];
  storageClass: string;
}

/**
 * PostgreSQL 16 with streaming replicas and pgBackRest backups.
 *
 * Placeholder: the composition, its arguments and its place in the resource tree are
 * final; the Kubernetes objects arrive with issue #4.
 */
export class PostgresCluster extends pulumi.ComponentResource {
  readonly settings: PlatformConfig["postgres"];

  constructor(name: string, args: PostgresClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:postgres:Cluster", name, {}, opts);
    this.settings = args.settings;
    this.registerOutputs({});
  }
}
