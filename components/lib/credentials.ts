import type * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";

// Generated credentials and the Secrets that carry them, one way for every component.

/**
 * A random password, a Pulumi secret end to end. Letters and digits only: it goes into
 * URIs, config files and environment variables unescaped.
 */
export function generatedPassword(name: string, parent: pulumi.Resource, length = 32): pulumi.Output<string> {
  return new random.RandomPassword(name, { length, special: false }, { parent }).result;
}

/** An Opaque Secret of string values (stringData: the API server encodes them). */
export function opaqueSecret(
  name: string,
  metadata: k8s.types.input.meta.v1.ObjectMeta,
  stringData: Record<string, pulumi.Input<string>>,
  parent: pulumi.Resource,
): k8s.core.v1.Secret {
  return new k8s.core.v1.Secret(name, { metadata, type: "Opaque", stringData }, { parent });
}
