import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { PlatformConfig } from "./config";

/**
 * The one Kubernetes provider every object goes through. With renderYamlToDirectory the
 * provider writes manifests instead of talking to a cluster: the dev stack's default.
 */
export function kubernetesProvider(config: PlatformConfig["kubernetes"]): k8s.Provider {
  return new k8s.Provider("kubernetes", {
    renderYamlToDirectory: config.renderYamlToDirectory,
    context: config.context,
    // Server-side apply lets the API server own field merging, as kubectl apply does.
    enableServerSideApply: true,
    // Our ConfigMaps and Secrets have fixed names that pods mount; the provider would
    // otherwise plan a change of their data as a replacement (delete, then create under
    // the same name), which a reviewer reads as destructive and which briefly removes
    // the object. Pods pick up the new files on restart either way (docs/operations.md).
    enableConfigMapMutable: true,
    enableSecretMutable: true,
    deleteUnreachable: false,
  });
}

/**
 * Engine-tier clusters have no kubelet, so nothing ever becomes Ready. This annotation
 * tells the provider not to wait; the config schema documents it as test-only.
 */
export function skipAwaitOnEveryKubernetesObject(): void {
  pulumi.runtime.registerResourceTransform((args) => {
    if (!args.type.startsWith("kubernetes:") || args.type.startsWith("pulumi:providers:")) return undefined;
    const metadata = (args.props.metadata ?? {}) as { annotations?: Record<string, string> };
    return {
      props: {
        ...args.props,
        metadata: { ...metadata, annotations: { ...metadata.annotations, "pulumi.com/skipAwait": "true" } },
      },
      opts: args.opts,
    };
  });
}
