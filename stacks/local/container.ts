import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { type ContainerSpec, dockerContainer } from "../../components/lib/container";
import type { DockerUpload } from "../../components/lib/mounts";

// One hardened container of the local stack. The defaults are the Docker side of the
// Kubernetes conventions (components/lib/securityContext.ts): a fixed non-root user,
// every capability dropped, no privilege escalation, no privileged mode, a read-only
// root filesystem unless files are uploaded into it, and restart unless-stopped.

export interface PublishedPort {
  /** Port inside the container. */
  internal: number;
  /** Port on the host (from local.ports). */
  external: number;
}

export interface LocalContainerSpec {
  /** The service's short name: its DNS name on the stack's network, e.g. "postgres". */
  service: string;
  image: pulumi.Input<string>;
  /** uid:gid, the same user the Kubernetes pod runs as. */
  user: string;
  entrypoint?: pulumi.Input<string>[];
  command?: pulumi.Input<string>[];
  env?: Record<string, pulumi.Input<string>>;
  uploads?: DockerUpload[];
  /** Named volumes, by their name in the stack (the Docker volume is <prefix>-<volume>). */
  volumes?: { volume: string; path: string; readOnly?: boolean }[];
  /** Writable scratch directories in memory (the emptyDirs of the pod). */
  tmpfs?: string[];
  ports?: PublishedPort[];
  /** A shell command run inside the container; omitted when the image has no tool for it. */
  healthcheck?: string;
  /** Capabilities the process needs back (only the volume-ownership job: CHOWN). */
  addCapabilities?: string[];
  /** Jobs run once, to completion, before what depends on them is created. */
  oneShot?: boolean;
  labels?: Record<string, string>;
}

export interface LocalContainerContext {
  /** Container names are <prefix>-<service>: names are global on a Docker engine. */
  prefix: string;
  network: docker.Network;
  /** The stack's named volume of that name, made on first use. */
  volume: (name: string) => docker.Volume;
  bindAddress: string;
  parent: pulumi.Resource;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export const RESTART_POLICY = "unless-stopped";

export function localContainer(spec: LocalContainerSpec, ctx: LocalContainerContext): docker.Container {
  const uploads = spec.uploads ?? [];
  const [uid, gid] = spec.user.split(":");
  // Literal values are settings; computed ones are generated credentials or built from them.
  const envs = Object.entries(spec.env ?? {}).map(([k, v]) => (typeof v === "string" ? `${k}=${v}` : pulumi.secret(pulumi.interpolate`${k}=${v}`)));
  return new docker.Container(
    spec.service,
    {
      name: `${ctx.prefix}-${spec.service}`,
      hostname: spec.service,
      image: spec.image,
      user: spec.user,
      entrypoints: spec.entrypoint,
      command: spec.command,
      envs,
      uploads: uploads.map((u) => ({
        file: u.file,
        content: u.secret ? pulumi.secret(u.content) : u.content,
        ...(u.secret ? { owner: uid, group: gid, permissions: "0400" } : { permissions: "0444" }),
      })),
      volumes: (spec.volumes ?? []).map((v) => ({ volumeName: ctx.volume(v.volume).name, containerPath: v.path, readOnly: v.readOnly ?? false })),
      tmpfs: Object.fromEntries((spec.tmpfs ?? []).map((path) => [path, `rw,noexec,nosuid,size=256m,uid=${uid},gid=${gid}`])),
      ports: (spec.ports ?? []).map((p) => ({ internal: p.internal, external: p.external, ip: ctx.bindAddress, protocol: "tcp" })),
      networksAdvanced: [{ name: ctx.network.name, aliases: [spec.service] }],
      // Uploads are written into the container's own layer before it starts, which
      // Docker refuses on a read-only root filesystem.
      readOnly: uploads.length === 0,
      privileged: false,
      capabilities: { drops: ["ALL"], adds: spec.addCapabilities ?? [] },
      securityOpts: ["no-new-privileges:true"],
      restart: spec.oneShot ? "no" : RESTART_POLICY,
      // A job is attached to until it exits, so what depends on it starts after it finished.
      ...(spec.oneShot ? { attach: true, logs: true, mustRun: false } : {}),
      healthcheck: spec.healthcheck ? { tests: ["CMD-SHELL", spec.healthcheck], interval: "10s", timeout: "5s", retries: 6, startPeriod: "60s" } : undefined,
      labels: Object.entries({ "app.kubernetes.io/part-of": "blacklake", "app.kubernetes.io/managed-by": "pulumi", ...spec.labels }).map(([label, value]) => ({ label, value })),
    },
    { parent: ctx.parent, dependsOn: ctx.dependsOn, deleteBeforeReplace: true },
  );
}

/**
 * A service's container as declared for every target, as the local stack runs it: named
 * after the service, its data mounts on the stack's volumes named <service>-<volume>
 * unless `volumeNames` maps them to others (volumes that two containers share).
 */
export function fromSpec(service: string, spec: ContainerSpec, volumeNames: Record<string, string> = {}): LocalContainerSpec {
  const { volumes, ...rest } = dockerContainer(spec);
  return {
    service,
    ...rest,
    ...(volumes ? { volumes: volumes.map((v) => ({ ...v, volume: volumeNames[v.volume] ?? `${service}-${v.volume}` })) } : {}),
  };
}
