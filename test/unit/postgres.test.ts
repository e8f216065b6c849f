import { describe, expect, it } from "vitest";
import { podTemplateOf, runStack, stackConfig, STACKS, type StackName } from "../harness";
import { renderPgbackrestConf } from "../../components/postgres/pgbackrestConf";
import { renderPostgresqlConf } from "../../components/postgres/postgresqlConf";
import { isAlertRule } from "../../components/lib/mixin";
import { postgresMixin } from "../../components/postgres/mixin";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../harness";

type Obj = { metadata: { name: string }; data?: Record<string, string>; spec?: any; stringData?: Record<string, string> };

async function objects(stack: StackName) {
  const run = await runStack(stack);
  const byKindName = (type: string, name: string) => run.one(type, name).inputs as unknown as Obj;
  return { run, byKindName, config: byKindName("kubernetes:core/v1:ConfigMap", "postgres-config").data! };
}

const setting = (conf: string, name: string) => new RegExp(`^${name.replace(".", "\\.")} = (.*)$`, "m").exec(conf)?.[1];

describe("postgresql.conf", () => {
  it("prod carries the operations guide's numbers and archives WAL through pgBackRest every 60 s at most", async () => {
    const conf = (await objects("prod")).config["postgresql.conf"]!;
    expect(setting(conf, "max_connections")).toBe("100");
    expect(setting(conf, "shared_buffers")).toBe("256MB");
    expect(setting(conf, "work_mem")).toBe("4MB");
    expect(setting(conf, "maintenance_work_mem")).toBe("64MB");
    expect(setting(conf, "effective_cache_size")).toBe("1GB");
    expect(setting(conf, "archive_mode")).toBe("'on'");
    expect(setting(conf, "archive_timeout")).toBe("60");
    expect(setting(conf, "archive_command")).toBe("'pgbackrest --config=/etc/pgbackrest/pgbackrest.conf --stanza=blacklake archive-push %p'");
    expect(setting(conf, "shared_preload_libraries")).toBe("'pg_stat_statements'");
    expect(setting(conf, "wal_level")).toBe("'replica'");
    expect(setting(conf, "max_wal_senders")).toBe("7");
  });

  it("quotes values that contain quotes", () => {
    const conf = renderPostgresqlConf({
      parameters: { maxConnections: 10, sharedBuffers: "1MB", workMem: "1MB", maintenanceWorkMem: "1MB", effectiveCacheSize: "1MB" },
      archiveTimeoutSeconds: 30,
      stanza: "s",
      pgbackrestConfigPath: "/x/it's.conf",
      listenAddresses: "*",
      port: 5432,
      unixSocketDirectories: "/tmp",
      maxWalSenders: 3,
      tls: "off",
    });
    expect(conf).not.toMatch(/^ssl/m);
    expect(setting(conf, "archive_command")).toBe("'pgbackrest --config=/x/it''s.conf --stanza=s archive-push %p'");
  });
});

describe("TLS on every network connection", () => {
  const podTemplate = (run: Awaited<ReturnType<typeof objects>>["run"], type: string, name: string) => podTemplateOf(run.one(type, name))!.spec as any;

  it.each(STACKS)("%s: the server speaks TLS with cert-manager's Secret, and pg_hba admits TLS only", async (stack) => {
    const { run, config } = await objects(stack);
    const conf = config["postgresql.conf"]!;
    expect(setting(conf, "ssl")).toBe("on");
    expect(setting(conf, "ssl_cert_file")).toBe("'/etc/postgres-tls/tls.crt'");
    expect(setting(conf, "ssl_key_file")).toBe("'/etc/postgres-tls/tls.key'");
    expect(setting(conf, "ssl_min_protocol_version")).toBe("'TLSv1.2'");
    const rules = config["pg_hba.conf"]!.split("\n").filter((l) => l && !l.startsWith("#"));
    expect(rules.map((l) => l.split(/\s+/)[0]).sort()).toEqual(["hostssl", "hostssl", "local", "local"]);
    const certificate = run.one("kubernetes:cert-manager.io/v1:Certificate", "postgres-tls").inputs as any;
    const ns = certificate.metadata.namespace;
    expect(certificate.spec).toMatchObject({
      secretName: "postgres-tls",
      dnsNames: [`postgres-rw.${ns}.svc`, `postgres-ro.${ns}.svc`, `*.postgres-pods.${ns}.svc`, "localhost"],
      issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: "blacklake-internal-ca" },
      privateKey: { algorithm: "ECDSA", rotationPolicy: "Always" },
    });
    const pod = podTemplate(run, "kubernetes:apps/v1:StatefulSet", "postgres");
    expect(pod.volumes.find((v: any) => v.name === "tls").secret).toEqual({ secretName: "postgres-tls", defaultMode: 0o440 });
    // The exporter beside it gets the CA, never the key.
    expect(pod.volumes.find((v: any) => v.name === "postgres-ca").secret.items).toEqual([{ key: "ca.crt", path: "ca.crt" }]);
    const exporter = pod.containers.find((c: any) => c.name === "exporter");
    expect(exporter.volumeMounts.map((m: any) => m.name)).not.toContain("tls");
  });

  it("every client verifies the server: the replicas, the exporter, the provisioning job, the application's URI and Keycloak's JDBC URL", async () => {
    const { run } = await objects("prod");
    const env = (c: any) => Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
    const pod = podTemplate(run, "kubernetes:apps/v1:StatefulSet", "postgres");
    const server = pod.containers.find((c: any) => c.name === "postgres");
    expect(env(server)).toMatchObject({ PGSSLMODE: "verify-full", PGSSLROOTCERT: "/etc/postgres-tls/ca.crt" });
    expect(env(pod.containers.find((c: any) => c.name === "exporter")).DATA_SOURCE_URI).toBe("localhost:5432/postgres?sslmode=verify-full&sslrootcert=/etc/postgres-tls/ca.crt");
    const provision = podTemplate(run, "kubernetes:batch/v1:Job", "postgres-db-keycloak").containers[0];
    expect(env(provision)).toMatchObject({ PGSSLMODE: "verify-full", PGSSLROOTCERT: "/etc/postgres-tls/ca.crt" });
    expect(provision.volumeMounts).toContainEqual({ name: "postgres-ca", mountPath: "/etc/postgres-tls", readOnly: true });
    const secretData = (name: string) => (run.one("kubernetes:core/v1:Secret", name).inputs as any).stringData;
    expect(secretData("postgres-app").uri).toMatch(
      /^postgresql:\/\/blacklake_app:.+@postgres-rw\.blacklake\.svc:5432\/blacklake\?sslmode=verify-full&sslrootcert=\/etc\/postgres-tls\/ca\.crt$/,
    );
    expect(secretData("postgres-db-keycloak").jdbcUrl).toBe("jdbc:postgresql://postgres-rw.blacklake.svc:5432/keycloak?sslmode=verify-full&sslrootcert=/etc/postgres-tls/ca.crt");
    // The pods that use those URLs mount the CA where they name it.
    for (const [type, name] of [
      ["kubernetes:apps/v1:Deployment", "api"],
      ["kubernetes:apps/v1:Deployment", "keycloak"],
    ]) {
      const template = podTemplate(run, type!, name!);
      expect(template.volumes, name).toContainEqual({
        name: "postgres-ca",
        secret: { secretName: "postgres-tls", items: [{ key: "ca.crt", path: "ca.crt" }], defaultMode: 0o444 },
      });
      expect(template.containers[0].volumeMounts, name).toContainEqual({ name: "postgres-ca", mountPath: "/etc/postgres-tls", readOnly: true });
    }
  });

  it("MinIO's certificate is cert-manager's, for the Service and every server by name", async () => {
    const { run } = await objects("staging");
    const certificate = run.one("kubernetes:cert-manager.io/v1:Certificate", "minio-tls").inputs as any;
    const ns = certificate.metadata.namespace;
    expect(certificate.spec).toMatchObject({ secretName: "minio-tls", dnsNames: [`minio.${ns}.svc`, `*.minio-pods.${ns}.svc`], duration: "2160h", renewBefore: "720h" });
  });
});

describe("pgbackrest.conf", () => {
  it.each(STACKS)("%s: retention by time, encryption, zstd, async archiving", async (stack) => {
    const conf = (await objects(stack)).config["pgbackrest.conf"]!;
    expect(conf).toContain("repo1-retention-full-type=time");
    expect(conf).toContain("repo1-cipher-type=aes-256-cbc");
    expect(conf).toContain("compress-type=zst");
    expect(conf).toContain("archive-async=y");
    expect(conf).toContain("spool-path=/pgdata/pgbackrest-spool");
    expect(conf).toMatch(/^\[blacklake\]\npg1-path=\/pgdata\/pg16$/m);
    expect(conf).not.toMatch(/cipher-pass|s3-key=|s3-key-secret/);
    // delta belongs to restores only: in [global] it would make every incremental read the whole database
    expect(conf).toMatch(/\[global:restore\]\ndelta=y\n/);
    expect(conf.split("[global:restore]")[0]).not.toContain("delta=");
  });

  it("keeps prod's fulls 30 days in both repositories, repo2 off-site with host-style S3", async () => {
    const conf = (await objects("prod")).config["pgbackrest.conf"];
    expect(conf).toContain("repo1-retention-full=30");
    expect(conf).toContain("repo2-retention-full=30");
    expect(conf).toContain("repo2-s3-endpoint=s3.eu-west-1.amazonaws.com");
    expect(conf).toContain("repo2-s3-uri-style=host");
    expect(conf).toContain("repo1-s3-uri-style=path");
    // prod's off-site writer is an IRSA role: a web identity for repo2, keys (from MinIO) for repo1
    expect(conf).toContain("repo2-s3-key-type=web-id");
    expect(conf).not.toContain("repo1-s3-key-type");
  });

  it("dev keeps 7 days and has only the in-cluster repository", async () => {
    const conf = (await objects("dev")).config["pgbackrest.conf"];
    expect(conf).toContain("repo1-retention-full=7");
    expect(conf).not.toContain("repo2-");
  });

  it("renders a posix repository", () => {
    const conf = renderPgbackrestConf({
      stanza: "s",
      pgDataPath: "/d",
      pgPort: 5432,
      pgSocketPath: "/sock",
      spoolPath: "/spool",
      lockPath: "/lock",
      repos: [{ index: 1, storage: { type: "posix", path: "/repo" }, retentionFullDays: 30, encrypted: false }],
      compressType: "lz4",
      compressLevel: 1,
      processMax: 4,
      archiveProcessMax: 2,
    });
    expect(conf).toContain("repo1-type=posix\nrepo1-path=/repo\n");
    expect(conf).not.toContain("cipher");
    expect(conf).toContain("compress-type=lz4");
  });
});

describe("backup CronJobs", () => {
  it.each([
    ["prod", ["postgres-backup-repo1-full", "postgres-backup-repo1-incr", "postgres-backup-repo2-full", "postgres-backup-repo2-incr", "postgres-restore-drill"]],
    ["dev", ["postgres-backup-repo1-full", "postgres-backup-repo1-incr", "postgres-restore-drill"]],
  ] as const)("%s declares %j", async (stack, names) => {
    const { run } = await objects(stack);
    expect(
      run
        .ofType("kubernetes:batch/v1:CronJob")
        .map((c) => c.name)
        .filter((n) => n.startsWith("postgres-"))
        .sort(),
    ).toEqual([...names].sort());
  });

  it("runs full daily at 02:00 and incremental every 4 hours, never overlapping, with deadlines", async () => {
    const { byKindName } = await objects("prod");
    const full = byKindName("kubernetes:batch/v1:CronJob", "postgres-backup-repo1-full").spec;
    const incr = byKindName("kubernetes:batch/v1:CronJob", "postgres-backup-repo1-incr").spec;
    expect(full.schedule).toBe("0 2 * * *");
    expect(incr.schedule).toBe("0 */4 * * *");
    for (const job of [full, incr]) {
      expect(job.concurrencyPolicy).toBe("Forbid");
      expect(job.startingDeadlineSeconds).toBeGreaterThan(0);
      expect(job.jobTemplate.spec.activeDeadlineSeconds).toBeGreaterThan(0);
      expect(job.successfulJobsHistoryLimit).toBe(3);
      expect(job.failedJobsHistoryLimit).toBe(3);
    }
    const command = full.jobTemplate.spec.template.spec.containers[0].command.join(" ");
    expect(command).toContain("--repo=1 backup --type=full");
    expect(incr.jobTemplate.spec.template.spec.containers[0].command.join(" ")).toContain("--repo=1 backup --type=incr");
  });

  it("lets backup jobs exec into the primary pod only", async () => {
    const { byKindName } = await objects("prod");
    const role = byKindName("kubernetes:rbac.authorization.k8s.io/v1:Role", "postgres-backup") as unknown as { rules: any[] };
    expect(role.rules).toEqual([
      { apiGroups: [""], resources: ["pods"], resourceNames: ["postgres-0"], verbs: ["get"] },
      { apiGroups: [""], resources: ["pods/exec"], resourceNames: ["postgres-0"], verbs: ["create"] },
    ]);
  });

  it("drills a restore weekly, into a scratch volume, without API access", async () => {
    const { byKindName } = await objects("prod");
    const drill = byKindName("kubernetes:batch/v1:CronJob", "postgres-restore-drill").spec;
    expect(drill.schedule).toBe("0 5 * * 0");
    const pod = drill.jobTemplate.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.containers[0].command).toEqual(["bash", "/etc/postgres/restore-drill.sh"]);
    expect(pod.volumes.find((v: any) => v.name === "scratch").emptyDir.sizeLimit).toBe("200Gi");
  });
});

describe("the PostgreSQL StatefulSet", () => {
  it.each([
    ["dev", 1],
    ["staging", 2],
    ["prod", 3],
  ] as const)("%s runs %i instance(s) with storage from its stack", async (stack, instances) => {
    const { byKindName } = await objects(stack);
    const sts = byKindName("kubernetes:apps/v1:StatefulSet", "postgres").spec;
    expect(sts.replicas).toBe(instances);
    expect(sts.volumeClaimTemplates[0].spec.storageClassName).toBe(stack === "prod" ? "fast-ssd" : "standard");
  });

  it("runs every container restricted, with limits and probes", async () => {
    const { byKindName } = await objects("prod");
    const pod = byKindName("kubernetes:apps/v1:StatefulSet", "postgres").spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.automountServiceAccountToken).toBe(false);
    for (const c of pod.containers) {
      expect(c.securityContext, c.name).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
      expect(c.resources.limits, c.name).toBeDefined();
      expect(c.readinessProbe, c.name).toBeDefined();
      expect(c.livenessProbe, c.name).toBeDefined();
    }
    // One backup exporter per repository (prod: repo1 in MinIO, repo2 off-site).
    expect(pod.containers.map((c: any) => c.name)).toEqual(["postgres", "exporter", "backup-metrics-repo1", "backup-metrics-repo2"]);
    // Each reads its repository only (pgBackRest's --repo, from the environment), on its own port.
    const repo2 = pod.containers.find((c: any) => c.name === "backup-metrics-repo2");
    expect(repo2.env).toContainEqual({ name: "PGBACKREST_REPO", value: "2" });
    expect(repo2.ports).toEqual([expect.objectContaining({ name: "backup-repo2", containerPort: 9855 })]);
  });

  it("routes read-write traffic to ordinal 0 and read-only traffic to every instance", async () => {
    const { byKindName } = await objects("prod");
    expect(byKindName("kubernetes:core/v1:Service", "postgres-rw").spec.selector["statefulset.kubernetes.io/pod-name"]).toBe("postgres-0");
    expect(byKindName("kubernetes:core/v1:Service", "postgres-ro").spec.selector["statefulset.kubernetes.io/pod-name"]).toBeUndefined();
    expect(byKindName("kubernetes:policy/v1:PodDisruptionBudget", "postgres").spec.maxUnavailable).toBe(1);
  });
});

describe("credentials", () => {
  it("are generated and reach every Secret as Pulumi secrets", async () => {
    const { run } = await objects("prod");
    const ours = (type: string) => run.ofType(type).filter((r) => r.name.startsWith("postgres-"));
    expect(
      ours("random:index/randomPassword:RandomPassword")
        .map((r) => r.name)
        .sort(),
    ).toEqual(["postgres-app", "postgres-db-keycloak", "postgres-exporter", "postgres-replication", "postgres-repo-cipher", "postgres-repo1-secret-key", "postgres-superuser"]);
    const secrets = ours("kubernetes:core/v1:Secret");
    expect(secrets).toHaveLength(6);
    for (const s of secrets) expect(s.secretInputs, s.name).toContain("stringData");
  });

  it("never put a password in a ConfigMap or a plain env value", async () => {
    const { run } = await objects("prod");
    const everything = JSON.stringify(
      run
        .kubernetesObjects()
        .filter((o) => o.type !== "kubernetes:core/v1:Secret")
        .map((o) => o.inputs),
    );
    expect(everything).not.toContain("mock-random");
  });

  it("keep the application role from superuser powers", () => {
    const sql = fs.readFileSync(path.join(ROOT, "components/postgres/scripts/bootstrap.sql"), "utf8");
    expect(sql).toMatch(/CREATE ROLE :"app_user" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION/);
    expect(sql).toMatch(/GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_user"/);
  });
});

describe("the PostgreSQL monitoring mixin", () => {
  const mixin = postgresMixin({
    namespace: "blacklake",
    name: "postgres",
    podSelector: {},
    repos: [{ index: 1, schedules: { full: "0 2 * * *", incr: "0 */4 * * *" } }],
    replicationLagAlertSeconds: 30,
    rpo: { rpoSeconds: 900, archiveTimeoutSeconds: 60 },
    restoreDrill: { rtoSeconds: 14400 },
  });
  const alerts = mixin.ruleGroups.flatMap((g) => g.rules).filter(isAlertRule);

  // Severity, summary, description and runbook of every alert: test/unit/monitoring-alerts.test.ts.
  it("has every database and backup alert of the operations guide", () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual([
      "PgBackRestBackupsNotReported",
      "PgBackRestFullBackupTooOld",
      "PgBackRestIncrBackupTooOld",
      "PostgresCacheHitRatioLow",
      "PostgresConnectionsHigh",
      "PostgresDatabaseGrowth",
      "PostgresDown",
      "PostgresLockWaits",
      "PostgresLongRunningTransaction",
      "PostgresReplicationLagHigh",
      "PostgresRestoreDrillFailed",
      "PostgresRestoreDrillMissing",
      "PostgresRestoreDrillTooSlow",
      "PostgresWalArchiveBehindRpo",
      "PostgresWalArchivingFailing",
    ]);
  });

  it("derives backup staleness from the schedules", () => {
    const full = alerts.find((a) => a.alert === "PgBackRestFullBackupTooOld")!;
    const incr = alerts.find((a) => a.alert === "PgBackRestIncrBackupTooOld")!;
    expect(full.expr).toMatch(/> 93600$/); // 24 h + 2 h grace
    expect(incr.expr).toMatch(/> 21600$/); // 4 h + 2 h grace
    // No age reported at all for longer than the most frequent schedule allows.
    expect(alerts.find((a) => a.alert === "PgBackRestBackupsNotReported")!.for).toBe("360m");
  });

  it("reads each repository's backup age from that repository's own exporter", () => {
    const twoRepos = postgresMixin({
      namespace: "ns",
      name: "postgres",
      podSelector: { app: "postgres" },
      repos: [
        { index: 1, schedules: { full: "0 2 * * *", incr: "0 */4 * * *" } },
        { index: 2, schedules: { full: "0 3 * * *", incr: "0 */4 * * *" } },
      ],
      replicationLagAlertSeconds: 30,
      rpo: { rpoSeconds: 900, archiveTimeoutSeconds: 60 },
      restoreDrill: false,
    });
    const fullAges = twoRepos.ruleGroups.flatMap((g) => g.rules).filter((r) => isAlertRule(r) && r.alert === "PgBackRestFullBackupTooOld");
    expect(fullAges.map((r) => (isAlertRule(r) ? [r.labels.repo, /job="([^"]+)"/.exec(r.expr)?.[1]] : []))).toEqual([
      ["repo1", "pgbackrest-repo1"],
      ["repo2", "pgbackrest-repo2"],
    ]);
    const jobs = twoRepos.scrapeTargets.filter((t) => t.jobName.startsWith("pgbackrest"));
    expect(jobs.map((t) => [t.jobName, t.portName, t.labels])).toEqual([
      ["pgbackrest-repo1", "backup-repo1", { repo: "repo1" }],
      ["pgbackrest-repo2", "backup-repo2", { repo: "repo2" }],
    ]);
  });

  it("uses the guide's thresholds", () => {
    expect(alerts.find((a) => a.alert === "PostgresConnectionsHigh")!.expr).toMatch(/> 0\.8$/);
    expect(alerts.find((a) => a.alert === "PostgresCacheHitRatioLow")!.expr).toMatch(/ < 0\.95 and on \(namespace, instance\) blacklake:pg_block_reads:rate5m\{[^}]*\} >= 10$/);
    expect(alerts.find((a) => a.alert === "PostgresDatabaseGrowth")!.expr).toMatch(/\[24h\]\) > 1073741824$/);
    expect(alerts.find((a) => a.alert === "PostgresDown")!.for).toBe("1m");
    expect(alerts.find((a) => a.alert === "PostgresReplicationLagHigh")!.expr).toMatch(/> 30$/);
  });

  it("warns on replication lag above the stack's postgres.replicationLagAlertSeconds", async () => {
    const config = stackConfig("staging");
    const values = { ...config.values, postgres: { ...(config.values.postgres as object), replicationLagAlertSeconds: 90 } };
    const run = await runStack("staging", { ...config, values });
    const rules = Object.values((run.one("kubernetes:core/v1:ConfigMap", "prometheus-rules").inputs as unknown as Obj).data!).join("\n");
    expect(rules).toMatch(/blacklake_replication_lag_seconds\{job="postgres", namespace="blacklake-staging"\} > 90\n/);
  });
});
