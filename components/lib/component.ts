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
