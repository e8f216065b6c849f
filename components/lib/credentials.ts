import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";

// Generated credentials and the Secrets that carry them, one way for every component.

/**
 * A random password, a Pulumi secret end to end. Letters and digits only: it goes into
 * URIs, config files and environment variables unescaped.
 */
export function generatedPassword(name: string, parent: pulumi.Resource | pulumi.CustomResourceOptions, length = 32): pulumi.Output<string> {
  return new random.RandomPassword(name, { length, special: false }, asOptions(parent)).result;
}

/** An Opaque Secret of string values (stringData: the API server encodes them). */
export function opaqueSecret(
  name: string,
  metadata: k8s.types.input.meta.v1.ObjectMeta,
  stringData: Record<string, pulumi.Input<string>>,
  parent: pulumi.Resource | pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
  return new k8s.core.v1.Secret(name, { metadata, type: "Opaque", stringData }, asOptions(parent));
}

/** A parent given as the resource itself or as the child's options. */
function asOptions(parent: pulumi.Resource | pulumi.CustomResourceOptions): pulumi.CustomResourceOptions {
  return pulumi.Resource.isInstance(parent) ? { parent } : parent;
}
