import type { InputResource } from "./harness";
import { add, adminPolicy, bucket, conf, drop, type Mutation, main, one, pod, rules } from "./prodEdits";

// Insecure edits of the prod stack that the pack has caught since it was written: pod
// security, backups, alert rules, S3, KMS, ECR and IAM basics. Each must be caught by the
// named MANDATORY policy, and the violation must name the edited resource.
// Over 300 lines because it is a table of edits, one per insecure change a pull request
// could make.

export const INSECURE_EDITS: Mutation[] = [
  { what: "api container loses its limits", policy: "k8s-container-resources", mentions: "api", edit: (rs) => void delete main(rs, "Deployment", "api").resources.limits },
  {
    what: "backup container loses its requests",
    policy: "k8s-container-resources",
    mentions: "postgres-backup-repo1-full",
    edit: (rs) => void delete main(rs, "CronJob", "postgres-backup-repo1-full").resources.requests,
  },
  { what: "api image set to :latest", policy: "k8s-image-pinned-tag", mentions: "api", edit: (rs) => void (main(rs, "Deployment", "api").image = "ghcr.io/blacklake/api:latest") },
  { what: "redis image untagged", policy: "k8s-image-pinned-tag", mentions: "redis", edit: (rs) => void (main(rs, "StatefulSet", "redis").image = "docker.io/library/redis") },
  { what: "repo2 incremental backup CronJob dropped", policy: "stack-postgres-backup-cronjobs", mentions: "postgres", edit: drop("CronJob", "postgres-backup-repo2-incr") },
  { what: "repo1 full backup CronJob dropped", policy: "stack-postgres-backup-cronjobs", mentions: "postgres", edit: drop("CronJob", "postgres-backup-repo1-full") },
  {
    what: "pgbackrest repo2 retention shortened to 7 days",
    policy: "platform-pgbackrest-retention",
    mentions: "postgres-config",
    edit: conf("pgbackrest.conf", (t) => t.replace("repo2-retention-full=30", "repo2-retention-full=7")),
  },
  {
    what: "pgbackrest retention counted, not timed",
    policy: "platform-pgbackrest-retention",
    mentions: "postgres-config",
    edit: conf("pgbackrest.conf", (t) => t.replace("repo1-retention-full-type=time", "repo1-retention-full-type=count")),
  },
  {
    what: "pgbackrest repo1 encryption removed",
    policy: "platform-pgbackrest-encryption",
    mentions: "postgres-config",
    edit: conf("pgbackrest.conf", (t) => t.replace("repo1-cipher-type=aes-256-cbc", "repo1-cipher-type=none")),
  },
  {
    what: "archive_mode off",
    policy: "platform-postgres-archive-mode",
    mentions: "postgres-config",
    edit: conf("postgresql.conf", (t) => t.replace("archive_mode = 'on'", "archive_mode = 'off'")),
  },
  {
    what: "archive_command bypasses pgBackRest",
    policy: "platform-postgres-archive-command",
    mentions: "postgres-config",
    edit: conf("postgresql.conf", (t) => t.replace(/^archive_command = .*$/m, "archive_command = '/bin/true'")),
  },
  {
    what: "archive_timeout raised to an hour",
    policy: "platform-postgres-archive-timeout",
    mentions: "postgres-config",
    edit: conf("postgresql.conf", (t) => t.replace("archive_timeout = 60", "archive_timeout = 1h")),
  },
  {
    what: "keycloak container privileged",
    policy: "k8s-no-privileged",
    mentions: "keycloak",
    edit: (rs) => void (main(rs, "Deployment", "keycloak").securityContext.privileged = true),
  },
  { what: "grafana on the host network", policy: "k8s-no-host-namespaces", mentions: "grafana", edit: (rs) => void (pod(rs, "Deployment", "grafana").hostNetwork = true) },
  {
    what: "restore drill shares the host PID namespace",
    policy: "k8s-no-host-namespaces",
    mentions: "postgres-restore-drill",
    edit: (rs) => void (pod(rs, "CronJob", "postgres-restore-drill").hostPID = true),
  },
  {
    what: "prometheus mounts a hostPath",
    policy: "k8s-no-host-path",
    mentions: "prometheus",
    edit: (rs) => void pod(rs, "StatefulSet", "prometheus").volumes.push({ name: "host", hostPath: { path: "/" } }),
  },
  {
    what: "keycloak Service becomes a LoadBalancer",
    policy: "k8s-service-type",
    mentions: "keycloak",
    edit: (rs) => void (one(rs, "Service", "keycloak").spec.type = "LoadBalancer"),
  },
  { what: "grafana Service becomes a NodePort", policy: "k8s-service-type", mentions: "grafana", edit: (rs) => void (one(rs, "Service", "grafana").spec.type = "NodePort") },
  {
    what: "namespace loses its Pod Security enforce label",
    policy: "k8s-namespace-pod-security",
    mentions: "blacklake",
    edit: (rs) => void delete one(rs, "Namespace", "blacklake").metadata.labels["pod-security.kubernetes.io/enforce"],
  },
  {
    what: "postgres volume claim template loses its storage class",
    policy: "k8s-pvc-storage-class",
    mentions: "postgres",
    edit: (rs) => void delete one(rs, "StatefulSet", "postgres").spec.volumeClaimTemplates[0].spec.storageClassName,
  },
  {
    what: "a password key in the redis ConfigMap",
    policy: "k8s-no-secrets-in-configmaps",
    mentions: "redis-config",
    edit: (rs) => void (one(rs, "ConfigMap", "redis-config").data["admin-password"] = "hunter2"),
  },
  {
    what: "a database URI with credentials in a ConfigMap",
    policy: "k8s-no-secrets-in-configmaps",
    mentions: "grafana-provisioning",
    edit: (rs) => void (one(rs, "ConfigMap", "grafana-provisioning").data["db.ini"] = "url = postgresql://grafana:s3cr3t@postgres-rw:5432/grafana\n"),
  },
  { what: "restore drill CronJob removed", policy: "stack-postgres-restore-drill", mentions: "postgres", edit: drop("CronJob", "postgres-restore-drill") },
  {
    what: "backup CronJob suspended",
    policy: "platform-backup-cronjobs-active",
    mentions: "postgres-backup-repo2-full",
    edit: (rs) => void (one(rs, "CronJob", "postgres-backup-repo2-full").spec.suspend = true),
  },
  { what: "an alert rule loses its runbook_url", policy: "platform-alert-rule-metadata", mentions: "prometheus-rules", edit: rules((t) => t.replace(/\n\s*runbook_url: .*/, "")) },
  { what: "an alert rule loses its severity", policy: "platform-alert-rule-metadata", mentions: "prometheus-rules", edit: rules((t) => t.replace(/\n\s*severity: critical/, "")) },
  {
    what: "minio container runAsNonRoot false",
    policy: "k8s-run-as-non-root",
    mentions: "minio",
    edit: (rs) => void (main(rs, "StatefulSet", "minio").securityContext.runAsNonRoot = false),
  },
  {
    what: "alertmanager keeps its capabilities",
    policy: "k8s-drop-all-capabilities",
    mentions: "alertmanager",
    edit: (rs) => void delete main(rs, "StatefulSet", "alertmanager").securityContext.capabilities,
  },
  { what: "api loses its readiness probe", policy: "k8s-probes", mentions: "api", edit: (rs) => void delete main(rs, "Deployment", "api").readinessProbe },
  {
    what: "postgres exporter loses its liveness probe",
    policy: "k8s-probes",
    mentions: "postgres",
    edit: (rs) => void delete pod(rs, "StatefulSet", "postgres").containers[1].livenessProbe,
  },
  {
    what: "redis allows privilege escalation",
    policy: "k8s-no-privilege-escalation",
    mentions: "redis",
    edit: (rs) => void (main(rs, "StatefulSet", "redis").securityContext.allowPrivilegeEscalation = true),
  },
  {
    what: "keycloak seccomp Unconfined",
    policy: "k8s-seccomp-runtime-default",
    mentions: "keycloak",
    edit: (rs) => void (main(rs, "Deployment", "keycloak").securityContext.seccompProfile = { type: "Unconfined" }),
  },
  {
    what: "api mounts a service account token",
    policy: "k8s-automount-service-account-token",
    mentions: "api",
    edit: (rs) => void (pod(rs, "Deployment", "api").automountServiceAccountToken = true),
  },
  { what: "api PodDisruptionBudget removed", policy: "stack-pdb-for-replicated-workloads", mentions: "api", edit: drop("PodDisruptionBudget", "api") },
  {
    what: "api HPA scales down to one pod",
    policy: "stack-hpa-min-replicas",
    mentions: "api",
    edit: (rs) => void (one(rs, "HorizontalPodAutoscaler", "api").spec.minReplicas = 1),
  },
  {
    what: "keycloak rolls out with Recreate and no PDB",
    policy: "stack-deployment-rollout-availability",
    mentions: "keycloak",
    edit: (rs) => {
      one(rs, "Deployment", "keycloak").spec.strategy = { type: "Recreate" };
      return drop("PodDisruptionBudget", "keycloak")(rs) as InputResource[];
    },
  },
  {
    what: "mirror CronJob may overlap itself",
    policy: "k8s-cronjob-concurrency-history",
    mentions: "minio-mirror",
    edit: (rs) => void (one(rs, "CronJob", "minio-mirror").spec.concurrencyPolicy = "Allow"),
  },
  {
    what: "postgres StatefulSet no longer mounts its config",
    policy: "stack-postgres-config-present",
    mentions: "postgres",
    edit: (rs) => {
      const p = pod(rs, "StatefulSet", "postgres");
      p.volumes = p.volumes.filter((v: any) => v.name !== "config");
    },
  },
  {
    what: "api Service selector typo",
    policy: "stack-service-selects-pods",
    mentions: "api",
    edit: (rs) => void (one(rs, "Service", "api").spec.selector["app.kubernetes.io/name"] = "apii"),
  },
  {
    what: "grafana runs as an undeclared service account",
    policy: "stack-service-account-exists",
    mentions: "grafana",
    edit: (rs) => void (pod(rs, "Deployment", "grafana").serviceAccountName = "grafana"),
  },
  {
    what: "ClusterRole grants every verb",
    policy: "k8s-rbac-no-wildcards",
    mentions: "blacklake-prometheus",
    edit: (rs) => void (one(rs, "ClusterRole", "blacklake-prometheus").rules[0].verbs = ["*"]),
  },
  {
    what: "ClusterRoleBinding to cluster-admin",
    policy: "k8s-no-cluster-admin-binding",
    mentions: "blacklake-prometheus",
    edit: (rs) => void (one(rs, "ClusterRoleBinding", "blacklake-prometheus").roleRef.name = "cluster-admin"),
  },
  {
    what: "Secret loses its part-of label",
    policy: "k8s-recommended-labels",
    mentions: "postgres-app",
    edit: (rs) => void delete one(rs, "Secret", "postgres-app").metadata.labels["app.kubernetes.io/part-of"],
  },
  {
    what: "image pulled from an unknown registry",
    policy: "k8s-allowed-registries",
    mentions: "grafana",
    edit: (rs) => void (main(rs, "Deployment", "grafana").image = "registry.evil.example/grafana:12.0.2"),
  },
  { what: "an S3 bucket without versioning", policy: "aws-s3-bucket-versioned", mentions: "exports", edit: add(...bucket("exports", ["versioning"])) },
  {
    what: "an S3 bucket with public access allowed",
    policy: "aws-s3-public-access-block",
    mentions: "exports-pab",
    edit: add(...bucket("exports", [], { publicAccessBlock: { blockPublicPolicy: false, restrictPublicBuckets: false } })),
  },
  {
    what: "an S3 bucket without a public access block",
    policy: "aws-s3-bucket-public-access-blocked",
    mentions: "exports",
    edit: add(...bucket("exports", ["publicAccessBlock"])),
  },
  {
    what: "an S3 bucket encrypted with AES256 instead of KMS",
    policy: "aws-s3-sse-kms",
    mentions: "exports-sse",
    edit: add(...bucket("exports", [], { encryption: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] } })),
  },
  { what: "an S3 bucket without lifecycle", policy: "aws-s3-bucket-lifecycle", mentions: "exports", edit: add(...bucket("exports", ["lifecycle"])) },
  {
    what: "a public-read bucket",
    policy: "aws-s3-no-public-acl",
    mentions: "exports",
    edit: (rs) => [...rs, ...bucket("exports").map((r) => (r.type === "aws:s3/bucket:Bucket" ? { ...r, inputs: { ...r.inputs, acl: "public-read" } } : r))],
  },
  {
    what: "IAM policy grants * on *",
    policy: "aws-iam-no-wildcard-admin",
    mentions: "offsite-admin",
    edit: add({ type: "aws:iam/policy:Policy", name: "offsite-admin", inputs: { policy: adminPolicy("*") } }),
  },
  {
    what: "IAM role policy grants s3:* on *",
    policy: "aws-iam-no-wildcard-admin",
    mentions: "offsite-writer",
    edit: add({ type: "aws:iam/rolePolicy:RolePolicy", name: "offsite-writer", inputs: { role: "r", policy: adminPolicy("s3:*") } }),
  },
  {
    what: "KMS key without rotation",
    policy: "aws-kms-key-rotation",
    mentions: "offsite-key",
    edit: add({ type: "aws:kms/key:Key", name: "offsite-key", inputs: { description: "offsite" } }),
  },
  {
    what: "ECR repository with mutable tags",
    policy: "aws-ecr-immutable-tags",
    mentions: "ecr-blacklake-postgres",
    edit: (rs) => void (one(rs, "Repository", "ecr-blacklake-postgres").imageTagMutability = "MUTABLE"),
  },
  {
    what: "ECR repository that does not scan on push",
    policy: "aws-ecr-scan-on-push",
    mentions: "ecr-blacklake-backup-tools",
    edit: (rs) => void (one(rs, "Repository", "ecr-blacklake-backup-tools").imageScanningConfiguration = { scanOnPush: false }),
  },
  {
    what: "IRSA role any service account may assume",
    policy: "aws-iam-web-identity-subject",
    mentions: "offsite-pgbackrest",
    edit: (rs) => {
      const role = one(rs, "Role", "offsite-pgbackrest");
      const doc = JSON.parse(role.assumeRolePolicy);
      const equals = doc.Statement[0].Condition.StringEquals;
      const subject = Object.keys(equals).find((k) => k.endsWith(":sub")) as string;
      doc.Statement[0].Condition = { StringLike: { [subject]: "system:serviceaccount:*:*" } };
      role.assumeRolePolicy = JSON.stringify(doc);
    },
  },
];
