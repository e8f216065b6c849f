import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

// A container's environment, declared once for every target. A value is a literal or one
// key of a Secret; Kubernetes reads the key from the Secret, while a target without
// Secrets (Docker) is handed the value itself by its composition.

/** One key of a Kubernetes Secret. */
export interface SecretKeyRef {
  secretName: pulumi.Input<string>;
  key: string;
}

/** A field of the pod (metadata.name): Kubernetes fills it in; Docker is given the value. */
export interface PodFieldRef {
  fieldPath: string;
}

export type EnvValue = pulumi.Input<string> | SecretKeyRef | PodFieldRef;

/** Variables in the order the container sees them. */
export type Env = Record<string, EnvValue>;

const isSecretKeyRef = (v: EnvValue): v is SecretKeyRef => typeof v === "object" && v !== null && "secretName" in v && "key" in v;
const isPodFieldRef = (v: EnvValue): v is PodFieldRef => typeof v === "object" && v !== null && "fieldPath" in v;

/** A container's env as Kubernetes takes it: literals as value, Secret keys as valueFrom. */
export function kubernetesEnv(env: Env): k8s.types.input.core.v1.EnvVar[] {
  return Object.entries(env).map(([name, v]) => {
    if (isSecretKeyRef(v)) return { name, valueFrom: { secretKeyRef: { name: v.secretName, key: v.key } } };
    if (isPodFieldRef(v)) return { name, valueFrom: { fieldRef: { fieldPath: v.fieldPath } } };
    return { name, value: v };
  });
}

/** A container's env as Docker takes it: values only (the composition resolves Secrets to their values). */
export function dockerEnv(env: Env): Record<string, pulumi.Input<string>> {
  return Object.fromEntries(
    Object.entries(env).map(([name, v]) => {
      if (isSecretKeyRef(v)) throw new Error(`${name}: a Docker container takes the value, not a reference to Secret key ${v.key}`);
      if (isPodFieldRef(v)) throw new Error(`${name}: a Docker container takes the value, not the pod field ${v.fieldPath}`);
      return [name, v];
    }),
  );
}
