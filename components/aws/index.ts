import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../stacks/config";

export interface OffsiteBackupArgs {
  settings: PlatformConfig["aws"]["offsite"];
}

/**
 * The off-site backup bucket (KMS, versioning, lifecycle, replication) and the
 * least-privilege identities that write to it.
 *
 * Placeholder: the composition and its switch (aws.offsite.enabled) are final; the AWS
 * resources arrive with issue #8.
 */
export class OffsiteBackup extends pulumi.ComponentResource {
  readonly settings: PlatformConfig["aws"]["offsite"];

  constructor(name: string, args: OffsiteBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:aws:OffsiteBackup", name, {}, opts);
    this.settings = args.settings;
    this.registerOutputs({});
  }
}
