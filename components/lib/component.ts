import type * as pulumi from "@pulumi/pulumi";

/** Where a component's objects live. */
export interface NamespaceArgs {
  /** The namespace's name, known before deploy: DNS names, PromQL selectors and rendered files use it. */
  namespace: string;
  /**
   * What the objects' metadata.namespace is set to; `namespace` when unset. A stack that
   * declares the Namespace passes its name Output, so every object waits for it: a
   * component's children do not inherit the component's dependsOn.
   */
  namespaceOutput?: pulumi.Input<string>;
}

/** metadata.namespace for a component's objects. */
export const objectNamespace = (args: NamespaceArgs): pulumi.Input<string> => args.namespaceOutput ?? args.namespace;

/** What the stack hands every in-cluster component. Components never read pulumi.Config. */
export interface InClusterArgs<Settings, Images = Record<string, string>> extends NamespaceArgs {
  /** The platform instance, for the app.kubernetes.io/instance label (never a DNS or PromQL namespace). */
  instance: string;
  images: Images;
  /** The component's validated settings. */
  settings: Settings;
  /** Storage class for volumes whose settings name none. */
  storageClass: string;
  /** The PriorityClass of the component's pods (the stateful tier's: evicted last, scheduled first). */
  priorityClassName?: pulumi.Input<string>;
}

/** A pod spec's priorityClassName from the args, or nothing. */
export const priorityOf = (args: { priorityClassName?: pulumi.Input<string> }) => (args.priorityClassName ? { priorityClassName: args.priorityClassName } : {});

/**
 * A component's options with an alias from the type token it had before it was renamed
 * to match its class: existing stacks then keep its URN, and its children's, instead of
 * replacing everything under it.
 */
export function renamedType(previousType: string, opts?: pulumi.ComponentResourceOptions): pulumi.ComponentResourceOptions {
  return { ...opts, aliases: [...(opts?.aliases ?? []), { type: previousType }] };
}
