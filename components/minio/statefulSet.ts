import { priorityOf } from "../lib/component";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type ContainerSpec, kubernetesContainer } from "../lib/container";
import type { Env } from "../lib/env";
import { preferOnePodPerNode, volumeClaim } from "../lib/placement";
import { toResourceRequirements } from "../lib/resources";
import type { ObjectScope } from "../lib/scope";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";
import { MINIO_API_PORT as API_PORT, MINIO_CONSOLE_PORT as CONSOLE_PORT, MINIO_UID } from "./files";
import type { MinioTenantArgs } from "./index";

/** Where the servers read their TLS certificate and the CA. */
export const CERTS_DIR = "/etc/minio/certs";

/** `minio server`'s arguments on every target: where its certificates are (empty: plain HTTP), its ports, its drives. */
function minioServerArgs(o: { certsDir: string; console: boolean; drives: pulumi.Input<string> }): pulumi.Input<string>[] {
  return ["server", "--certs-dir", o.certsDir, "--address", `:${API_PORT}`, ...(o.console ? ["--console-address", `:${CONSOLE_PORT}`] : []), o.drives];
}

/** The server's settings on every target (its root user and KMS key come from its Secret or as values). */
function minioServerEnv(console: boolean): Env {
  return {
    MINIO_BROWSER: console ? "on" : "off",
    // Metrics need a bearer token (never public): see docs/runbooks/minio.md.
    MINIO_PROMETHEUS_AUTH_TYPE: "jwt",
  };
}

/**
 * `minio server` on every target: one data volume per drive, mounted at /<volume>, and
 * with `tls` the certificates (Kubernetes: from the TLS Secret) in CERTS_DIR.
 */
export function minioServerContainer(image: pulumi.Input<string>, o: Parameters<typeof minioServerArgs>[0] & { driveVolumes: string[]; tls: boolean }): ContainerSpec {
  return {
    name: "minio",
    image,
    command: ["minio"],
    args: minioServerArgs(o),
    ports: [{ name: "api", port: API_PORT }, ...(o.console ? [{ name: "console", port: CONSOLE_PORT }] : [])],
    env: minioServerEnv(o.console),
    uid: MINIO_UID,
    mounts: [
      ...o.driveVolumes.map((volume) => ({ kind: "data" as const, volume, path: `/${volume}` })),
      ...(o.tls ? [{ kind: "files" as const, volume: "certs", path: o.certsDir }] : []),
      { kind: "scratch", volume: "tmp", path: "/tmp" },
    ],
    // The image has no HTTP client: Docker gets no healthcheck.
    health: { http: { port: "api", readinessPath: "/minio/health/ready", livenessPath: "/minio/health/live", startupSeconds: 120 } },
  };
}

/**
 * The servers: a headless Service for their DNS names, the API Service (and the console's
 * when enabled), the StatefulSet (distributed across replicas x drives, or one standalone
 * pod), TLS only, and a PodDisruptionBudget.
 */
export function minioServers(scope: ObjectScope, name: string, args: MinioTenantArgs, rootSecretName: pulumi.Input<string>, dependsOn: pulumi.Resource[]): k8s.apps.v1.StatefulSet {
  const s = args.settings;
  const headless = new k8s.core.v1.Service(
    `${name}-pods`,
    {
      metadata: scope.meta(`${name}-pods`),
      spec: { clusterIP: "None", publishNotReadyAddresses: true, selector: scope.selector, ports: [{ name: "api", port: API_PORT, targetPort: "api" }] },
    },
    scope.child,
  );
  new k8s.core.v1.Service(
    name,
    { metadata: scope.meta(name), spec: { type: "ClusterIP", selector: scope.selector, ports: [{ name: "api", port: API_PORT, targetPort: "api" }] } },
    scope.child,
  );
  if (s.console.enabled) {
    new k8s.core.v1.Service(
      `${name}-console`,
      { metadata: scope.meta(`${name}-console`), spec: { type: "ClusterIP", selector: scope.selector, ports: [{ name: "console", port: CONSOLE_PORT, targetPort: "console" }] } },
      scope.child,
    );
  }

  const drives = Array.from({ length: s.drivesPerReplica }, (_, i) => `data${i}`);
  const driveRange = s.drivesPerReplica === 1 ? "/data0" : `/data{0...${s.drivesPerReplica - 1}}`;
  const volumes =
    s.mode === "distributed" ? pulumi.interpolate`https://${name}-{0...${s.replicas - 1}}.${name}-pods.${scope.namespace}.svc${driveRange}` : pulumi.output(driveRange);

  const statefulSet = new k8s.apps.v1.StatefulSet(
    name,
    {
      metadata: scope.meta(name),
      spec: {
        serviceName: headless.metadata.name,
        replicas: s.replicas,
        // Distributed MinIO needs all peers to come up together.
        podManagementPolicy: "Parallel",
        selector: { matchLabels: scope.selector },
        template: {
          metadata: { labels: scope.labels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurityContext(MINIO_UID),
            ...priorityOf(args),
            affinity: preferOnePodPerNode(scope.selector),
            containers: [
              {
                ...kubernetesContainer(
                  minioServerContainer(args.images.minio, { certsDir: CERTS_DIR, console: s.console.enabled, drives: volumes, driveVolumes: drives, tls: true }),
                ),
                envFrom: [{ secretRef: { name: rootSecretName } }],
                resources: toResourceRequirements(s.resources),
                securityContext: restrictedContainerSecurityContext(),
              },
            ],
            volumes: [
              {
                name: "certs",
                secret: {
                  secretName: s.tlsSecretName,
                  defaultMode: 0o440,
                  items: [
                    { key: "tls.crt", path: "public.crt" },
                    { key: "tls.key", path: "private.key" },
                    { key: "ca.crt", path: "CAs/ca.crt" },
                  ],
                },
              },
              { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
            ],
          },
        },
        volumeClaimTemplates: drives.map((d) => volumeClaim(d, scope.labels, s.storage, args.storageClass)),
      },
    },
    // The pods mount the certificate's Secret: ask for it first.
    { ...scope.child, dependsOn },
  );
  scope.podDisruptionBudget(name);
  return statefulSet;
}
