import { describe as suite, expect, it } from "vitest";
import type { PolicyPackConfig } from "@pulumi/policy";
import { allPolicies } from "../../policies/policies";
import { baseStack, edit, find, meta, without } from "./fixtures";
import { describe, type InputResource, runPolicies } from "./harness";

// One compliant and one violating fixture per policy. The compliant fixture is the whole
// hand-written mini stack (fixtures.ts); the violating one edits a single thing in it.
// Over 300 lines because it is a table, one compliant and one violating fixture per
// policy.

interface Fixture {
  violating: () => InputResource[];
  /** Fragments the violation message must contain: the resource and the fix. */
  mentions: string[];
  config?: PolicyPackConfig;
  /** Other policies the same edit rightly breaks (a resource rule and its stack-level twin). */
  alsoFires?: string[];
}

const podSpecOf = (i: any) => i.spec.template.spec;
const firstContainer = (i: any) => podSpecOf(i).containers[0];
const pgConf = (change: (conf: string) => string) => () =>
  edit(baseStack(), "ConfigMap", "postgres-config", (i) => (i.data["postgresql.conf"] = change(i.data["postgresql.conf"])));
const backrestConf = (change: (conf: string) => string) => () =>
  edit(baseStack(), "ConfigMap", "postgres-config", (i) => (i.data["pgbackrest.conf"] = change(i.data["pgbackrest.conf"])));
const rules = (change: (yaml: string) => string) => () => edit(baseStack(), "ConfigMap", "prometheus-rules", (i) => (i.data["web.rules.yml"] = change(i.data["web.rules.yml"])));
const adminDoc = (action: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: "*" }] });

export const FIXTURES: Record<string, Fixture> = {
  "k8s-no-credential-env-literals": {
    violating: () => edit(baseStack(), "Deployment", "web", (i) => (firstContainer(i).env = [{ name: "DATABASE_PASSWORD", value: "hunter2" }])),
    mentions: ['Deployment "web"', "env[0] (DATABASE_PASSWORD) is a literal value", "valueFrom.secretKeyRef"],
  },
  "k8s-rbac-sensitive-resources": {
    violating: () => edit(baseStack(), "Role", "reader", (i) => i.rules.push({ apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] })),
    mentions: ['Role "reader"', "rules[1] grants create on pods/exec (no resourceNames)", "run commands in pods"],
  },
  "k8s-rbac-no-anonymous-subjects": {
    violating: () => edit(baseStack(), "RoleBinding", "reader", (i) => i.subjects.push({ kind: "Group", name: "system:unauthenticated", apiGroup: "rbac.authorization.k8s.io" })),
    mentions: ['RoleBinding "reader"', 'Group "system:unauthenticated"', "Bind the ServiceAccount"],
  },
  "k8s-network-policy-no-reopen": {
    violating: () => edit(baseStack(), "NetworkPolicy", "default-deny", (i) => (i.spec.ingress = [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }])),
    mentions: ['NetworkPolicy "default-deny"', "spec.ingress[0].from[0] admits 0.0.0.0/0"],
    alsoFires: ["stack-network-policy-default-deny"],
  },
  "k8s-service-no-external-ips": {
    violating: () => edit(baseStack(), "Service", "web", (i) => (i.spec.externalIPs = ["203.0.113.7"])),
    mentions: ['Service "web"', "spec.externalIPs is 203.0.113.7"],
  },
  "k8s-persistent-volume-no-host-path": {
    violating: () => [
      ...baseStack(),
      {
        type: "kubernetes:core/v1:PersistentVolume",
        name: "node-disk",
        inputs: { metadata: { name: "node-disk", labels: meta("x", "web").labels }, spec: { hostPath: { path: "/var/lib" } } },
      },
    ],
    mentions: ['PersistentVolume "node-disk"', "hostPath /var/lib"],
  },
  "k8s-no-opaque-releases": {
    violating: () => [...baseStack(), { type: "kubernetes:helm.sh/v3:Release", name: "cache", inputs: { chart: "redis", version: "20.1.0", namespace: "apps" } }],
    mentions: ['Release "cache"', "chart redis 20.1.0", "helm.v4.Chart"],
  },
  "platform-grafana-auth": {
    violating: () =>
      edit(baseStack(), "Deployment", "web", (i) => {
        firstContainer(i).image = "ghcr.io/blacklake/grafana:12.0.2";
        firstContainer(i).env = [
          { name: "GF_AUTH_ANONYMOUS_ENABLED", value: "true" },
          { name: "GF_AUTH_ANONYMOUS_ORG_ROLE", value: "Admin" },
        ];
      }),
    mentions: ['Deployment "web"', "GF_AUTH_ANONYMOUS_ENABLED=true", "GF_AUTH_ANONYMOUS_ORG_ROLE=Admin"],
  },
  "platform-keycloak-realm": {
    violating: () => [
      ...baseStack(),
      {
        type: "kubernetes:core/v1:Secret",
        name: "realm",
        inputs: {
          metadata: meta("realm", "keycloak"),
          stringData: { "apps.json": JSON.stringify({ realm: "apps", bruteForceProtected: false, sslRequired: "none", registrationAllowed: true }) },
        },
      },
    ],
    mentions: ['Secret "realm"', 'realm "apps" (apps.json) has bruteForceProtected false', "sslRequired none", "allows self-registration"],
  },
  "stack-api-token-owner": {
    violating: () => edit(baseStack(), "Deployment", "web", (i) => Object.assign(podSpecOf(i), { serviceAccountName: "kube-state-metrics", automountServiceAccountToken: true })),
    mentions: ['Deployment "web"', 'ServiceAccount "kube-state-metrics"', "app.kubernetes.io/name=kube-state-metrics", "own ServiceAccount"],
  },
  "stack-ha-replicas": {
    violating: () => edit(baseStack(), "PodDisruptionBudget", "web", (i) => (i.spec.maxUnavailable = "100%")),
    mentions: ['PodDisruptionBudget "web"', 'evict 2 of Deployment "web"\'s 2 pods', "maxUnavailable 100%"],
  },
  "stack-ecr-own-account": {
    violating: () => edit(baseStack(), "Deployment", "web", (i) => (firstContainer(i).image = "999999999999.dkr.ecr.eu-west-1.amazonaws.com/web:1.2.3")),
    config: {
      "k8s-allowed-registries": { registries: ["ghcr.io", "registry.k8s.io", "*.dkr.ecr.eu-west-1.amazonaws.com"] },
      "stack-ecr-own-account": { ecrAccounts: ["111122223333"] },
    },
    mentions: ['Deployment "web"', "account 999999999999", "111122223333"],
  },
  "docker-container-isolation": {
    violating: () =>
      edit(baseStack(), "Container", "web-local", (i) => {
        i.networkMode = "host";
        i.volumes = [{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }];
      }),
    mentions: ['Docker container "apps-web"', 'networkMode is "host"', "volumes[0] mounts host path /var/run/docker.sock"],
  },
  "aws-iam-no-privilege-escalation": {
    violating: () =>
      edit(
        baseStack(),
        "RolePolicy",
        "writer",
        (i) =>
          (i.policy = JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: ["iam:Put*", "iam:PassRole"], Resource: "arn:aws:iam::111122223333:role/*" }],
          })),
      ),
    mentions: ['RolePolicy "writer"', "Statement[0]", "iam:PutUserPolicy", "iam:PutRolePolicy", "iam:PassRole", "raise its own rights"],
  },
  "aws-iam-trust-policy": {
    violating: () =>
      edit(
        baseStack(),
        "Role",
        "writer",
        (i) => (i.assumeRolePolicy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }] })),
      ),
    mentions: ['Role "writer"', "assumeRolePolicy.Statement[0]", "any principal", "sts:AssumeRole"],
  },
  "aws-kms-key-policy": {
    violating: () =>
      edit(
        baseStack(),
        "Key",
        "key",
        (i) => (i.policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Everyone", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" }] })),
      ),
    mentions: ['Key "key"', "Statement[0] (Everyone)", "kms:Decrypt to any principal"],
  },
  "aws-s3-bucket-policy": {
    violating: () =>
      edit(baseStack(), "BucketPolicy", "backups", (i) => {
        const doc = JSON.parse(i.policy);
        doc.Statement = doc.Statement.filter((st: { Sid: string }) => st.Sid !== "DenyInsecureTransport");
        doc.Statement.push({ Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" });
        i.policy = JSON.stringify(doc);
      }),
    mentions: ['BucketPolicy "backups"', "no statement denying requests without TLS", "(PublicRead) allows s3:GetObject to any principal"],
    alsoFires: ["aws-s3-bucket-policy-present"],
  },
  "aws-s3-bucket-policy-present": {
    violating: () => without(baseStack(), "BucketPolicy", "backups"),
    mentions: ['Bucket "backups-bucket"', "no BucketPolicy refers to it"],
  },
  "platform-postgres-hba-auth": {
    violating: () => edit(baseStack(), "ConfigMap", "postgres-config", (i) => (i.data["pg_hba.conf"] += "host all all 10.0.0.0/8 trust\n")),
    mentions: ['ConfigMap "postgres-config"', 'data["pg_hba.conf"] line 4', "without TLS", "authenticates with trust"],
  },
  "platform-postgres-command-line": {
    violating: () =>
      edit(baseStack(), "ConfigMap", "postgres-config", (i) => (i.data["entrypoint.sh"] = i.data["entrypoint.sh"].replace('"${config[@]}"', '"${config[@]}" -c archive_mode=off'))),
    mentions: ['ConfigMap "postgres-config"', 'data["entrypoint.sh"]', "archive_mode=off", "overrides postgresql.conf"],
  },
  "platform-pgbackrest-no-overrides": {
    violating: () =>
      edit(
        baseStack(),
        "CronJob",
        "postgres-backup-full",
        (i) => (i.spec.jobTemplate.spec.template.spec.containers[0].env = [{ name: "PGBACKREST_REPO1_CIPHER_TYPE", value: "none" }]),
      ),
    mentions: ['CronJob "postgres-backup-full"', "PGBACKREST_REPO1_CIPHER_TYPE=none", "overrides pgbackrest.conf"],
  },
  "stack-backup-schedules-meet-retention": {
    violating: () => edit(baseStack(), "CronJob", "postgres-backup-full", (i) => (i.spec.schedule = "0 2 1 * *")),
    mentions: ['StatefulSet "postgres"', "repo1", "full backups run as rarely as every 31 days", '"0 2 1 * *"', "longer than 7 days"],
  },
  "k8s-image-pinned-tag": {
    violating: () => edit(baseStack(), "Deployment", "web", (i) => (firstContainer(i).image = "ghcr.io/blacklake/web:latest")),
    mentions: ['Deployment "web"', "containers[0].image", "Pin a version tag"],
  },
  "k8s-container-resources": {
    violating: () => edit(baseStack(), "Job", "migrate", (i) => delete firstContainer(i).resources.limits),
    mentions: ['Job "migrate"', "limits.cpu, limits.memory", "Set resources.requests and resources.limits"],
  },
  "k8s-probes": {
    violating: () => edit(baseStack(), "StatefulSet", "postgres", (i) => delete firstContainer(i).livenessProbe),
    mentions: ['StatefulSet "postgres"', "no livenessProbe", "Add livenessProbe"],
  },
  "k8s-run-as-non-root": {
    violating: () => edit(baseStack(), "Deployment", "web", (i) => (firstContainer(i).securityContext.runAsNonRoot = false)),
    mentions: ['Deployment "web"', "securityContext.runAsNonRoot", "Set securityContext.runAsNonRoot: true"],
  },
  "k8s-no-privilege-escalation": {
    violating: () => edit(baseStack(), "Deployment", "web", (i) => delete firstContainer(i).securityContext.allowPrivilegeEscalation),
    mentions: ['Deployment "web"', "allowPrivilegeEscalation", "Set allowPrivilegeEscalation: false"],
  },
  "k8s-drop-all-capabilities": {
    violating: () => edit(baseStack(), "Deployment", "web", (i) => (firstContainer(i).securityContext.capabilities = { drop: ["NET_RAW"], add: ["SYS_ADMIN"] })),
    mentions: ['Deployment "web"', "capabilities.drop", 'Set capabilities.drop: ["ALL"]', "SYS_ADMIN"],
  },
  "k8s-seccomp-runtime-default": {
    violating: () => edit(baseStack(), "Deployment", "web", (i) => delete podSpecOf(i).securityContext.seccompProfile),
    mentions: ['Deployment "web"', "seccompProfile", 'type: "RuntimeDefault"'],
  },
  "k8s-no-privileged": {
    violating: () => edit(baseStack(), "Deployment", "web", (i) => (firstContainer(i).securityContext.privileged = true)),
    mentions: ['Deployment "web"', "securityContext.privileged: true", "Remove privileged"],
  },
  "k8s-no-host-path": {
    violating: () => edit(baseStack(), "Deployment", "web", (i) => podSpecOf(i).volumes.push({ name: "docker", hostPath: { path: "/var/run/docker.sock" } })),
    mentions: ['Deployment "web"', "volumes[1].hostPath", "Use a PersistentVolumeClaim"],
  },
  "k8s-no-host-namespaces": {
    violating: () => edit(baseStack(), "Deployment", "web", (i) => (podSpecOf(i).hostNetwork = true)),
    mentions: ['Deployment "web"', "spec.template.spec.hostNetwork", "Remove hostNetwork"],
  },
  "k8s-service-type": {
    violating: () => edit(baseStack(), "Service", "web", (i) => (i.spec.type = "LoadBalancer")),
    mentions: ['Service "web"', "spec.type is LoadBalancer", "allowedTypes"],
  },
  "k8s-no-secrets-in-configmaps": {
    violating: () => edit(baseStack(), "ConfigMap", "web-config", (i) => (i.data["app.yaml"] = "database_url: postgresql://app:hunter2@db:5432/app\n")),
    mentions: ['ConfigMap "web-config"', "data.app.yaml", "Move the credential to a Secret"],
  },
  "k8s-pvc-storage-class": {
    violating: () => edit(baseStack(), "StatefulSet", "postgres", (i) => delete i.spec.volumeClaimTemplates[0].spec.storageClassName),
    mentions: ['StatefulSet "postgres"', "volumeClaimTemplates[0].spec.storageClassName", "Set storageClassName"],
  },
  "k8s-namespace-pod-security": {
    violating: () => edit(baseStack(), "Namespace", "apps-ns", (i) => (i.metadata.labels["pod-security.kubernetes.io/enforce"] = "baseline")),
    // The object's own name, with the Pulumi name beside it where the two differ.
    mentions: ['Namespace "apps" (Pulumi name apps-ns)', "is baseline", "pod-security.kubernetes.io/enforce: restricted"],
  },
  "k8s-automount-service-account-token": {
    violating: () => edit(baseStack(), "Deployment", "web", (i) => delete podSpecOf(i).automountServiceAccountToken),
    mentions: ['Deployment "web"', "automountServiceAccountToken is unset", "Set automountServiceAccountToken: false"],
  },
  "k8s-recommended-labels": {
    violating: () => edit(baseStack(), "Service", "web", (i) => delete i.metadata.labels["app.kubernetes.io/part-of"]),
    mentions: ['Service "web"', "app.kubernetes.io/part-of", "Add them"],
  },
  "k8s-cronjob-concurrency-history": {
    violating: () => edit(baseStack(), "CronJob", "postgres-backup-full", (i) => (i.spec.concurrencyPolicy = "Allow")),
    mentions: ['CronJob "postgres-backup-full"', "concurrencyPolicy is Allow", "Set concurrencyPolicy: Forbid"],
  },
  "k8s-read-only-root-filesystem": {
    violating: () => edit(baseStack(), "Deployment", "web", (i) => (firstContainer(i).securityContext.readOnlyRootFilesystem = false)),
    mentions: ['Deployment "web"', "readOnlyRootFilesystem", "Set it to true"],
  },
  "k8s-explicit-namespace": {
    violating: () => edit(baseStack(), "ConfigMap", "web-config", (i) => (i.metadata.namespace = "default")),
    mentions: ['ConfigMap "web-config"', "metadata.namespace is default", "Set metadata.namespace"],
    alsoFires: ["stack-network-policy-default-deny"],
  },
  "k8s-allowed-registries": {
    violating: () => edit(baseStack(), "Deployment", "web", (i) => (firstContainer(i).image = "evil.example.com/web:1.2.3")),
    mentions: ['Deployment "web"', "registry evil.example.com", "Mirror the image"],
  },
  "k8s-emptydir-size-limit": {
    violating: () => edit(baseStack(), "Deployment", "web", (i) => delete podSpecOf(i).volumes[0].emptyDir.sizeLimit),
    mentions: ['Deployment "web"', "volumes[0].emptyDir.sizeLimit", "Set one"],
  },
  "k8s-rbac-no-wildcards": {
    violating: () => edit(baseStack(), "Role", "reader", (i) => (i.rules[0].verbs = ["*"])),
    mentions: ['Role "reader"', 'rules[0].verbs contains "*"', "List the exact verbs"],
  },
  "k8s-no-cluster-admin-binding": {
    violating: () => edit(baseStack(), "RoleBinding", "reader", (i) => (i.roleRef = { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" })),
    mentions: ['RoleBinding "reader"', "cluster-admin", "only the permissions the subject needs"],
  },
  "platform-postgres-archive-mode": {
    violating: pgConf((c) => c.replace("archive_mode = 'on'", "archive_mode = off")),
    mentions: ['ConfigMap "postgres-config"', "archive_mode = off", "Render archive_mode = 'on'"],
  },
  "platform-postgres-archive-command": {
    violating: pgConf((c) => c.replace(/archive_command = .*/, "archive_command = 'cp %p /archive/%f'")),
    mentions: ['ConfigMap "postgres-config"', "cp %p /archive/%f", "archive-push %p"],
  },
  "platform-postgres-archive-timeout": {
    violating: pgConf((c) => c.replace("archive_timeout = 60", "archive_timeout = 30min")),
    mentions: ['ConfigMap "postgres-config"', "archive_timeout is 30min", "at most 900"],
  },
  "platform-pgbackrest-retention": {
    violating: backrestConf((c) => c.replace("repo1-retention-full=30", "repo1-retention-full=7")),
    mentions: ['ConfigMap "postgres-config"', "repo1-retention-full is 7", "at least 30"],
  },
  "platform-pgbackrest-encryption": {
    violating: backrestConf((c) => c.replace("repo1-cipher-type=aes-256-cbc\n", "")),
    mentions: ['ConfigMap "postgres-config"', "repo1-cipher-type is unset", "Set repo1-cipher-type=aes-256-cbc"],
  },
  "platform-backup-cronjobs-active": {
    violating: () => edit(baseStack(), "CronJob", "postgres-restore-drill", (i) => (i.spec.suspend = true)),
    mentions: ['CronJob "postgres-restore-drill"', "spec.suspend is true", "Remove spec.suspend"],
    alsoFires: ["stack-postgres-restore-drill"],
  },
  "platform-alert-rule-metadata": {
    violating: rules((y) => y.replace(/\n\s*runbook_url: .*/, "")),
    mentions: ['ConfigMap "prometheus-rules"', "alert WebDown", "annotations.runbook_url", "runbook_url annotations"],
  },
  "platform-alert-severity-routable": {
    violating: rules((y) => y.replace("severity: critical", "severity: page")),
    mentions: ['ConfigMap "prometheus-rules"', "alert WebDown", '"page"', "Use one of critical, warning, info"],
  },
  "aws-s3-versioning-enabled": {
    violating: () => edit(baseStack(), "BucketVersioningV2", "backups", (i) => (i.versioningConfiguration.status = "Suspended")),
    mentions: ['BucketVersioningV2 "backups"', "status is Suspended", 'Set it to "Enabled"'],
    alsoFires: ["aws-s3-bucket-versioned"],
  },
  "aws-s3-sse-kms": {
    violating: () => edit(baseStack(), "BucketServerSideEncryptionConfigurationV2", "backups", (i) => (i.rules[0].applyServerSideEncryptionByDefault = { sseAlgorithm: "AES256" })),
    mentions: ['BucketServerSideEncryptionConfigurationV2 "backups"', "sseAlgorithm is AES256", 'Use "aws:kms"'],
    alsoFires: ["aws-s3-bucket-encrypted"],
  },
  "aws-s3-public-access-block": {
    violating: () => edit(baseStack(), "BucketPublicAccessBlock", "backups", (i) => (i.restrictPublicBuckets = false)),
    mentions: ['BucketPublicAccessBlock "backups"', "restrictPublicBuckets is not true", "Set all four"],
    alsoFires: ["aws-s3-bucket-public-access-blocked"],
  },
  "aws-s3-no-public-acl": {
    violating: () => edit(baseStack(), "BucketV2", "backups-bucket", (i) => (i.acl = "public-read")),
    mentions: ['BucketV2 "backups-bucket"', 'acl is "public-read"', "Remove the ACL"],
  },
  "aws-kms-key-rotation": {
    violating: () => edit(baseStack(), "Key", "key", (i) => delete i.enableKeyRotation),
    mentions: ['Key "key"', "enableKeyRotation is unset", "Set enableKeyRotation: true"],
  },
  "aws-iam-no-wildcard-admin": {
    violating: () => edit(baseStack(), "RolePolicy", "writer", (i) => (i.policy = adminDoc("s3:*"))),
    mentions: ['RolePolicy "writer"', 'allows s3:* on "*"', "Grant the specific actions"],
  },
  "aws-ecr-scan-on-push": {
    violating: () => edit(baseStack(), "Repository", "web", (i) => (i.imageScanningConfiguration = { scanOnPush: false })),
    mentions: ['Repository "web"', "scanOnPush is false", "Set it to true"],
  },
  "aws-ecr-immutable-tags": {
    violating: () => edit(baseStack(), "Repository", "web", (i) => delete i.imageTagMutability),
    mentions: ['Repository "web"', "unset (MUTABLE)", '"IMMUTABLE"'],
  },
  "aws-iam-web-identity-subject": {
    violating: () =>
      edit(baseStack(), "Role", "irsa-writer", (i) => {
        const doc = JSON.parse(i.assumeRolePolicy);
        doc.Statement[0].Condition = { StringLike: { "oidc.example/id/X:sub": "system:serviceaccount:*" } };
        i.assumeRolePolicy = JSON.stringify(doc);
      }),
    mentions: ['Role "irsa-writer"', "Statement[0]", "Pin the subject"],
  },
  "docker-ports-loopback": {
    violating: () => edit(baseStack(), "Container", "web-local", (i) => (i.ports[0].ip = "0.0.0.0")),
    mentions: ['Docker container "apps-web"', "ports[0]", "host port 8080", "all interfaces", 'Set ip to "127.0.0.1"'],
  },
  "stack-pdb-for-replicated-workloads": {
    violating: () => without(baseStack(), "PodDisruptionBudget", "postgres"),
    mentions: ['StatefulSet "postgres"', "runs 2 replicas", "Add a PodDisruptionBudget"],
  },
  "stack-deployment-rollout-availability": {
    violating: () => edit(baseStack(), "Deployment", "kube-state-metrics", (i) => (i.spec.strategy = { type: "Recreate" })),
    mentions: ['Deployment "kube-state-metrics"', "Recreate", "maxUnavailable: 0"],
  },
  "stack-hpa-min-replicas": {
    violating: () => edit(baseStack(), "HorizontalPodAutoscaler", "web", (i) => (i.spec.minReplicas = 1)),
    mentions: ['HorizontalPodAutoscaler "web"', "spec.minReplicas is 1", "Raise autoscaling.minReplicas to 2"],
  },
  "stack-network-policy-default-deny": {
    violating: () => edit(baseStack(), "NetworkPolicy", "default-deny", (i) => (i.spec.policyTypes = ["Ingress"])),
    mentions: ['Namespace "apps"', "for Egress", 'spec.policyTypes: ["Ingress", "Egress"]'],
  },
  "stack-postgres-config-present": {
    violating: () => edit(baseStack(), "StatefulSet", "postgres", (i) => (podSpecOf(i).volumes = [])),
    mentions: ['StatefulSet "postgres"', "postgresql.conf and pgbackrest.conf", "Mount the cluster's rendered config"],
  },
  "stack-postgres-backup-cronjobs": {
    violating: () => without(baseStack(), "CronJob", "postgres-backup-incr"),
    mentions: ['StatefulSet "postgres"', "backup --type=incr", "Schedule an incremental backup for repo1"],
  },
  "stack-postgres-restore-drill": {
    violating: () => without(baseStack(), "CronJob", "postgres-restore-drill"),
    mentions: ['StatefulSet "postgres"', "no active restore-drill CronJob", "Declare the restore drill CronJob"],
  },
  "stack-service-account-exists": {
    violating: () => without(baseStack(), "ServiceAccount", "kube-state-metrics"),
    mentions: ['Deployment "kube-state-metrics"', 'serviceAccountName "kube-state-metrics"', "Declare the ServiceAccount"],
  },
  "stack-pdb-selects-workload": {
    violating: () => edit(baseStack(), "PodDisruptionBudget", "web", (i) => (i.spec.selector.matchLabels["app.kubernetes.io/name"] = "wbe")),
    mentions: ['PodDisruptionBudget "web"', "matches no declared workload", "Fix spec.selector"],
    alsoFires: ["stack-pdb-for-replicated-workloads"],
  },
  "stack-service-selects-pods": {
    violating: () => edit(baseStack(), "Service", "web", (i) => (i.spec.selector["app.kubernetes.io/component"] = "frontend")),
    mentions: ['Service "web"', "no endpoints", "Fix spec.selector"],
  },
  "aws-s3-bucket-versioned": {
    violating: () => without(baseStack(), "BucketVersioningV2", "backups"),
    mentions: ['BucketV2 "backups-bucket"', "no BucketVersioning", "Declare aws.s3.BucketVersioning"],
  },
  "aws-s3-bucket-encrypted": {
    violating: () => without(baseStack(), "BucketServerSideEncryptionConfigurationV2", "backups"),
    mentions: ['BucketV2 "backups-bucket"', "no BucketServerSideEncryptionConfiguration", "Declare one with the platform's KMS key"],
  },
  "aws-s3-bucket-public-access-blocked": {
    violating: () => without(baseStack(), "BucketPublicAccessBlock", "backups"),
    mentions: ['BucketV2 "backups-bucket"', "no BucketPublicAccessBlock", "Declare one"],
  },
  "aws-s3-bucket-lifecycle": {
    violating: () => edit(baseStack(), "BucketLifecycleConfigurationV2", "backups", (i) => (i.rules[0].status = "Disabled")),
    mentions: ['BucketV2 "backups-bucket"', "no BucketLifecycleConfiguration with an Enabled rule", "expires noncurrent versions"],
  },
};

const policyNamed = (name: string) => allPolicies.filter((p) => p.name === name);

suite("policy fixtures", () => {
  it("every policy in the pack has a fixture pair, and every fixture names a policy of the pack", () => {
    const names = allPolicies.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(
      names.filter((n) => !(n in FIXTURES)),
      "policies without fixtures",
    ).toEqual([]);
    expect(
      Object.keys(FIXTURES).filter((n) => !names.includes(n)),
      "fixtures without a policy",
    ).toEqual([]);
    expect(names.length).toBeGreaterThanOrEqual(30);
  });

  it("every policy has a description, an enforcement level, and a schema for what it reads from config", () => {
    for (const p of allPolicies) {
      expect(p.description.length, p.name).toBeGreaterThan(20);
      expect(["mandatory", "advisory"], p.name).toContain(p.enforcementLevel);
    }
    const advisory = allPolicies.filter((p) => p.enforcementLevel === "advisory").map((p) => p.name);
    expect(advisory.sort()).toEqual(["k8s-emptydir-size-limit", "k8s-read-only-root-filesystem"]);
  });

  it("the compliant mini stack passes every policy", async () => {
    const violations = await runPolicies(allPolicies, baseStack());
    expect(violations, describe(violations)).toEqual([]);
  });

  for (const [name, fixture] of Object.entries(FIXTURES)) {
    it(`${name}: passes the compliant fixture and reports the violating one`, async () => {
      const policies = policyNamed(name);
      expect(policies).toHaveLength(1);
      expect(await runPolicies(policies, baseStack(), fixture.config)).toEqual([]);
      const violations = await runPolicies(policies, fixture.violating(), fixture.config);
      expect(violations.length, `${name} reported nothing`).toBeGreaterThan(0);
      const text = violations.map((v) => v.message).join("\n");
      for (const fragment of fixture.mentions) expect(text, `${name} message`).toContain(fragment);
      // The other policies stay quiet: each fixture breaks exactly what it is about.
      const others = (await runPolicies(allPolicies, fixture.violating(), fixture.config)).filter((v) => v.policy !== name && !(fixture.alsoFires ?? []).includes(v.policy));
      expect(others, describe(others)).toEqual([]);
    });
  }
});

suite("policy config", () => {
  it("thresholds come from the stack's policy config", async () => {
    const short = backrestConf((c) => c.replace("repo1-retention-full=30", "repo1-retention-full=7"))();
    const retention = policyNamed("platform-pgbackrest-retention");
    expect(await runPolicies(retention, short, { "platform-pgbackrest-retention": { minRetentionFullDays: 7 } })).toEqual([]);
    const lb = edit(baseStack(), "Service", "web", (i) => (i.spec.type = "LoadBalancer"));
    expect(await runPolicies(policyNamed("k8s-service-type"), lb, { "k8s-service-type": { allowedTypes: ["ClusterIP", "LoadBalancer"] } })).toEqual([]);
    const slow = pgConf((c) => c.replace("archive_timeout = 60", "archive_timeout = 5min"))();
    expect(await runPolicies(policyNamed("platform-postgres-archive-timeout"), slow, { "platform-postgres-archive-timeout": { rpoSeconds: 120 } })).toHaveLength(1);
    const single = edit(baseStack(), "HorizontalPodAutoscaler", "web", (i) => (i.spec.minReplicas = 1));
    expect(await runPolicies(policyNamed("stack-hpa-min-replicas"), single, { "stack-hpa-min-replicas": { highAvailability: false } })).toEqual([]);
    const token = edit(baseStack(), "Deployment", "web", (i) => (podSpecOf(i).automountServiceAccountToken = true));
    expect(await runPolicies(policyNamed("k8s-automount-service-account-token"), token)).toHaveLength(1);
  });

  it("an enforcement level in the policy config overrides the policy's own, as the engine does", async () => {
    const violations = await runPolicies(policyNamed("stack-network-policy-default-deny"), without(baseStack(), "NetworkPolicy", "default-deny"), {
      "stack-network-policy-default-deny": "mandatory",
    });
    expect(violations.map((v) => v.level)).toEqual(["mandatory"]);
    expect(
      await runPolicies(
        policyNamed("k8s-service-type"),
        edit(baseStack(), "Service", "web", (i) => (i.spec.type = "NodePort")),
        { "k8s-service-type": "disabled" },
      ),
    ).toEqual([]);
  });

  it("resource violations carry the resource's URN; stack violations point at the offending resource", async () => {
    const stack = without(baseStack(), "CronJob", "postgres-restore-drill");
    const [v] = await runPolicies(policyNamed("stack-postgres-restore-drill"), stack);
    expect(v!.urn).toContain("kubernetes:apps/v1:StatefulSet::postgres");
    const pg = find(stack, "StatefulSet", "postgres");
    expect(pg.name).toBe("postgres");
  });
});
