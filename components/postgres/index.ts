import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { type InClusterArgs, objectNamespace, renamedType } from "../lib/component";
import { generatedPassword, opaqueSecret } from "../lib/credentials";
import { selectorLabels, standardLabels } from "../lib/labels";
import type { MonitoringMixin } from "../lib/mixin";
import { execProbes, httpProbes } from "../lib/probes";
import { preferOnePodPerNode, volumeClaim } from "../lib/placement";
import { toResourceRequirements, RESOURCE_PRESETS } from "../lib/resources";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";
import { postgresMixin } from "./mixin";
import type { RepoStorage } from "./pgbackrestConf";
import { backupCronJobs } from "./backupJobs";
import {
  EXPORTER_USER,
  POSTGRES_PATHS as PATHS,
  POSTGRES_PORT,
  POSTGRES_UID,
  postgresConfigFiles,
  type PostgresSettings,
  REPLICATION_USER,
  resolveBackupRepo,
  STANZA,
} from "./files";

export { POSTGRES_PORT, STANZA };
export type { PostgresSettings };
/** Image references; postgres and backupTools may be built by the stack and pinned by digest. */
export type PostgresImages = Record<"postgres" | "postgresExporter" | "pgbackrestExporter" | "backupTools", pulumi.Input<string>>;

/** Where one pgBackRest repository lives, resolved by the stack from the repo's `storage`. */
export interface RepoTarget {
  name: string;
  storage: RepoStorage;
  /**
   * "generated": S3 keys made here and handed to the object store; "webIdentity": the
   * IAM role in `serviceAccountAnnotations` (IRSA), no key at all; otherwise a Secret
   * (made by the bucket's owner) whose keys are PGBACKREST_REPO<n>_S3_KEY(_SECRET).
   */
  credentials: "generated" | "webIdentity" | { secretName: string };
  /** A private CA to trust for this repository's endpoint (the in-cluster MinIO's). */
  caSecret?: { name: string; key: string };
}

/** A database of its own for another platform service (Keycloak), owned by its own role. */
export interface ServiceDatabase {
  name: string;
  owner: string;
}

export interface PostgresClusterArgs extends InClusterArgs<PostgresSettings, PostgresImages> {
  repoTargets: RepoTarget[];
  serviceDatabases?: ServiceDatabase[];
  /** Networks clients connect from; NetworkPolicies narrow it to the declared flows. */
  clientCidrs?: string[];
  /**
   * On the ServiceAccount that the database pods and the restore drill run as, e.g. the
   * IRSA role (`eks.amazonaws.com/role-arn`) of a "webIdentity" repository.
   */
  serviceAccountAnnotations?: Record<string, pulumi.Input<string>>;
}

/**
 * PostgreSQL 16 as a StatefulSet: ordinal 0 is the primary, the others stream from it.
 * WAL is archived continuously with pgBackRest; CronJobs take full and incremental
 * backups on the stack's schedules, and a weekly drill restores the latest backup.
 */
export class PostgresCluster extends pulumi.ComponentResource {
  /** Read-write Service (the primary). */
  readonly primaryHost: pulumi.Output<string>;
  /** Read-only Service (every instance). */
  readonly readOnlyHost: pulumi.Output<string>;
  readonly port = POSTGRES_PORT;
  /** Secret with username, password, database, host, port and uri for the application. */
  readonly appSecretName: pulumi.Output<string>;
  /** S3 keys the object store must grant on the pgBackRest bucket, per generated repo. */
  readonly backupS3Credentials: { repo: string; accessKey: pulumi.Output<string>; secretKey: pulumi.Output<string> }[];
  readonly mixin: MonitoringMixin;
  private readonly serviceDatabaseSecrets = new Map<string, pulumi.Output<string>>();

  constructor(name: string, args: PostgresClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:postgres:PostgresCluster", name, {}, renamedType("blacklake:postgres:Cluster", opts));
    const child = { parent: this };
    const s = args.settings;
    const ns = args.namespace;
    const id = { name: "postgres", instance: args.instance, component: "database" };
    const labels = standardLabels(id);
    const selector = selectorLabels(id);
    const meta = (objectName: string, component = id.component) => ({
      name: objectName,
      namespace: objectNamespace(args),
      labels: standardLabels({ ...id, component }),
    });

    // --- credentials -----------------------------------------------------------------
    const password = (purpose: string, length = 32) => generatedPassword(`${name}-${purpose}`, this, length);
    const superuserPassword = password("superuser");
    const replicationPassword = password("replication");
    const appPassword = password("app");
    const exporterPassword = password("exporter");
    const cipherPassphrase = password("repo-cipher", 64);

    const rwHost = pulumi.interpolate`${name}-rw.${ns}.svc`;
    const roHost = pulumi.interpolate`${name}-ro.${ns}.svc`;
    const secret = (secretName: string, stringData: Record<string, pulumi.Input<string>>) => opaqueSecret(secretName, meta(secretName), stringData, this);

    const superuser = secret(`${name}-superuser`, { username: "postgres", password: superuserPassword });
    const replication = secret(`${name}-replication`, { username: REPLICATION_USER, password: replicationPassword });
    const exporter = secret(`${name}-exporter`, { username: EXPORTER_USER, password: exporterPassword });
    const app = secret(`${name}-app`, {
      username: s.appUser,
      password: appPassword,
      database: s.appDatabase,
      host: rwHost,
      port: String(POSTGRES_PORT),
      uri: pulumi.interpolate`postgresql://${s.appUser}:${appPassword}@${rwHost}:${POSTGRES_PORT}/${s.appDatabase}`,
    });

    this.backupS3Credentials = [];
    const pgbackrestEnv: Record<string, pulumi.Input<string>> = {};
    args.repoTargets.forEach((target, i) => {
      const index = i + 1;
      pgbackrestEnv[`PGBACKREST_REPO${index}_CIPHER_PASS`] = cipherPassphrase;
      if (target.storage.type === "s3" && target.credentials === "generated") {
        const accessKey = new random.RandomString(`${name}-${target.name}-access-key`, { length: 20, special: false, upper: true, lower: false }, child).result;
        const secretKey = password(`${target.name}-secret-key`, 40);
        pgbackrestEnv[`PGBACKREST_REPO${index}_S3_KEY`] = accessKey;
        pgbackrestEnv[`PGBACKREST_REPO${index}_S3_KEY_SECRET`] = secretKey;
        this.backupS3Credentials.push({ repo: target.name, accessKey, secretKey });
      }
    });
    const pgbackrestSecret = secret(`${name}-pgbackrest`, pgbackrestEnv);
    // Everything pgBackRest reads from the environment: our Secret plus the off-site writer's.
    const pgbackrestEnvFrom = [
      { secretRef: { name: pgbackrestSecret.metadata.name } },
      ...args.repoTargets.flatMap((t) => (typeof t.credentials === "object" ? [{ secretRef: { name: t.credentials.secretName } }] : [])),
    ];

    // --- rendered configuration ----------------------------------------------------------
    const caDir = "/etc/pgbackrest/ca";
    const repos = args.repoTargets.map((target, i) => {
      const storage =
        target.storage.type === "s3"
          ? {
              ...target.storage,
              ...(target.caSecret ? { caFile: `${caDir}/${target.name}.crt` } : {}),
              ...(target.credentials === "webIdentity" ? { keyType: "web-id" as const } : {}),
            }
          : target.storage;
      return resolveBackupRepo(s, i + 1, target.name, storage);
    });
    // Every repository's private CA, projected into one directory pgBackRest reads.
    const caSources = args.repoTargets.flatMap((t) => (t.caSecret ? [{ secret: { name: t.caSecret.name, items: [{ key: t.caSecret.key, path: `${t.name}.crt` }] } }] : []));
    const caVolumes = caSources.length ? [{ name: "repo-ca", projected: { sources: caSources } }] : [];
    const caMounts = caSources.length ? [{ name: "repo-ca", mountPath: caDir, readOnly: true }] : [];
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      { metadata: meta(`${name}-config`), data: postgresConfigFiles(s, { repos, clientCidrs: args.clientCidrs ?? ["0.0.0.0/0"] }) },
      child,
    );

    // --- services ------------------------------------------------------------------------
    const service = (serviceName: string, extraSelector: Record<string, string>, headless = false) =>
      new k8s.core.v1.Service(
        serviceName,
        {
          metadata: meta(serviceName),
          spec: {
            ...(headless ? { clusterIP: "None", publishNotReadyAddresses: true } : { type: "ClusterIP" }),
            selector: { ...selector, ...extraSelector },
            ports: [{ name: "postgres", port: POSTGRES_PORT, targetPort: "postgres" }],
          },
        },
        child,
      );
    const headless = service(`${name}-pods`, {}, true);
    // Ordinal 0 is the primary; a Service selector cannot exclude it, so read-only
    // traffic spreads over every instance, the primary included.
    service(`${name}-rw`, { "statefulset.kubernetes.io/pod-name": `${name}-0` });
    service(`${name}-ro`, {});

    // --- the StatefulSet -----------------------------------------------------------------
    const fromSecret = (envName: string, secretName: pulumi.Input<string>, key: string) => ({
      name: envName,
      valueFrom: { secretKeyRef: { name: secretName, key } },
    });
    const configVolumeMount = { name: "config", mountPath: PATHS.config, readOnly: true };
    const pgbackrestConfigMount = { name: "config", mountPath: PATHS.pgbackrestConfig, subPath: "pgbackrest.conf", readOnly: true };
    const serviceAccount = new k8s.core.v1.ServiceAccount(
      name,
      { metadata: { ...meta(name), annotations: args.serviceAccountAnnotations }, automountServiceAccountToken: false },
      child,
    );

    const statefulSet = new k8s.apps.v1.StatefulSet(
      name,
      {
        metadata: meta(name),
        spec: {
          serviceName: headless.metadata.name,
          replicas: s.instances,
          podManagementPolicy: "OrderedReady",
          updateStrategy: { type: "RollingUpdate" },
          selector: { matchLabels: selector },
          template: {
            metadata: {
              labels,
              annotations: { "kubectl.kubernetes.io/default-container": "postgres" },
            },
            spec: {
              serviceAccountName: serviceAccount.metadata.name,
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurityContext(POSTGRES_UID),
              terminationGracePeriodSeconds: 60,
              affinity: preferOnePodPerNode(selector),
              containers: [
                {
                  name: "postgres",
                  image: args.images.postgres,
                  command: ["bash", `${PATHS.config}/entrypoint.sh`],
                  ports: [{ name: "postgres", containerPort: POSTGRES_PORT }],
                  env: [
                    { name: "PGDATA", value: PATHS.pgdata },
                    { name: "POSTGRES_CONFIG_DIR", value: PATHS.config },
                    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                    { name: "PRIMARY_HOST", value: pulumi.interpolate`${name}-0.${name}-pods.${ns}.svc` },
                    fromSecret("POSTGRES_PASSWORD", superuser.metadata.name, "password"),
                    { name: "REPLICATION_USER", value: REPLICATION_USER },
                    fromSecret("REPLICATION_PASSWORD", replication.metadata.name, "password"),
                    { name: "APP_DATABASE", value: s.appDatabase },
                    { name: "APP_USER", value: s.appUser },
                    fromSecret("APP_PASSWORD", app.metadata.name, "password"),
                    { name: "EXPORTER_USER", value: EXPORTER_USER },
                    fromSecret("EXPORTER_PASSWORD", exporter.metadata.name, "password"),
                  ],
                  envFrom: pgbackrestEnvFrom,
                  resources: toResourceRequirements(s.resources),
                  securityContext: restrictedContainerSecurityContext(),
                  ...execProbes(["pg_isready", "--host", PATHS.socket, "--port", String(POSTGRES_PORT)], undefined, 600),
                  volumeMounts: [
                    { name: "data", mountPath: PATHS.data },
                    configVolumeMount,
                    pgbackrestConfigMount,
                    { name: "socket", mountPath: PATHS.socket },
                    { name: "tmp", mountPath: "/tmp" },
                    ...caMounts,
                  ],
                },
                {
                  name: "exporter",
                  image: args.images.postgresExporter,
                  args: [`--extend.query-path=${PATHS.config}/exporter-queries.yaml`, "--web.listen-address=:9187"],
                  ports: [{ name: "metrics", containerPort: 9187 }],
                  env: [
                    { name: "DATA_SOURCE_URI", value: `localhost:${POSTGRES_PORT}/postgres?sslmode=disable` },
                    { name: "DATA_SOURCE_USER", value: EXPORTER_USER },
                    fromSecret("DATA_SOURCE_PASS", exporter.metadata.name, "password"),
                  ],
                  resources: toResourceRequirements(RESOURCE_PRESETS.nano),
                  securityContext: restrictedContainerSecurityContext(),
                  ...httpProbes({ port: "metrics", readinessPath: "/", livenessPath: "/" }),
                  volumeMounts: [configVolumeMount],
                },
                {
                  name: "backup-metrics",
                  image: args.images.pgbackrestExporter,
                  args: [`--backrest.config=${PATHS.pgbackrestConfig}`, "--web.listen-address=:9854", "--collect.interval=300"],
                  ports: [{ name: "backup-metrics", containerPort: 9854 }],
                  envFrom: pgbackrestEnvFrom,
                  resources: toResourceRequirements(RESOURCE_PRESETS.nano),
                  securityContext: restrictedContainerSecurityContext(),
                  ...httpProbes({ port: "backup-metrics", readinessPath: "/", livenessPath: "/" }),
                  volumeMounts: [pgbackrestConfigMount, { name: "tmp", mountPath: "/tmp" }, ...caMounts],
                },
              ],
              volumes: [
                { name: "config", configMap: { name: configMap.metadata.name, defaultMode: 0o444 } },
                { name: "socket", emptyDir: {} },
                { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
                ...caVolumes,
              ],
            },
          },
          volumeClaimTemplates: [volumeClaim("data", labels, s.storage, args.storageClass)],
          persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
        },
      },
      child,
    );

    new k8s.policy.v1.PodDisruptionBudget(name, { metadata: meta(name), spec: { maxUnavailable: 1, selector: { matchLabels: selector } } }, child);

    backupCronJobs({
      name,
      namespace: objectNamespace(args),
      identity: id,
      stanza: STANZA,
      primaryPod: `${name}-0`,
      repos,
      restoreDrill: s.backups.pgbackrest.restoreDrill,
      images: args.images,
      serviceAccountName: serviceAccount.metadata.name,
      scratchSize: s.storage.size,
      configMapName: configMap.metadata.name,
      pgbackrestEnvFrom,
      caVolumes,
      caMounts,
      paths: { pgbackrestConfig: PATHS.pgbackrestConfig, config: PATHS.config },
      runAsUser: POSTGRES_UID,
      dependsOn: [statefulSet],
      parent: this,
    });

    for (const db of args.serviceDatabases ?? []) {
      const ownerPassword = password(`db-${db.name}`);
      const dbSecret = secret(`${name}-db-${db.name}`, {
        username: db.owner,
        password: ownerPassword,
        database: db.name,
        host: rwHost,
        port: String(POSTGRES_PORT),
        jdbcUrl: pulumi.interpolate`jdbc:postgresql://${rwHost}:${POSTGRES_PORT}/${db.name}`,
      });
      this.serviceDatabaseSecrets.set(db.name, dbSecret.metadata.name);
      provisionDatabaseJob({
        name: `${name}-db-${db.name}`,
        meta: meta(`${name}-db-${db.name}`, "provisioning"),
        image: args.images.postgres,
        host: rwHost,
        database: db,
        superuserSecret: superuser.metadata.name,
        ownerSecret: dbSecret.metadata.name,
        configMapName: configMap.metadata.name,
        configDir: PATHS.config,
        runAsUser: POSTGRES_UID,
        opts: { parent: this, dependsOn: [statefulSet] },
      });
    }

    this.primaryHost = rwHost;
    this.readOnlyHost = roHost;
    this.appSecretName = app.metadata.name;
    this.mixin = postgresMixin({
      namespace: ns,
      name,
      podSelector: selector,
      repos: repos.map((r) => ({ index: r.index, schedules: r.schedules })),
      replicationLagAlertSeconds: s.replicationLagAlertSeconds,
      restoreDrill: s.backups.pgbackrest.restoreDrill.enabled,
    });
    this.registerOutputs({ primaryHost: this.primaryHost, readOnlyHost: this.readOnlyHost, appSecretName: this.appSecretName });
  }
  /** A service database's Secret: username, password, database, host, port and jdbcUrl. */
  serviceDatabaseSecret(database: string): pulumi.Output<string> {
    const secret = this.serviceDatabaseSecrets.get(database);
    if (!secret) throw new Error(`PostgresCluster: no service database "${database}" (declared: ${[...this.serviceDatabaseSecrets.keys()].join(", ") || "none"})`);
    return secret;
  }
}

interface ProvisionJobArgs {
  name: string;
  meta: { name: string; namespace: pulumi.Input<string>; labels: Record<string, string> };
  image: pulumi.Input<string>;
  host: pulumi.Input<string>;
  database: ServiceDatabase;
  superuserSecret: pulumi.Input<string>;
  ownerSecret: pulumi.Input<string>;
  configMapName: pulumi.Input<string>;
  configDir: string;
  runAsUser: number;
  opts: pulumi.CustomResourceOptions;
}

/** Runs provision-database.sql for one service; retried until the primary accepts connections. */
function provisionDatabaseJob(a: ProvisionJobArgs): k8s.batch.v1.Job {
  const fromSecret = (envName: string, secretName: pulumi.Input<string>, key: string) => ({
    name: envName,
    valueFrom: { secretKeyRef: { name: secretName, key } },
  });
  return new k8s.batch.v1.Job(
    a.name,
    {
      metadata: a.meta,
      spec: {
        backoffLimit: 10,
        activeDeadlineSeconds: 1800,
        // No ttlSecondsAfterFinished: Pulumi owns this Job, and a Job the cluster deleted
        // on its own would show as drift on every refresh and run again on the next up.
        template: {
          metadata: { labels: a.meta.labels },
          spec: {
            restartPolicy: "OnFailure",
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurityContext(a.runAsUser),
            containers: [
              {
                name: "provision",
                image: a.image,
                command: [
                  "sh",
                  "-c",
                  `psql --no-psqlrc --set=ON_ERROR_STOP=1 --host="$PGHOST" --username=postgres --dbname=postgres --set=owner="$OWNER" --set=owner_password="$OWNER_PASSWORD" --set=database="$DATABASE" --file=${a.configDir}/provision-database.sql`,
                ],
                env: [
                  { name: "PGHOST", value: a.host },
                  fromSecret("PGPASSWORD", a.superuserSecret, "password"),
                  { name: "OWNER", value: a.database.owner },
                  fromSecret("OWNER_PASSWORD", a.ownerSecret, "password"),
                  { name: "DATABASE", value: a.database.name },
                ],
                resources: toResourceRequirements(RESOURCE_PRESETS.nano),
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [{ name: "config", mountPath: a.configDir, readOnly: true }],
              },
            ],
            volumes: [{ name: "config", configMap: { name: a.configMapName, defaultMode: 0o444 } }],
          },
        },
      },
    },
    a.opts,
  );
}
