import type * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { type LabelIdentity, standardLabels } from "../lib/labels";
import { kubernetesVolumeMounts, type Mount } from "../lib/mounts";
import { parseQuantity } from "../lib/quantity";
import { RESOURCE_PRESETS, toResourceRequirements } from "../lib/resources";

/** A size plus the default container's 2Gi (logs, /tmp), in Gi. */
const withHeadroom = (size: string) => `${Math.ceil((parseQuantity(size) ?? 0) / 1024 ** 3) + 2}Gi`;
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";

// The backup CronJobs (full, diff, incr per repository) and the weekly restore drill.
// pgBackRest must run where the data directory is, so a backup job asks the primary to
// run it over the Kubernetes API (pods/exec on that one pod, nothing else); the drill
// restores into its own scratch volume and needs no access to the database at all.

export interface BackupJobsArgs {
  name: string;
  namespace: pulumi.Input<string>;
  identity: LabelIdentity;
  stanza: string;
  primaryPod: string;
  repos: { index: number; schedules: { full: string; diff?: string; incr: string } }[];
  restoreDrill: { enabled: boolean; schedule: string };
  images: { postgres: pulumi.Input<string>; backupTools: pulumi.Input<string> };
  /** The database pods' ServiceAccount: the drill reads the same repositories with the same identity. */
  serviceAccountName: pulumi.Input<string>;
  scratchSize: string;
  configMapName: pulumi.Input<string>;
  /** Every Secret pgBackRest reads options from (cipher passphrases, S3 keys). */
  pgbackrestEnvFrom: k8s.types.input.core.v1.EnvFromSource[];
  /** The repositories' private CAs, for the drill's pgBackRest. */
  caVolumes: k8s.types.input.core.v1.Volume[];
  caMounts: Mount[];
  paths: { pgbackrestConfig: string; config: string };
  runAsUser: number;
  dependsOn: pulumi.Resource[];
  parent: pulumi.Resource;
}

/** Long enough for a full backup of a large database; a stuck job must not block the next. */
const DEADLINE_SECONDS = { full: 6 * 3600, diff: 3 * 3600, incr: 2 * 3600, drill: 4 * 3600 };

export function backupCronJobs(a: BackupJobsArgs): void {
  const opts = { parent: a.parent, dependsOn: a.dependsOn };
  const meta = (objectName: string, component: string) => ({
    name: objectName,
    namespace: a.namespace,
    labels: standardLabels({ ...a.identity, component }),
  });

  const account = `${a.name}-backup`;
  const serviceAccount = new k8s.core.v1.ServiceAccount(account, { metadata: meta(account, "backup") }, opts);
  const role = new k8s.rbac.v1.Role(
    account,
    {
      metadata: meta(account, "backup"),
      rules: [
        { apiGroups: [""], resources: ["pods"], resourceNames: [a.primaryPod], verbs: ["get"] },
        // Why an exec right, and not pgBackRest's TLS server (a `pgbackrest server` sidecar
        // that a backup pod reaches with a client certificate, no Kubernetes right at all):
        // a backup must run against the current primary, and which pod that is changes with
        // automatic failover (#18), where the backup jobs are redesigned to follow the
        // leader. Until then the right is as narrow as RBAC allows: create, on exec only,
        // of the one primary pod (resourceNames), from a ServiceAccount no other pod uses,
        // whose only egress is the API server (components/network/flows.ts).
        { apiGroups: [""], resources: ["pods/exec"], resourceNames: [a.primaryPod], verbs: ["create"] },
      ],
    },
    opts,
  );
  new k8s.rbac.v1.RoleBinding(
    account,
    {
      metadata: meta(account, "backup"),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace: a.namespace }],
    },
    opts,
  );

  const cronJob = (jobName: string, component: string, schedule: string, deadlineSeconds: number, pod: k8s.types.input.core.v1.PodSpec) =>
    new k8s.batch.v1.CronJob(
      jobName,
      {
        metadata: meta(jobName, component),
        spec: {
          schedule,
          timeZone: "Etc/UTC",
          concurrencyPolicy: "Forbid",
          startingDeadlineSeconds: 600,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            metadata: { labels: standardLabels({ ...a.identity, component }) },
            spec: {
              backoffLimit: 2,
              activeDeadlineSeconds: deadlineSeconds,
              template: {
                metadata: { labels: standardLabels({ ...a.identity, component }) },
                spec: { restartPolicy: "Never", securityContext: restrictedPodSecurityContext(a.runAsUser), ...pod },
              },
            },
          },
        },
      },
      opts,
    );

  const pgbackrest = `pgbackrest --config=${a.paths.pgbackrestConfig} --stanza=${a.stanza}`;
  for (const repo of a.repos) {
    for (const type of ["full", "diff", "incr"] as const) {
      const schedule = repo.schedules[type];
      if (!schedule) continue;
      // stanza-create is idempotent: the first backup also initialises the repository.
      const remote = `${pgbackrest} --repo=${repo.index} stanza-create && ${pgbackrest} --repo=${repo.index} backup --type=${type}`;
      cronJob(`${a.name}-backup-repo${repo.index}-${type}`, "backup", schedule, DEADLINE_SECONDS[type], {
        serviceAccountName: serviceAccount.metadata.name,
        automountServiceAccountToken: true,
        containers: [
          {
            name: "backup",
            image: a.images.backupTools,
            command: ["kubectl", "exec", "--namespace", a.namespace, a.primaryPod, "--container", "postgres", "--", "bash", "-c", remote],
            resources: toResourceRequirements(RESOURCE_PRESETS.nano),
            securityContext: restrictedContainerSecurityContext(),
          },
        ],
      });
    }
  }

  if (a.restoreDrill.enabled) {
    cronJob(`${a.name}-restore-drill`, "restore-drill", a.restoreDrill.schedule, DEADLINE_SECONDS.drill, {
      serviceAccountName: a.serviceAccountName,
      automountServiceAccountToken: false,
      containers: [
        {
          name: "restore-drill",
          image: a.images.postgres,
          command: ["bash", `${a.paths.config}/restore-drill.sh`],
          env: [
            { name: "PGBACKREST_CONFIG", value: a.paths.pgbackrestConfig },
            { name: "PGBACKREST_STANZA", value: a.stanza },
            { name: "DRILL_SCRATCH_DIR", value: "/scratch" },
            // The production postgresql.conf is mounted, not in the data directory the backup holds.
            { name: "DRILL_POSTGRES_CONFIG", value: `${a.paths.config}/postgresql.conf` },
          ],
          envFrom: a.pgbackrestEnvFrom,
          // The restore lands in the scratch emptyDir, node-local disk: ask for it, and let it have it.
          resources: toResourceRequirements(RESOURCE_PRESETS.medium, { request: a.scratchSize, limit: withHeadroom(a.scratchSize) }),
          securityContext: restrictedContainerSecurityContext(),
          volumeMounts: [
            { name: "config", mountPath: a.paths.config, readOnly: true },
            { name: "config", mountPath: a.paths.pgbackrestConfig, subPath: "pgbackrest.conf", readOnly: true },
            { name: "scratch", mountPath: "/scratch" },
            ...kubernetesVolumeMounts(a.caMounts),
            { name: "tmp", mountPath: "/tmp" },
          ],
        },
      ],
      volumes: [
        { name: "config", configMap: { name: a.configMapName, defaultMode: 0o444 } },
        { name: "scratch", emptyDir: { sizeLimit: a.scratchSize } },
        ...a.caVolumes,
        { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
      ],
    });
  }
}
