import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

// What a container mounts, declared once for every target. Kubernetes mounts a pod volume
// by name (the component declares the volume: ConfigMap, Secret, claim or emptyDir);
// Docker copies rendered files into the container, gives data a named volume and scratch
// space a tmpfs.

/** Rendered files: a directory of them, or one file of the set (`subPath`) at `path`. */
export interface FilesMount {
  kind: "files";
  /** The pod volume's name (Kubernetes); Docker names the set after it in errors. */
  volume: string;
  /** The directory, or with `subPath` the file's own path. */
  path: string;
  /** Mount only this file of the set, at `path`. */
  subPath?: string;
  /**
   * The files' text, for targets that copy them in (Docker). Kubernetes reads them from the
   * volume, so a component may leave it out; a Docker composition must not.
   */
  files?: Record<string, pulumi.Input<string>>;
  /** Passwords or tokens: readable by the container's user only where the target copies them in. */
  secret?: boolean;
  /**
   * Secret files in the same directory beside non-secret ones (Kubernetes projects a
   * ConfigMap and a Secret into one volume); copied in readable by the user only.
   */
  secretFiles?: Record<string, pulumi.Input<string>>;
}

/** State that outlives the container (a claim or emptyDir on Kubernetes, a named volume on Docker). */
export interface DataMount {
  kind: "data";
  volume: string;
  path: string;
  readOnly?: boolean;
}

/** Writable scratch space on a read-only root filesystem (an emptyDir, a tmpfs). */
export interface ScratchMount {
  kind: "scratch";
  volume: string;
  path: string;
}

export type Mount = FilesMount | DataMount | ScratchMount;

/** Files another component hands a pod (a server's CA, say): the pod volume to declare and the container's mount of it. */
export interface PodFiles {
  volume: k8s.types.input.core.v1.Volume;
  mount: FilesMount;
}

/** The mounts as Kubernetes takes them, in declared order: files are always read-only. */
export function kubernetesVolumeMounts(mounts: Mount[]): k8s.types.input.core.v1.VolumeMount[] {
  return mounts.map((m) => ({
    name: m.volume,
    mountPath: m.path,
    ...(m.kind === "files" && m.subPath ? { subPath: m.subPath } : {}),
    ...(m.kind === "files" || (m.kind === "data" && m.readOnly) ? { readOnly: true } : {}),
  }));
}

/** A rendered file copied into a Docker container before it starts. */
export interface DockerUpload {
  /** Absolute path in the container. */
  file: string;
  content: pulumi.Input<string>;
  /** Files holding passwords or tokens: readable by the container's user only. */
  secret: boolean;
}

/** The mounts as Docker takes them: uploads, named volumes (by the mount's volume name) and tmpfs paths. */
export function dockerMounts(container: string, mounts: Mount[]): { uploads: DockerUpload[]; volumes: { volume: string; path: string; readOnly: boolean }[]; tmpfs: string[] } {
  const uploads: DockerUpload[] = [];
  const volumes: { volume: string; path: string; readOnly: boolean }[] = [];
  const tmpfs: string[] = [];
  for (const m of mounts) {
    if (m.kind === "scratch") tmpfs.push(m.path);
    else if (m.kind === "data") volumes.push({ volume: m.volume, path: m.path, readOnly: m.readOnly ?? false });
    else uploads.push(...filesToUpload(container, m));
  }
  return { uploads, volumes, tmpfs };
}

function filesToUpload(container: string, m: FilesMount): DockerUpload[] {
  const secret = m.secret ?? false;
  if (!m.files) throw new Error(`${container}: mount "${m.volume}" at ${m.path} has no file contents; a Docker container needs them to copy the files in`);
  if (m.subPath === undefined) {
    const inDir = (files: Record<string, pulumi.Input<string>>, secret: boolean) =>
      Object.entries(files).map(([name, content]) => ({ file: `${m.path}/${name}`, content, secret }));
    return [...inDir(m.files, secret), ...inDir(m.secretFiles ?? {}, true)];
  }
  const content = m.files[m.subPath];
  if (content === undefined)
    throw new Error(`${container}: mount "${m.volume}" at ${m.path} names file ${m.subPath}, which the set does not have (${Object.keys(m.files).join(", ")})`);
  return [{ file: m.path, content, secret }];
}
