import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type NamespaceArgs, objectNamespace } from "./component";
import { opaqueSecret } from "./credentials";
import { type LabelIdentity, selectorLabels, standardLabels } from "./labels";

/**
 * Where a component's objects go and how they are labelled: the preamble every
 * component's constructor used to repeat (parent, namespace, labels, selector, metadata).
 */
export class ObjectScope {
  /** Options for the component's children. */
  readonly child: pulumi.CustomResourceOptions;
  readonly labels: Record<string, string>;
  readonly selector: Record<string, string>;

  constructor(
    readonly parent: pulumi.ComponentResource,
    readonly where: NamespaceArgs,
    readonly identity: LabelIdentity,
  ) {
    this.child = { parent };
    this.labels = standardLabels(identity);
    this.selector = selectorLabels(identity);
  }

  /** The namespace's plain name, for DNS names. */
  get namespace(): string {
    return this.where.namespace;
  }

  /** metadata of one namespaced object, labelled as the component or one of its parts. */
  meta(objectName: string, component = this.identity.component) {
    return { name: objectName, namespace: objectNamespace(this.where), labels: standardLabels({ ...this.identity, component }) };
  }

  /** An Opaque Secret of the component. */
  secret(secretName: string, stringData: Record<string, pulumi.Input<string>>) {
    return opaqueSecret(secretName, this.meta(secretName), stringData, this.parent);
  }

  /** A PodDisruptionBudget over the component's pods (or one app's): at most one down at a time. */
  podDisruptionBudget(name: string): k8s.policy.v1.PodDisruptionBudget {
    return new k8s.policy.v1.PodDisruptionBudget(name, { metadata: this.meta(name), spec: { maxUnavailable: 1, selector: { matchLabels: this.selector } } }, this.child);
  }
}
