import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../stacks/config";

export interface KeycloakArgs {
  namespace: pulumi.Input<string>;
  /** The platform instance, for the app.kubernetes.io/instance label. */
  instance: string;
  images: PlatformConfig["images"];
  settings: PlatformConfig["keycloak"];
  storageClass: string;
}

/**
 * Keycloak with the blacklake realm imported at start-up.
 *
 * Placeholder: the composition, its arguments and its place in the resource tree are
 * final; the Kubernetes objects arrive with issue #5.
 */
export class Keycloak extends pulumi.ComponentResource {
  readonly settings: PlatformConfig["keycloak"];

  constructor(name: string, args: KeycloakArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:keycloak:Keycloak", name, {}, opts);
    this.settings = args.settings;
    this.registerOutputs({});
  }
}
