import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../stacks/config";

export interface RedisQueueArgs {
  namespace: pulumi.Input<string>;
  /** The platform instance, for the app.kubernetes.io/instance label. */
  instance: string;
  images: PlatformConfig["images"];
  settings: PlatformConfig["redis"];
  storageClass: string;
}

/**
 * Redis for the job queue: password auth, AOF persistence, noeviction.
 *
 * Placeholder: the composition, its arguments and its place in the resource tree are
 * final; the Kubernetes objects arrive with issue #5.
 */
export class RedisQueue extends pulumi.ComponentResource {
  readonly settings: PlatformConfig["redis"];

  constructor(name: string, args: RedisQueueArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:redis:Queue", name, {}, opts);
    this.settings = args.settings;
    this.registerOutputs({});
  }
}
