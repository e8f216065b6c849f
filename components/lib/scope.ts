import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type NamespaceArgs, objectNamespace } from "./component";
import { generatedPassword, opaqueSecret } from "./credentials";
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

  /**
   * `namePrefix`: the component's name, for components whose objects are named after their
   * parts (prometheus, allow-api) rather than after the component: their Pulumi names get
   * the prefix, so two instances in one stack do not collide.
   */
  constructor(
    readonly parent: pulumi.ComponentResource,
    readonly where: NamespaceArgs,
    readonly identity: LabelIdentity,
    private readonly namePrefix?: string,
  ) {
    this.child = { parent };
    this.labels = standardLabels(identity);
    this.selector = selectorLabels(identity);
  }

  /** The Pulumi name of the child whose Kubernetes object is `objectName`. */
  childName(objectName: string): string {
    return this.namePrefix ? prefixedName(this.namePrefix, objectName) : objectName;
  }

  /** Options for that child: its parent and, when prefixed, an alias from the bare name it had before, so existing stacks keep it. */
  childOpts(objectName: string): pulumi.CustomResourceOptions {
    return this.namePrefix ? prefixedOpts(this.parent, objectName) : this.child;
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
    return opaqueSecret(this.childName(secretName), this.meta(secretName), stringData, this.childOpts(secretName));
  }

  /** A generated password of the component, for `purpose`. */
  password(purpose: string, length?: number): pulumi.Output<string> {
    return generatedPassword(this.childName(purpose), this.childOpts(purpose), length);
  }

  /** A PodDisruptionBudget over the component's pods (or one app's): at most one down at a time. */
  podDisruptionBudget(name: string): k8s.policy.v1.PodDisruptionBudget {
    return new k8s.policy.v1.PodDisruptionBudget(
      this.childName(name),
      { metadata: this.meta(name), spec: { maxUnavailable: 1, selector: { matchLabels: this.selector } } },
      this.childOpts(name),
    );
  }
}

/** `<component>-<object>`: a child's Pulumi name under a component that prefixes them. */
export function prefixedName(component: string, objectName: string): string {
  return `${component}-${objectName}`;
}

/** A prefixed child's options: its parent, and an alias from its bare name (the name it had before the prefix). */
export function prefixedOpts(parent: pulumi.Resource, objectName: string): pulumi.CustomResourceOptions {
  return { parent, aliases: [{ name: objectName }] };
}
