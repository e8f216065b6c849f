import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../stacks/config";

export interface MinioTenantArgs {
  namespace: pulumi.Input<string>;
  /** The platform instance, for the app.kubernetes.io/instance label. */
  instance: string;
  images: PlatformConfig["images"];
  settings: PlatformConfig["minio"];
  storageClass: string;
}

/**
 * MinIO object storage with versioned buckets and per-consumer accounts.
 *
 * Placeholder: the composition, its arguments and its place in the resource tree are
 * final; the Kubernetes objects arrive with issue #5.
 */
export class MinioTenant extends pulumi.ComponentResource {
  readonly settings: PlatformConfig["minio"];

  constructor(name: string, args: MinioTenantArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:minio:Tenant", name, {}, opts);
    this.settings = args.settings;
    this.registerOutputs({});
  }
}
