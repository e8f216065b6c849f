import type * as pulumi from "@pulumi/pulumi";
import type { ContainerSpec } from "../lib/container";
import type { Env, EnvValue } from "../lib/env";
import type { Mount } from "../lib/mounts";
import { MINIO_UID } from "./files";

// The mc containers that run to completion: the bootstrap (every target) and the mirror
// (Kubernetes only: it copies to the off-site bucket). mc keeps its config under HOME,
// so both get a writable /tmp as HOME on a read-only root filesystem.

/** Where the bootstrap reads its files and the consumers' keys. */
export const BOOTSTRAP_DIR = "/bootstrap";
/** Where a job reads the CA that signed MinIO's certificate. */
export const JOB_CA_DIR = "/ca";

/** An mc container: HOME and scratch in /tmp around what the job gives. */
export function mcContainer(name: string, image: pulumi.Input<string>, job: { command: pulumi.Input<string>[]; env: Env; mounts: Mount[] }): ContainerSpec {
  return {
    name,
    image,
    command: job.command,
    env: { HOME: "/tmp", ...job.env },
    uid: MINIO_UID,
    mounts: [...job.mounts, { kind: "scratch", volume: "tmp", path: "/tmp" }],
  };
}

/**
 * The idempotent bootstrap (bootstrap.sh): buckets, versioning, encryption, lifecycle,
 * policies and users. With `tls` it trusts the CA mounted in JOB_CA_DIR (Kubernetes: from
 * the TLS Secret). `files` and `keys` are the bootstrap's files and the consumers' key
 * files, for targets that copy them in.
 */
export function minioBootstrapContainer(
  image: pulumi.Input<string>,
  o: {
    url: pulumi.Input<string>;
    root: { user: EnvValue; password: EnvValue };
    tls: boolean;
    files?: Record<string, pulumi.Input<string>>;
    keys?: Record<string, pulumi.Input<string>>;
  },
): ContainerSpec {
  return mcContainer("bootstrap", image, {
    command: ["bash", `${BOOTSTRAP_DIR}/bootstrap.sh`],
    env: {
      MINIO_URL: o.url,
      BOOTSTRAP_DIR,
      ...(o.tls ? { MINIO_CA_FILE: `${JOB_CA_DIR}/ca.crt` } : {}),
      MINIO_ROOT_USER: o.root.user,
      MINIO_ROOT_PASSWORD: o.root.password,
    },
    mounts: [
      { kind: "files", volume: "bootstrap", path: BOOTSTRAP_DIR, files: o.files, secretFiles: o.keys },
      ...(o.tls ? [{ kind: "files" as const, volume: "ca", path: JOB_CA_DIR }] : []),
    ],
  });
}
