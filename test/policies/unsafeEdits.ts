import { add, conf, drop, type Edit, main, type Mutation, one, pod } from "./prodEdits";

// Unsafe edits of the prod stack that spell the setting differently from the known-good
// shape, or undo it elsewhere: an override in another section, on a command line or in
// the environment; a grant on another resource, principal or verb; a second object that
// re-opens what the first one closes. Each must be caught by the named MANDATORY policy,
// and the violation must name the edited resource.
// Over 300 lines because it is a table of edits, one per unsafe change a pull request
// could make.

const cronCommand =
  (name: string, change: (script: string) => string): Edit =>
  (rs) => {
    const c = main(rs, "CronJob", name);
    const last = c.command.length - 1;
    c.command[last] = change(c.command[last]);
  };
const env =
  (kind: string, name: string, ...vars: { name: string; value: string }[]): Edit =>
  (rs) => {
    const c = main(rs, kind, name);
    c.env = [...(c.env ?? []), ...vars];
  };

/** Edits a JSON policy document held in `field` of the one resource of that kind and name. */
const doc =
  (kind: string, name: string, field: string, change: (d: any) => void): Edit =>
  (rs) => {
    const inputs = one(rs, kind, name);
    const parsed = JSON.parse(inputs[field]);
    change(parsed);
    inputs[field] = JSON.stringify(parsed);
  };
const allow = (Action: string | string[], Resource: string | string[] = "*") => ({ Effect: "Allow", Action, Resource });
const withoutSid = (sid: string) => (d: any) => {
  const before = d.Statement.length;
  d.Statement = d.Statement.filter((st: { Sid?: string }) => st.Sid !== sid);
  if (d.Statement.length === before) throw new Error(`no statement ${sid}`);
};
const realm =
  (change: (r: any) => void): Edit =>
  (rs) => {
    const data = one(rs, "Secret", "keycloak-realm").stringData;
    const parsed = JSON.parse(data["blacklake.json"]);
    change(parsed);
    data["blacklake.json"] = JSON.stringify(parsed);
  };
const BUCKET_ARN = "arn:aws:s3:::blacklake-offsite-backups";

export const UNSAFE_EDITS: Mutation[] = [
  // ------------------------------------------------------------ effective database settings
  {
    what: "a stanza section turns repo2's cipher off",
    policy: "platform-pgbackrest-encryption",
    mentions: "postgres-config",
    edit: conf("pgbackrest.conf", (t) => t.replace("[blacklake]\n", "[blacklake]\nrepo2-cipher-type=none\n")),
  },
  {
    what: "a stanza section keeps repo1's full backups 1 day",
    policy: "platform-pgbackrest-retention",
    mentions: "postgres-config",
    edit: conf("pgbackrest.conf", (t) => t.replace("[blacklake]\n", "[blacklake]\nrepo1-retention-full=1\n")),
  },
  {
    what: "a [global:backup] section counts repo2's retention",
    policy: "platform-pgbackrest-retention",
    mentions: "postgres-config",
    edit: conf("pgbackrest.conf", (t) => `${t}\n[global:backup]\nrepo2-retention-full-type=count\n`),
  },
  {
    what: "the entrypoint starts PostgreSQL with -c archive_mode=off",
    policy: "platform-postgres-command-line",
    mentions: "postgres-config",
    edit: conf("entrypoint.sh", (t) => t.replace('exec postgres -D "${PGDATA}" "${config[@]}"', 'exec postgres -D "${PGDATA}" "${config[@]}" -c archive_mode=off')),
  },
  {
    what: "the entrypoint's settings array turns fsync off",
    policy: "platform-postgres-command-line",
    mentions: "postgres-config",
    edit: conf("entrypoint.sh", (t) => t.replace('config=(-c "config_file=', 'config=(-c fsync=off -c "config_file=')),
  },
  {
    what: "the entrypoint switches TLS off with -c ssl=off",
    policy: "platform-postgres-command-line",
    mentions: "postgres-config",
    edit: conf("entrypoint.sh", (t) => t.replace('exec postgres -D "${PGDATA}" "${config[@]}"', 'exec postgres -D "${PGDATA}" "${config[@]}" -c \'ssl=off\'')),
  },
  {
    what: "the repo1 full backup is commented out of its CronJob",
    policy: "stack-postgres-backup-cronjobs",
    mentions: "postgres",
    edit: cronCommand("postgres-backup-repo1-full", (s) => s.replace(" && pgbackrest", " # && pgbackrest")),
  },
  {
    what: "the repo2 incremental backup runs only inside an echo's comment",
    policy: "stack-postgres-backup-cronjobs",
    mentions: "postgres",
    edit: cronCommand("postgres-backup-repo2-incr", (s) => `echo skipped #${s}`),
  },
  {
    what: "a stanza section adds a third repository that no CronJob backs up",
    policy: "stack-postgres-backup-cronjobs",
    mentions: "postgres",
    edit: conf("pgbackrest.conf", (t) => t.replace("[blacklake]\n", "[blacklake]\nrepo3-type=posix\nrepo3-path=/var/lib/pgbackrest-extra\nrepo3-cipher-type=aes-256-cbc\n")),
  },
  {
    what: "pg_hba trusts the pod network",
    policy: "platform-postgres-hba-auth",
    mentions: "postgres-config",
    edit: conf("pg_hba.conf", (t) =>
      t.replace("hostssl all          all        0.0.0.0/0  scram-sha-256", "hostssl all all 10.0.0.0/8 trust\nhostssl all all 0.0.0.0/0 scram-sha-256"),
    ),
  },
  {
    what: "pg_hba admits plain TCP (host, not hostssl)",
    policy: "platform-postgres-hba-auth",
    mentions: "postgres-config",
    edit: conf("pg_hba.conf", (t) => t.replace("hostssl all          all ", "host all          all ")),
  },
  {
    what: "pg_hba authenticates replication with md5",
    policy: "platform-postgres-hba-auth",
    mentions: "postgres-config",
    edit: conf("pg_hba.conf", (t) => t.replace("replicator  0.0.0.0/0  scram-sha-256", "replicator  0.0.0.0/0  md5")),
  },
  {
    what: "a backup CronJob overrides repo1's retention on the command line",
    policy: "platform-pgbackrest-no-overrides",
    mentions: "postgres-backup-repo1-full",
    edit: cronCommand("postgres-backup-repo1-full", (s) => s.replace("--repo=1 backup", "--repo=1 --repo1-retention-full=1 backup")),
  },
  {
    what: "the database container turns repo2's cipher off in its environment",
    policy: "platform-pgbackrest-no-overrides",
    mentions: "postgres",
    edit: env("StatefulSet", "postgres", { name: "PGBACKREST_REPO2_CIPHER_TYPE", value: "none" }),
  },
  {
    what: "repo1's full backup moves to the first of the month",
    policy: "stack-backup-schedules-meet-retention",
    mentions: "postgres",
    edit: (rs) => void (one(rs, "CronJob", "postgres-backup-repo1-full").spec.schedule = "0 2 1 * *"),
  },
  {
    what: "repo2's full and incremental backups both run weekly",
    policy: "stack-backup-schedules-meet-retention",
    mentions: "postgres",
    edit: (rs) => {
      one(rs, "CronJob", "postgres-backup-repo2-full").spec.schedule = "30 2 * * 0";
      one(rs, "CronJob", "postgres-backup-repo2-incr").spec.schedule = "30 3 * * 0";
    },
  },
  // ------------------------------------------------------------ IAM, KMS and bucket policies
  {
    what: "the pgBackRest role may pass roles",
    policy: "aws-iam-no-privilege-escalation",
    mentions: "offsite-pgbackrest",
    edit: doc("RolePolicy", "offsite-pgbackrest", "policy", (d) => d.Statement.push(allow("iam:PassRole", "arn:aws:iam::111122223333:role/*"))),
  },
  {
    what: "the mirror user may mint access keys for any user",
    policy: "aws-iam-no-privilege-escalation",
    mentions: "offsite-minio-mirror",
    edit: doc("UserPolicy", "offsite-minio-mirror", "policy", (d) => d.Statement.push(allow("iam:Create*", "arn:aws:iam::111122223333:user/*"))),
  },
  {
    what: "the pgBackRest role may rewrite its own inline policy",
    policy: "aws-iam-no-privilege-escalation",
    mentions: "offsite-pgbackrest",
    edit: doc("RolePolicy", "offsite-pgbackrest", "policy", (d) => d.Statement.push(allow(["iam:putrolepolicy"], "arn:aws:iam::111122223333:role/blacklake/*"))),
  },
  {
    what: "the pgBackRest role may assume any role",
    policy: "aws-iam-no-privilege-escalation",
    mentions: "offsite-pgbackrest",
    edit: doc("RolePolicy", "offsite-pgbackrest", "policy", (d) => d.Statement.push(allow("sts:AssumeRole"))),
  },
  {
    what: "the pgBackRest role gets s3:* on the backup bucket only",
    policy: "aws-iam-no-wildcard-admin",
    mentions: "offsite-pgbackrest",
    edit: doc("RolePolicy", "offsite-pgbackrest", "policy", (d) => d.Statement.push(allow("s3:*", [BUCKET_ARN, `${BUCKET_ARN}/*`]))),
  },
  {
    what: "the replication role gets every KMS action on one key",
    policy: "aws-iam-no-wildcard-admin",
    mentions: "offsite-replication",
    edit: doc("RolePolicy", "offsite-replication", "policy", (d) => d.Statement.push(allow("kms:*", "arn:aws:kms:eu-west-1:111122223333:key/k"))),
  },
  {
    what: "the replication role trusts any principal",
    policy: "aws-iam-trust-policy",
    mentions: "offsite-replication",
    edit: doc("Role", "offsite-replication", "assumeRolePolicy", (d) => (d.Statement[0].Principal = "*")),
  },
  {
    what: "the replication role trusts every principal of another account",
    policy: "aws-iam-trust-policy",
    mentions: "offsite-replication",
    edit: doc("Role", "offsite-replication", "assumeRolePolicy", (d) =>
      d.Statement.push({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::444455556666:root" }, Action: "sts:AssumeRole" }),
    ),
  },
  {
    what: "the replication role trusts everyone but one service (NotPrincipal)",
    policy: "aws-iam-trust-policy",
    mentions: "offsite-replication",
    edit: doc("Role", "offsite-replication", "assumeRolePolicy", (d) => {
      d.Statement[0].NotPrincipal = { Service: "ec2.amazonaws.com" };
      delete d.Statement[0].Principal;
    }),
  },
  {
    what: "the backup key lets any principal decrypt",
    policy: "aws-kms-key-policy",
    mentions: "offsite-key",
    edit: (rs) =>
      void (one(rs, "Key", "offsite-key").policy = JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: ["kms:Decrypt"], Resource: "*" }],
      })),
  },
  {
    what: "the replica key lets a role rewrite its policy",
    policy: "aws-kms-key-policy",
    mentions: "offsite-replica-key",
    edit: (rs) =>
      void (one(rs, "Key", "offsite-replica-key").policy = JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:role/blacklake/ci-deploy" }, Action: "kms:*", Resource: "*" }],
      })),
  },
  {
    what: "the backup bucket policy loses its TLS deny",
    policy: "aws-s3-bucket-policy",
    mentions: "offsite-policy",
    edit: doc("BucketPolicy", "offsite-policy", "policy", withoutSid("DenyInsecureTransport")),
  },
  {
    what: "the replica bucket policy allows anyone to read",
    policy: "aws-s3-bucket-policy",
    mentions: "offsite-replica-policy",
    edit: doc("BucketPolicy", "offsite-replica-policy", "policy", (d) => d.Statement.push({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" })),
  },
  {
    what: "the backup bucket policy loses its deny of principals outside the platform",
    policy: "aws-s3-bucket-policy-present",
    mentions: "offsite-bucket",
    edit: doc("BucketPolicy", "offsite-policy", "policy", withoutSid("DenyOutsidePlatform")),
  },
  {
    what: "the replica bucket's policy is deleted",
    policy: "aws-s3-bucket-policy-present",
    mentions: "offsite-replica-bucket",
    edit: (rs) => rs.filter((r) => !(r.type === "aws:s3/bucketPolicy:BucketPolicy" && r.name === "offsite-replica-policy")),
  },
  // ------------------------------------------------------------ Kubernetes RBAC
  {
    what: "Prometheus' ClusterRole reads every Secret",
    policy: "k8s-rbac-sensitive-resources",
    mentions: "blacklake-prometheus",
    edit: (rs) => void one(rs, "ClusterRole", "blacklake-prometheus").rules.push({ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }),
  },
  {
    what: "Prometheus' Role lists the namespace's Secrets",
    policy: "k8s-rbac-sensitive-resources",
    mentions: "prometheus",
    edit: (rs) => void one(rs, "Role", "prometheus").rules[0].resources.push("secrets"),
  },
  {
    what: "the backup Role may exec into any pod (resourceNames dropped)",
    policy: "k8s-rbac-sensitive-resources",
    mentions: "postgres-backup",
    edit: (rs) => void delete one(rs, "Role", "postgres-backup").rules[1].resourceNames,
  },
  {
    what: "Prometheus' ClusterRole gets nodes/proxy back",
    policy: "k8s-rbac-sensitive-resources",
    mentions: "blacklake-prometheus",
    edit: (rs) => void one(rs, "ClusterRole", "blacklake-prometheus").rules[1].resources.push("nodes/proxy"),
  },
  {
    what: "kube-state-metrics' ClusterRole may mint service-account tokens",
    policy: "k8s-rbac-sensitive-resources",
    mentions: "blacklake-kube-state-metrics",
    edit: (rs) => void one(rs, "ClusterRole", "blacklake-kube-state-metrics").rules.push({ apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"] }),
  },
  {
    what: "Prometheus' discovery Role is bound to anonymous users too",
    policy: "k8s-rbac-no-anonymous-subjects",
    mentions: "prometheus",
    edit: (rs) => void one(rs, "RoleBinding", "prometheus").subjects.push({ kind: "User", name: "system:anonymous", apiGroup: "rbac.authorization.k8s.io" }),
  },
  {
    what: "the backup Role is bound to every authenticated user",
    policy: "k8s-rbac-no-anonymous-subjects",
    mentions: "postgres-backup",
    edit: (rs) => void one(rs, "RoleBinding", "postgres-backup").subjects.push({ kind: "Group", name: "system:authenticated", apiGroup: "rbac.authorization.k8s.io" }),
  },
  // ------------------------------------------------------------ network
  {
    what: "an extra NetworkPolicy admits everything to every pod",
    policy: "k8s-network-policy-no-reopen",
    mentions: "allow-all",
    edit: (rs) => {
      const deny = one(rs, "NetworkPolicy", "default-deny");
      return [
        ...rs,
        {
          type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
          name: "allow-all",
          inputs: { metadata: { ...deny.metadata, name: "allow-all" }, spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] } },
        },
      ];
    },
  },
  {
    what: "PostgreSQL admits 0.0.0.0/0 on 5432",
    policy: "k8s-network-policy-no-reopen",
    mentions: "allow-postgres",
    edit: (rs) => void one(rs, "NetworkPolicy", "allow-postgres").spec.ingress.push({ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: 5432, protocol: "TCP" }] }),
  },
  {
    what: "the API may send anywhere on any port",
    policy: "k8s-network-policy-no-reopen",
    mentions: "allow-api",
    edit: (rs) => void one(rs, "NetworkPolicy", "allow-api").spec.egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }),
  },
  {
    what: "the mirror may reach Redis on the internet",
    policy: "k8s-network-policy-no-reopen",
    mentions: "allow-minio-mirror",
    edit: (rs) => void one(rs, "NetworkPolicy", "allow-minio-mirror").spec.egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: 6379, protocol: "TCP" }] }),
  },
  {
    what: "Grafana's policy gains an egress rule with no destination",
    policy: "k8s-network-policy-no-reopen",
    mentions: "allow-grafana",
    edit: (rs) => void one(rs, "NetworkPolicy", "allow-grafana").spec.egress.push({ ports: [{ port: 5432, protocol: "TCP" }] }),
  },
  {
    what: "the PostgreSQL rw Service gets an external IP",
    policy: "k8s-service-no-external-ips",
    mentions: "postgres-rw",
    edit: (rs) => void (one(rs, "Service", "postgres-rw").spec.externalIPs = ["198.51.100.10"]),
  },
  {
    what: "a hostPath PersistentVolume for a claim to bind",
    policy: "k8s-persistent-volume-no-host-path",
    mentions: "scratch",
    edit: add({
      type: "kubernetes:core/v1:PersistentVolume",
      name: "scratch",
      inputs: {
        metadata: { name: "scratch", labels: { "app.kubernetes.io/name": "postgres", "app.kubernetes.io/part-of": "blacklake" } },
        spec: { capacity: { storage: "10Gi" }, hostPath: { path: "/mnt/data" }, storageClassName: "gp3" },
      },
    }),
  },
  // ------------------------------------------------------------ credentials
  {
    what: "the API's Redis password as a literal env value",
    policy: "k8s-no-credential-env-literals",
    mentions: "api",
    edit: (rs) => {
      const e = main(rs, "Deployment", "api").env.find((v: { name: string }) => v.name === "REDIS_PASSWORD");
      delete e.valueFrom;
      e.value = "s3cr3t-redis";
    },
  },
  {
    what: "a database URL with its password in the keycloak env",
    policy: "k8s-no-credential-env-literals",
    mentions: "keycloak",
    edit: env("Deployment", "keycloak", { name: "KC_DB_URL_FULL", value: "postgresql://keycloak:hunter2@postgres-rw:5432/keycloak" }),
  },
  {
    what: "the pgBackRest cipher passphrase written into pgbackrest.conf",
    policy: "k8s-no-secrets-in-configmaps",
    mentions: "postgres-config",
    edit: conf("pgbackrest.conf", (t) => t.replace("repo1-cipher-type=aes-256-cbc", "repo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=correct-horse-battery")),
  },
  {
    what: "requirepass in redis.conf",
    policy: "k8s-no-secrets-in-configmaps",
    mentions: "redis-config",
    edit: (rs) => void (one(rs, "ConfigMap", "redis-config").data["redis.conf"] += "requirepass hunter2\n"),
  },
  {
    what: "masterauth in redis.conf",
    policy: "k8s-no-secrets-in-configmaps",
    mentions: "redis-config",
    edit: (rs) => void (one(rs, "ConfigMap", "redis-config").data["redis.conf"] += "masterauth hunter2\n"),
  },
  {
    what: "Sentinel's auth-pass in sentinel.conf",
    policy: "k8s-no-secrets-in-configmaps",
    mentions: "redis-config",
    edit: (rs) => void (one(rs, "ConfigMap", "redis-config").data["sentinel.conf"] += "sentinel auth-pass queue hunter2\n"),
  },
  {
    what: "a PassWord key in Grafana's datasource file",
    policy: "k8s-no-secrets-in-configmaps",
    mentions: "grafana-provisioning",
    edit: (rs) => void (one(rs, "ConfigMap", "grafana-provisioning").data["datasources.yaml"] += "    secureJsonData:\n      basicAuthPassWord: hunter2\n"),
  },
  // ------------------------------------------------------------ rendered auth settings
  {
    what: "Grafana lets anonymous users in",
    policy: "platform-grafana-auth",
    mentions: "grafana",
    edit: (rs) => void (main(rs, "Deployment", "grafana").env.find((v: { name: string }) => v.name === "GF_AUTH_ANONYMOUS_ENABLED").value = "true"),
  },
  {
    what: "Grafana makes every new user an Admin",
    policy: "platform-grafana-auth",
    mentions: "grafana",
    edit: env("Deployment", "grafana", { name: "GF_USERS_AUTO_ASSIGN_ORG_ROLE", value: "Admin" }),
  },
  {
    what: "Grafana's brute-force login protection switched off",
    policy: "platform-grafana-auth",
    mentions: "grafana",
    edit: env("Deployment", "grafana", { name: "GF_SECURITY_DISABLE_BRUTE_FORCE_LOGIN_PROTECTION", value: "true" }),
  },
  {
    what: "Grafana moved into a native sidecar that lets anonymous users in",
    policy: "platform-grafana-auth",
    mentions: "grafana",
    edit: (rs) => {
      const spec = pod(rs, "Deployment", "grafana");
      const grafana = spec.containers.shift();
      grafana.env.find((v: { name: string }) => v.name === "GF_AUTH_ANONYMOUS_ENABLED").value = "true";
      spec.initContainers = [...(spec.initContainers ?? []), { ...grafana, restartPolicy: "Always" }];
      spec.containers.push({ name: "pause", image: "registry.k8s.io/pause:3.10" });
    },
  },
  {
    what: "the Keycloak realm without brute-force protection",
    policy: "platform-keycloak-realm",
    mentions: "keycloak-realm",
    edit: realm((r) => (r.bruteForceProtected = false)),
  },
  {
    what: "the Keycloak realm accepts plain HTTP logins",
    policy: "platform-keycloak-realm",
    mentions: "keycloak-realm",
    edit: realm((r) => (r.sslRequired = "none")),
  },
  {
    what: "the API borrows Prometheus' service account and its token",
    policy: "stack-api-token-owner",
    mentions: "api",
    edit: (rs) => void Object.assign(pod(rs, "Deployment", "api"), { serviceAccountName: "prometheus", automountServiceAccountToken: true }),
  },
  {
    what: "Grafana borrows the backup jobs' account",
    policy: "stack-api-token-owner",
    mentions: "grafana",
    edit: (rs) => void Object.assign(pod(rs, "Deployment", "grafana"), { serviceAccountName: "postgres-backup", automountServiceAccountToken: true }),
  },
  // ------------------------------------------------------------ availability
  {
    what: "the API's HPA deleted, leaving one replica",
    policy: "stack-ha-replicas",
    mentions: "api",
    edit: (rs) => {
      one(rs, "Deployment", "api").spec.replicas = 1;
      return drop("HorizontalPodAutoscaler", "api")(rs) as typeof rs;
    },
  },
  {
    what: "Keycloak's HPA lets it scale to one pod",
    policy: "stack-ha-replicas",
    mentions: "keycloak",
    edit: (rs) => {
      one(rs, "HorizontalPodAutoscaler", "keycloak").spec.minReplicas = 1;
      one(rs, "Deployment", "keycloak").spec.replicas = 1;
    },
  },
  {
    what: "the PostgreSQL PDB lets a drain take every pod",
    policy: "stack-ha-replicas",
    mentions: "postgres",
    edit: (rs) => void (one(rs, "PodDisruptionBudget", "postgres").spec.maxUnavailable = "100%"),
  },
  {
    what: "the Redis PDB requires no pod to stay",
    policy: "stack-ha-replicas",
    mentions: "redis",
    edit: (rs) => {
      const spec = one(rs, "PodDisruptionBudget", "redis").spec;
      delete spec.maxUnavailable;
      spec.minAvailable = 0;
    },
  },
  // ------------------------------------------------------------ supply chain
  {
    what: "the API image follows its main branch",
    policy: "k8s-image-pinned-tag",
    mentions: "api",
    edit: (rs) => void (main(rs, "Deployment", "api").image = "ghcr.io/blacklake/api:main"),
  },
  {
    what: "Redis on a bare major tag",
    policy: "k8s-image-pinned-tag",
    mentions: "redis",
    edit: (rs) => void (main(rs, "StatefulSet", "redis").image = "docker.io/library/redis:7-alpine"),
  },
  {
    what: "Grafana on a minor tag",
    policy: "k8s-image-pinned-tag",
    mentions: "grafana",
    edit: (rs) => void (main(rs, "Deployment", "grafana").image = "docker.io/grafana/grafana:12.0"),
  },
  {
    what: "the API image from another account's ECR",
    policy: "stack-ecr-own-account",
    mentions: "api",
    edit: (rs) => void (main(rs, "Deployment", "api").image = "999999999999.dkr.ecr.eu-west-1.amazonaws.com/blacklake/api:1.0.0"),
  },
  {
    what: "a Helm release the pack cannot see into",
    policy: "k8s-no-opaque-releases",
    mentions: "cache",
    edit: add({
      type: "kubernetes:helm.sh/v3:Release",
      name: "cache",
      inputs: { chart: "oci://registry-1.docker.io/bitnamicharts/redis", version: "20.1.0", namespace: "blacklake" },
    }),
  },
];
