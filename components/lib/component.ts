import * as pulumi from "@pulumi/pulumi";

/** What the stack hands every in-cluster component. Components never read pulumi.Config. */
export interface InClusterArgs<Settings, Images = Record<string, string>> {
  namespace: pulumi.Input<string>;
  /** The platform instance, for the app.kubernetes.io/instance label. */
  instance: string;
  images: Images;
  /** The component's validated section of the platform config. */
  settings: Settings;
  /** Storage class for volumes whose settings name none. */
  storageClass: string;
}

/**
 * Holds the place of a component whose resources have not been written yet: its type
 * token, name, arguments and position in the resource tree are final, so the
 * composition and its tests are real before the component is. Each use names the
 * issue that replaces it.
 */
export class PendingComponent<Args> extends pulumi.ComponentResource {
  constructor(type: string, name: string, readonly args: Args, opts?: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    this.registerOutputs({});
  }
}
