import { priorityOf } from "../lib/component";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { preferOnePodPerNode, volumeClaim } from "../lib/placement";
import { configChecksumAnnotation } from "../lib/checksum";
import { kubernetesContainer } from "../lib/container";
import { RESOURCE_PRESETS, toResourceRequirements } from "../lib/resources";
import type { ObjectScope } from "../lib/scope";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";
import type { ClusterCredentials } from "./credentials";
import type { RepoCa } from "./backupRepos";
import { POSTGRES_TLS_VOLUME, pgbackrestExporterContainer, postgresCaVolume, postgresContainer, postgresExporterContainer } from "./containers";
import { POSTGRES_PORT, POSTGRES_UID } from "./files";
import type { PostgresClusterArgs } from "./index";

/** The cluster's Services: headless for the pods' DNS names, rw on the primary (ordinal 0), ro on every instance. */
export function clusterServices(scope: ObjectScope, name: string): k8s.core.v1.Service {
  const service = (serviceName: string, extraSelector: Record<string, string>, headless = false) =>
    new k8s.core.v1.Service(
      serviceName,
      {
        metadata: scope.meta(serviceName),
        spec: {
          ...(headless ? { clusterIP: "None", publishNotReadyAddresses: true } : { type: "ClusterIP" }),
          selector: { ...scope.selector, ...extraSelector },
          ports: [{ name: "postgres", port: POSTGRES_PORT, targetPort: "postgres" }],
        },
      },
      scope.child,
    );
  const headless = service(`${name}-pods`, {}, true);
  // Ordinal 0 is the primary; a Service selector cannot exclude it, so read-only
  // traffic spreads over every instance, the primary included.
  service(`${name}-rw`, { "statefulset.kubernetes.io/pod-name": `${name}-0` });
  service(`${name}-ro`, {});
  return headless;
}

/** What the StatefulSet mounts and names, made before it. */
export interface StatefulSetDeps {
  headless: k8s.core.v1.Service;
  serviceAccount: k8s.core.v1.ServiceAccount;
  configMap: k8s.core.v1.ConfigMap;
  credentials: ClusterCredentials;
  ca: RepoCa;
  /** The server's TLS Secret (cert-manager's, from the Certificate). */
  tlsSecretName: string;
  /** The pgBackRest repositories: one backup exporter each. */
  repos: { index: number }[];
}

/**
 * The StatefulSet: entrypoint.sh makes ordinal 0 the primary and every other ordinal a
 * streaming replica; beside PostgreSQL run the exporter and a pgBackRest exporter per repository.
 */
export function postgresStatefulSet(scope: ObjectScope, name: string, args: PostgresClusterArgs, d: StatefulSetDeps, dependsOn: pulumi.Resource[]): k8s.apps.v1.StatefulSet {
  const s = args.settings;
  /** The password key of one of the roles' Secrets. */
  const password = (secret: k8s.core.v1.Secret) => ({ secretName: secret.metadata.name, key: "password" });
  // The files come from the ConfigMap; only the CA mounts vary.
  const files = { caMounts: d.ca.mounts, tls: true };
  return new k8s.apps.v1.StatefulSet(
    name,
    {
      metadata: scope.meta(name),
      spec: {
        serviceName: d.headless.metadata.name,
        replicas: s.instances,
        podManagementPolicy: "OrderedReady",
        updateStrategy: { type: "RollingUpdate" },
        selector: { matchLabels: scope.selector },
        template: {
          metadata: {
            labels: scope.labels,
            annotations: { "kubectl.kubernetes.io/default-container": "postgres", ...configChecksumAnnotation(d.configMap.data) },
          },
          spec: {
            serviceAccountName: d.serviceAccount.metadata.name,
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurityContext(POSTGRES_UID),
            ...priorityOf(args),
            terminationGracePeriodSeconds: 60,
            affinity: preferOnePodPerNode(scope.selector),
            containers: [
              {
                ...kubernetesContainer(
                  postgresContainer(
                    s,
                    args.images.postgres,
                    {
                      podName: { fieldPath: "metadata.name" },
                      primaryHost: pulumi.interpolate`${name}-0.${name}-pods.${scope.namespace}.svc`,
                      passwords: {
                        superuser: password(d.credentials.superuser),
                        replication: password(d.credentials.replication),
                        app: password(d.credentials.app),
                        exporter: password(d.credentials.exporter),
                      },
                    },
                    files,
                  ),
                ),
                envFrom: d.credentials.pgbackrestEnvFrom,
                resources: toResourceRequirements(s.resources),
                securityContext: restrictedContainerSecurityContext(),
              },
              {
                ...kubernetesContainer(postgresExporterContainer(args.images.postgresExporter, { host: "localhost", password: password(d.credentials.exporter), tls: true })),
                resources: toResourceRequirements(RESOURCE_PRESETS.nano),
                securityContext: restrictedContainerSecurityContext(),
              },
              ...d.repos.map((repo) => ({
                ...kubernetesContainer(pgbackrestExporterContainer(args.images.pgbackrestExporter, files, repo.index)),
                envFrom: d.credentials.pgbackrestEnvFrom,
                resources: toResourceRequirements(RESOURCE_PRESETS.nano),
                securityContext: restrictedContainerSecurityContext(),
              })),
            ],
            volumes: [
              { name: "config", configMap: { name: d.configMap.metadata.name, defaultMode: 0o444 } },
              { name: "socket", emptyDir: {} },
              { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
              // The key readable by the group (fsGroup) and owned by root: what PostgreSQL accepts.
              { name: POSTGRES_TLS_VOLUME, secret: { secretName: d.tlsSecretName, defaultMode: 0o440 } },
              postgresCaVolume(d.tlsSecretName),
              ...d.ca.volumes,
            ],
          },
        },
        volumeClaimTemplates: [volumeClaim("data", scope.labels, s.storage, args.storageClass)],
        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      },
    },
    // The pods mount the certificate's Secret: ask for it first.
    { ...scope.child, dependsOn },
  );
}
