import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { dockerEnv, type Env, kubernetesEnv } from "./env";
import { type DockerUpload, dockerMounts, kubernetesVolumeMounts, type Mount } from "./mounts";
import { dockerHealthcheck, type Health, kubernetesProbes } from "./probes";

// A container as a service declares it once, for every target: image, command line,
// environment, ports, user, what it mounts and how it tells it is healthy. Two renderers
// turn it into what a target takes: a Kubernetes container (the component adds resources
// and the restricted security context, and declares the pod volumes the mounts name) and
// a Docker container spec (the local stack adds published ports and maps data volumes to
// named volumes).

export interface ContainerSpec {
  /** The container's name in its pod (the local stack names its containers after the service). */
  name: string;
  image: pulumi.Input<string>;
  /** Replaces the image's entrypoint. */
  command?: pulumi.Input<string>[];
  /** Arguments to the entrypoint, or to `command`. */
  args?: pulumi.Input<string>[];
  env?: Env;
  ports?: { name: string; port: number }[];
  /** The unprivileged user (and group) it runs as. */
  uid: number;
  /** What it mounts, in order. */
  mounts?: Mount[];
  health?: Health;
}

/** The Kubernetes container of a spec; its pod's securityContext carries the uid. */
export function kubernetesContainer(spec: ContainerSpec): k8s.types.input.core.v1.Container {
  return {
    name: spec.name,
    image: spec.image,
    ...(spec.command ? { command: spec.command } : {}),
    ...(spec.args ? { args: spec.args } : {}),
    ...(spec.ports ? { ports: spec.ports.map((p) => ({ name: p.name, containerPort: p.port })) } : {}),
    ...(spec.env ? { env: kubernetesEnv(spec.env) } : {}),
    ...(spec.mounts ? { volumeMounts: kubernetesVolumeMounts(spec.mounts) } : {}),
    ...(spec.health ? kubernetesProbes(spec.health) : {}),
  };
}

/** What a Docker container takes from a spec: Docker's entrypoint is Kubernetes' command, its command the args. */
export function dockerContainer(spec: ContainerSpec): {
  image: pulumi.Input<string>;
  user: string;
  entrypoint?: pulumi.Input<string>[];
  command?: pulumi.Input<string>[];
  env?: Record<string, pulumi.Input<string>>;
  uploads?: DockerUpload[];
  /** Data mounts by the spec's volume name; the composition maps them to named volumes. */
  volumes?: { volume: string; path: string; readOnly: boolean }[];
  tmpfs?: string[];
  healthcheck?: string;
} {
  const mounts = spec.mounts ? dockerMounts(spec.name, spec.mounts) : undefined;
  const healthcheck = spec.health ? dockerHealthcheck(spec.name, spec.health) : undefined;
  return {
    image: spec.image,
    user: `${spec.uid}:${spec.uid}`,
    ...(spec.command ? { entrypoint: spec.command } : {}),
    ...(spec.args ? { command: spec.args } : {}),
    ...(spec.env ? { env: dockerEnv(spec.env) } : {}),
    ...(mounts?.uploads.length ? { uploads: mounts.uploads } : {}),
    ...(mounts?.volumes.length ? { volumes: mounts.volumes } : {}),
    ...(mounts?.tmpfs.length ? { tmpfs: mounts.tmpfs } : {}),
    ...(healthcheck ? { healthcheck } : {}),
  };
}
