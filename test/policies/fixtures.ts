import type { InputResource } from "./harness";

// A small, hand-written, fully compliant stack: every policy passes on it. Each fixture
// in policies.test.ts edits one thing in a fresh copy to make exactly one policy fire.
// Over 300 lines because it is one resource per kind the policies read, written out in
// full.

export const NS = "apps";
const labels = (name: string, component = name) => ({
  "app.kubernetes.io/name": name,
  "app.kubernetes.io/part-of": "blacklake",
  "app.kubernetes.io/instance": NS,
  "app.kubernetes.io/component": component,
});
const selector = (name: string, component = name) => ({
  "app.kubernetes.io/name": name,
  "app.kubernetes.io/instance": NS,
  "app.kubernetes.io/component": component,
});
export const meta = (name: string, app = name, component = app) => ({ name, namespace: NS, labels: labels(app, component) });

export const container = (name: string, image: string, longRunning = true) => ({
  name,
  image,
  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
  securityContext: {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
  },
  ...(longRunning ? { readinessProbe: { httpGet: { path: "/ready", port: 8080 } }, livenessProbe: { httpGet: { path: "/live", port: 8080 } } } : {}),
});

const podSecurity = { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } };

export const podSpec = (containers: object[], extra: object = {}) => ({
  automountServiceAccountToken: false,
  securityContext: podSecurity,
  containers,
  volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
  ...extra,
});

export const POSTGRESQL_CONF = `# rendered
wal_level = 'replica'
archive_mode = 'on'
archive_command = 'pgbackrest --stanza=main archive-push %p'
archive_timeout = 60
`;
export const BUCKET_POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } },
    {
      Sid: "DenyOutsidePlatform",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: "*",
      Condition: { StringNotLike: { "aws:PrincipalArn": ["arn:aws:iam::111122223333:role/apps/*"] } },
    },
  ],
});
export const PG_HBA_CONF = `# TYPE DATABASE USER ADDRESS METHOD
local all all peer
hostssl all all 0.0.0.0/0 scram-sha-256
`;
export const ENTRYPOINT = `#!/bin/bash
config=(-c "config_file=/etc/postgres/postgresql.conf" -c "hba_file=/etc/postgres/pg_hba.conf")
pg_ctl --pgdata=/pgdata --wait --options="\${config[*]} -c listen_addresses=''" start
exec postgres -D /pgdata "\${config[@]}"
`;
export const PGBACKREST_CONF = `[global]
repo1-type=s3
repo1-retention-full-type=time
repo1-retention-full=30
repo1-cipher-type=aes-256-cbc

[main]
pg1-path=/pgdata
`;
export const RULES = `groups:
  - name: web.alerts
    rules:
      - record: web:up:sum
        expr: sum(up)
      - alert: WebDown
        expr: up{job="web"} == 0
        for: 1m
        labels:
          severity: critical
        annotations:
          summary: Web is down
          description: Prometheus cannot scrape web.
          runbook_url: https://runbooks.example.com/web.md
`;

const backupCommand = (type: string) => ["bash", "-c", `pgbackrest --stanza=main --repo=1 backup --type=${type}`];
const cronJob = (name: string, component: string, command: string[]) => ({
  type: "kubernetes:batch/v1:CronJob",
  name,
  inputs: {
    metadata: meta(name, "postgres", component),
    spec: {
      schedule: "0 2 * * *",
      concurrencyPolicy: "Forbid",
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        spec: {
          template: {
            metadata: { labels: labels("postgres", component) },
            spec: podSpec([{ ...container(component, "ghcr.io/blacklake/backup-tools:2.55.1", false), command }], { restartPolicy: "Never" }),
          },
        },
      },
    },
  },
});

const iamDoc = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: ["arn:aws:s3:::backups/*"] }],
});

/** The compliant mini stack (a fresh copy on every call). */
export function baseStack(): InputResource[] {
  return [
    {
      type: "kubernetes:core/v1:Namespace",
      name: "apps-ns",
      inputs: {
        metadata: { name: NS, labels: { ...labels("apps"), "pod-security.kubernetes.io/enforce": "restricted" } },
      },
    },
    {
      type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
      name: "default-deny",
      inputs: { metadata: meta("default-deny", "apps"), spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
    },
    {
      type: "kubernetes:apps/v1:Deployment",
      name: "web",
      inputs: {
        metadata: meta("web"),
        spec: {
          replicas: 2,
          selector: { matchLabels: selector("web") },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template: { metadata: { labels: labels("web") }, spec: podSpec([container("web", "ghcr.io/blacklake/web:1.2.3")]) },
        },
      },
    },
    {
      type: "kubernetes:policy/v1:PodDisruptionBudget",
      name: "web",
      inputs: { metadata: meta("web"), spec: { maxUnavailable: 1, selector: { matchLabels: selector("web") } } },
    },
    {
      type: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
      name: "web",
      inputs: {
        metadata: meta("web"),
        spec: { minReplicas: 2, maxReplicas: 4, scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" } },
      },
    },
    {
      type: "kubernetes:core/v1:Service",
      name: "web",
      inputs: { metadata: meta("web"), spec: { type: "ClusterIP", selector: selector("web"), ports: [{ port: 80, targetPort: 8080 }] } },
    },
    {
      type: "kubernetes:apps/v1:Deployment",
      name: "kube-state-metrics",
      inputs: {
        metadata: meta("kube-state-metrics"),
        spec: {
          replicas: 1,
          selector: { matchLabels: selector("kube-state-metrics") },
          template: {
            metadata: { labels: labels("kube-state-metrics") },
            spec: podSpec([container("ksm", "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.15.0")], {
              serviceAccountName: "kube-state-metrics",
              automountServiceAccountToken: true,
            }),
          },
        },
      },
    },
    {
      type: "kubernetes:core/v1:ServiceAccount",
      name: "kube-state-metrics",
      inputs: { metadata: meta("kube-state-metrics") },
    },
    {
      type: "kubernetes:rbac.authorization.k8s.io/v1:Role",
      name: "reader",
      inputs: { metadata: meta("reader", "kube-state-metrics"), rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }] },
    },
    {
      type: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
      name: "reader",
      inputs: {
        metadata: meta("reader", "kube-state-metrics"),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "reader" },
        subjects: [{ kind: "ServiceAccount", name: "kube-state-metrics", namespace: NS }],
      },
    },
    {
      type: "kubernetes:core/v1:PersistentVolumeClaim",
      name: "scratch",
      inputs: { metadata: meta("scratch", "web"), spec: { storageClassName: "fast-ssd", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
    },
    {
      type: "kubernetes:core/v1:ConfigMap",
      name: "web-config",
      inputs: { metadata: meta("web-config", "web"), data: { "app.yaml": "database_url: ${DATABASE_URL}\nlog_level: info\n" } },
    },
    {
      type: "kubernetes:core/v1:ConfigMap",
      name: "postgres-config",
      inputs: {
        metadata: meta("postgres-config", "postgres", "database"),
        data: { "postgresql.conf": POSTGRESQL_CONF, "pgbackrest.conf": PGBACKREST_CONF, "pg_hba.conf": PG_HBA_CONF, "entrypoint.sh": ENTRYPOINT },
      },
    },
    {
      type: "kubernetes:apps/v1:StatefulSet",
      name: "postgres",
      inputs: {
        metadata: meta("postgres", "postgres", "database"),
        spec: {
          replicas: 2,
          serviceName: "postgres",
          selector: { matchLabels: selector("postgres", "database") },
          template: {
            metadata: { labels: labels("postgres", "database") },
            spec: podSpec([container("postgres", "ghcr.io/blacklake/postgres-pgbackrest:16.9-2.55.1")], {
              volumes: [{ name: "config", configMap: { name: "postgres-config" } }],
            }),
          },
          volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { storageClassName: "fast-ssd", accessModes: ["ReadWriteOnce"] } }],
        },
      },
    },
    {
      type: "kubernetes:policy/v1:PodDisruptionBudget",
      name: "postgres",
      inputs: { metadata: meta("postgres", "postgres", "database"), spec: { maxUnavailable: 1, selector: { matchLabels: selector("postgres", "database") } } },
    },
    cronJob("postgres-backup-full", "backup", backupCommand("full")),
    cronJob("postgres-backup-incr", "backup", backupCommand("incr")),
    cronJob("postgres-restore-drill", "restore-drill", ["bash", "/etc/postgres/restore-drill.sh"]),
    {
      type: "kubernetes:batch/v1:Job",
      name: "migrate",
      inputs: {
        metadata: meta("migrate", "web", "migration"),
        spec: {
          template: {
            metadata: { labels: labels("web", "migration") },
            spec: podSpec([container("migrate", "ghcr.io/blacklake/web:1.2.3", false)], { restartPolicy: "OnFailure" }),
          },
        },
      },
    },
    {
      type: "kubernetes:core/v1:ConfigMap",
      name: "prometheus-rules",
      inputs: { metadata: meta("prometheus-rules", "prometheus"), data: { "web.rules.yml": RULES } },
    },
    { type: "aws:s3/bucketV2:BucketV2", name: "backups-bucket", inputs: { bucket: "blacklake-backups" } },
    { type: "aws:s3/bucketVersioningV2:BucketVersioningV2", name: "backups", inputs: { bucket: "backups-bucket-id", versioningConfiguration: { status: "Enabled" } } },
    {
      type: "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
      name: "backups",
      inputs: { bucket: "backups-bucket-id", rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "key-id" } }] },
    },
    {
      type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      name: "backups",
      inputs: { bucket: "backups-bucket-id", blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    },
    {
      type: "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
      name: "backups",
      inputs: { bucket: "backups-bucket-id", rules: [{ id: "noncurrent", status: "Enabled", noncurrentVersionExpiration: { noncurrentDays: 30 } }] },
    },
    {
      type: "aws:s3/bucketPolicy:BucketPolicy",
      name: "backups",
      inputs: { bucket: "backups-bucket-id", policy: BUCKET_POLICY },
    },
    { type: "aws:kms/key:Key", name: "key", inputs: { description: "backups", enableKeyRotation: true } },
    { type: "aws:iam/policy:Policy", name: "writer", inputs: { policy: iamDoc } },
    { type: "aws:iam/rolePolicy:RolePolicy", name: "writer", inputs: { role: "writer", policy: iamDoc } },
    { type: "aws:iam/role:Role", name: "writer", inputs: { assumeRolePolicy: "{}", inlinePolicies: [{ name: "w", policy: iamDoc }] } },
    {
      type: "aws:iam/role:Role",
      name: "irsa-writer",
      inputs: {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Federated: "arn:aws:iam::111122223333:oidc-provider/oidc.example/id/X" },
              Action: "sts:AssumeRoleWithWebIdentity",
              Condition: { StringEquals: { "oidc.example/id/X:sub": "system:serviceaccount:apps:web", "oidc.example/id/X:aud": "sts.amazonaws.com" } },
            },
          ],
        }),
      },
    },
    { type: "aws:ecr/repository:Repository", name: "web", inputs: { name: "apps/web", imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true } } },
    {
      type: "docker:index/container:Container",
      name: "web-local",
      inputs: { name: "apps-web", image: "sha256:0123", restart: "unless-stopped", ports: [{ internal: 8080, external: 8080, ip: "127.0.0.1", protocol: "tcp" }] },
    },
  ];
}

/** A resource called `name`: its Pulumi name, or a Kubernetes object's metadata.name (which a component's Pulumi name may prefix). */
export const isNamed = (r: InputResource, name: string): boolean => r.name === name || (r.inputs as { metadata?: { name?: unknown } })?.metadata?.name === name;

/** The one resource of a type and name in a stack (throws otherwise). */
export function find(stack: InputResource[], type: string, name: string): InputResource & { inputs: any } {
  const found = stack.filter((r) => r.type.endsWith(type) && isNamed(r, name));
  if (found.length !== 1) throw new Error(`expected one ${type} ${name}, found ${found.length}`);
  return found[0] as InputResource & { inputs: any };
}

/** Copy of the stack with one resource's inputs edited. */
export function edit(stack: InputResource[], type: string, name: string, change: (inputs: any) => void): InputResource[] {
  const copy = structuredClone(stack);
  change(find(copy, type, name).inputs);
  return copy;
}

export const without = (stack: InputResource[], type: string, name: string) => stack.filter((r) => !(r.type.endsWith(type) && isNamed(r, name)));
