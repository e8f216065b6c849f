import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { type InClusterArgs, objectNamespace, renamedType } from "../lib/component";
import type { MonitoringMixin } from "../lib/mixin";
import type { PodFiles } from "../lib/mounts";
import { ObjectScope } from "../lib/scope";
import { serverCertificate } from "../tls/certificate";
import type { TlsSettings } from "../tls/settings";
import { backupCronJobs } from "./backupJobs";
import { backupRepos, repoCa } from "./backupRepos";
import { type BackupS3Credentials, type ClusterCredentials, clusterCredentials } from "./credentials";
import { POSTGRES_CLIENT_TLS_QUERY, POSTGRES_PATHS as PATHS, POSTGRES_PORT, POSTGRES_UID, postgresConfigFiles, type PostgresSettings, STANZA } from "./files";
import { postgresMixin } from "./mixin";
import type { RepoStorage } from "./pgbackrestConf";
import { provisionDatabaseJob } from "./provisioning";
import { clusterServices, postgresStatefulSet } from "./statefulSet";
import { POSTGRES_CA_MOUNT, postgresCaVolume } from "./containers";

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
  /** Who signs the server's certificate: every connection over the network is TLS, verified by the client. */
  tls: TlsSettings;
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
  /**
   * The server's TLS Secret: a client pod mounts its ca.crt (postgresCaVolume) at
   * POSTGRES_TLS_DIR, where the uri and jdbcUrl the cluster hands out look for it.
   */
  readonly tlsSecretName: string;
  /** What a client pod mounts to verify the server: the CA volume and its mount at POSTGRES_TLS_DIR. */
  readonly clientCa: PodFiles;
  /** S3 keys the object store must grant on the pgBackRest bucket, per generated repo. */
  readonly backupS3Credentials: BackupS3Credentials[];
  readonly mixin: MonitoringMixin;
  private readonly serviceDatabaseSecrets = new Map<string, pulumi.Output<string>>();

  constructor(name: string, args: PostgresClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:postgres:PostgresCluster", name, {}, renamedType("blacklake:postgres:Cluster", opts));
    const s = args.settings;
    const id = { name: "postgres", instance: args.instance, component: "database" };
    const scope = new ObjectScope(this, args, id);
    const rwHost = pulumi.interpolate`${name}-rw.${args.namespace}.svc`;
    const roHost = pulumi.interpolate`${name}-ro.${args.namespace}.svc`;

    const tlsSecretName = `${name}-tls`;
    this.tlsSecretName = tlsSecretName;
    this.clientCa = { volume: postgresCaVolume(tlsSecretName), mount: POSTGRES_CA_MOUNT };
    // Every name a client reaches the server by: the Services, each pod, and the exporter's localhost.
    const certificate = serverCertificate(scope, args.tls, {
      secretName: tlsSecretName,
      dnsNames: [rwHost, roHost, pulumi.interpolate`*.${name}-pods.${args.namespace}.svc`, "localhost"],
    });
    const credentials = clusterCredentials(scope, name, args, rwHost);
    this.backupS3Credentials = credentials.backupS3Credentials;
    const repos = backupRepos(s, args.repoTargets);
    const ca = repoCa(args.repoTargets);
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      { metadata: scope.meta(`${name}-config`), data: postgresConfigFiles(s, { repos, clientCidrs: args.clientCidrs ?? ["0.0.0.0/0"], tls: true }) },
      scope.child,
    );
    const headless = clusterServices(scope, name);
    const serviceAccount = new k8s.core.v1.ServiceAccount(
      name,
      { metadata: { ...scope.meta(name), annotations: args.serviceAccountAnnotations }, automountServiceAccountToken: false },
      scope.child,
    );
    const statefulSet = postgresStatefulSet(scope, name, args, { headless, serviceAccount, configMap, credentials, ca, repos, tlsSecretName }, [certificate]);
    scope.podDisruptionBudget(name);

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
      pgbackrestEnvFrom: credentials.pgbackrestEnvFrom,
      caVolumes: ca.volumes,
      caMounts: ca.mounts,
      paths: { pgbackrestConfig: PATHS.pgbackrestConfig, config: PATHS.config },
      runAsUser: POSTGRES_UID,
      dependsOn: [statefulSet],
      parent: this,
    });

    for (const db of args.serviceDatabases ?? []) this.serviceDatabase(scope, name, db, { args, rwHost, credentials, configMap, statefulSet });

    this.primaryHost = rwHost;
    this.readOnlyHost = roHost;
    this.appSecretName = credentials.app.metadata.name;
    this.mixin = postgresMixin({
      namespace: args.namespace,
      name,
      podSelector: scope.selector,
      repos: repos.map((r) => ({ index: r.index, schedules: r.schedules })),
      replicationLagAlertSeconds: s.replicationLagAlertSeconds,
      rpo: { rpoSeconds: s.rpoSeconds, archiveTimeoutSeconds: s.archiveTimeoutSeconds },
      restoreDrill: s.backups.pgbackrest.restoreDrill.enabled ? { rtoSeconds: s.backups.pgbackrest.restoreDrill.rtoSeconds } : false,
    });
    this.registerOutputs({ primaryHost: this.primaryHost, readOnlyHost: this.readOnlyHost, appSecretName: this.appSecretName });
  }

  /** A database of its own for another service: its owner's Secret, and the Job that creates both in the cluster. */
  private serviceDatabase(
    scope: ObjectScope,
    name: string,
    db: ServiceDatabase,
    d: { args: PostgresClusterArgs; rwHost: pulumi.Output<string>; credentials: ClusterCredentials; configMap: k8s.core.v1.ConfigMap; statefulSet: k8s.apps.v1.StatefulSet },
  ): void {
    const { args, rwHost, credentials, configMap, statefulSet } = d;
    const dbSecret = scope.secret(`${name}-db-${db.name}`, {
      username: db.owner,
      password: credentials.password(`db-${db.name}`),
      database: db.name,
      host: rwHost,
      port: String(POSTGRES_PORT),
      jdbcUrl: pulumi.interpolate`jdbc:postgresql://${rwHost}:${POSTGRES_PORT}/${db.name}?${POSTGRES_CLIENT_TLS_QUERY}`,
    });
    this.serviceDatabaseSecrets.set(db.name, dbSecret.metadata.name);
    provisionDatabaseJob({
      name: `${name}-db-${db.name}`,
      meta: scope.meta(`${name}-db-${db.name}`, "provisioning"),
      image: args.images.postgres,
      host: rwHost,
      database: db,
      superuserSecret: credentials.superuser.metadata.name,
      ownerSecret: dbSecret.metadata.name,
      configMapName: configMap.metadata.name,
      tlsSecretName: this.tlsSecretName,
      opts: { parent: this, dependsOn: [statefulSet] },
    });
  }

  /** A service database's Secret: username, password, database, host, port and jdbcUrl (verifying the server; the CA at POSTGRES_TLS_DIR). */
  serviceDatabaseSecret(database: string): pulumi.Output<string> {
    const secret = this.serviceDatabaseSecrets.get(database);
    if (!secret) throw new Error(`PostgresCluster: no service database "${database}" (declared: ${[...this.serviceDatabaseSecrets.keys()].join(", ") || "none"})`);
    return secret;
  }
}
