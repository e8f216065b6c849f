// The local stack's composition: every service as a Docker container, one method each.
// Over 300 lines because it still composes each service by hand from the components'
// declarations (containers.ts, files.ts, settings); the service-spec renderer of issue #13
// is what will shrink it.

import * as pulumi from "@pulumi/pulumi";
import { renamedType } from "../../components/lib/component";
import * as docker from "@pulumi/docker";
import { fileOf } from "../../components/lib/confFile";
import { generatedPassword } from "../../components/lib/credentials";
import { API_OIDC_CLIENT_ID, KEYCLOAK_DATABASE, SERVICES } from "../../components/lib/names";
import * as random from "@pulumi/random";
import type { PlatformConfig } from "../config";
import { KEYCLOAK_HTTP_PORT, KEYCLOAK_MANAGEMENT_PORT, keycloakContainer, keycloakRealmFiles, REALM_FILE, realmDiscoveryPath } from "../../components/keycloak/files";
import { DEFAULT_REALM } from "../../components/keycloak/realm";
import { MINIO_API_PORT, MINIO_UID, minioBootstrapFiles, minioPrometheusTokenFiles } from "../../components/minio/files";
import { MINIO_PROMETHEUS_TOKEN_SECRET } from "../../components/minio/mixin";
import { credentialFiles, PROMETHEUS_CONSUMER } from "../../components/minio/policies";
import {
  ALERTMANAGER_PORT,
  alertmanagerConfigFiles,
  GRAFANA_PORT,
  grafanaDashboardFiles,
  grafanaProvisioningFiles,
  PROMETHEUS_PORT,
  prometheusConfigFiles,
  prometheusRuleFiles,
} from "../../components/monitoring/files";
import { alertmanagerContainer } from "../../components/monitoring/alertmanager";
import { grafanaContainer } from "../../components/monitoring/grafana";
import { prometheusContainer } from "../../components/monitoring/prometheus";
import { minioServerContainer } from "../../components/minio/statefulSet";
import { minioBootstrapContainer } from "../../components/minio/jobs";
import { REDIS_EXPORTER_PORT, redisExporterContainer, redisServerContainer } from "../../components/redis/containers";
import {
  PGBACKREST_EXPORTER_PORT,
  pgbackrestExporterContainer,
  POSTGRES_EXPORTER_PORT,
  postgresContainer,
  postgresExporterContainer,
  provisionDatabaseContainer,
} from "../../components/postgres/containers";
import { POSTGRES_PORT, POSTGRES_UID, postgresConfigFiles, type ResolvedRepo, resolveBackupRepo } from "../../components/postgres/files";
import { redisAclFiles, redisConfigFiles } from "../../components/redis/files";
import { fromSpec, localContainer, type LocalContainerSpec } from "./container";
import { localMixins } from "./mixins";
import type { MonitoringMixin } from "../../components/lib/mixin";
import { localScrapeTargets } from "./scrapeTargets";
import { API_PROBE_PATHS, apiEnv } from "../api";
import { workloadContainer } from "../../components/workload";

export { RESTART_POLICY } from "./container";

export interface LocalPlatformArgs {
  /** The validated stack config (target "docker"); the component reads no pulumi.Config. */
  config: PlatformConfig;
}

/** Where the posix pgBackRest repository lives in the database container (a named volume). */
export const LOCAL_PGBACKREST_REPO_PATH = "/pgbackrest-repo";

/** What every section of the local stack uses: the config, the network's naming, and how to run a container. */
interface LocalContext {
  config: PlatformConfig;
  ns: string;
  local: PlatformConfig["local"];
  child: pulumi.CustomResourceOptions;
  image: (ref: string) => pulumi.Output<string>;
  volume: (volumeName: string) => docker.Volume;
  password: (purpose: string, length?: number) => pulumi.Output<string>;
  run: (spec: LocalContainerSpec, dependsOn?: pulumi.Resource[]) => docker.Container;
}

/** The volumes whose owner a job sets, by name, and that job. */
interface Volumes {
  pgdata: string;
  pgbackrestRepo: string;
  minioData: string;
  volumeOwners: docker.Container;
}

interface Database {
  postgres: docker.Container;
  superuserPassword: pulumi.Output<string>;
  appPassword: pulumi.Output<string>;
  repos: ResolvedRepo[];
  pgFiles: Record<string, string>;
}

interface Store {
  keysOf: (consumer: string) => { accessKey: pulumi.Output<string>; secretKey: pulumi.Output<string> };
  minioUrl: string;
}

interface Identity {
  issuer: string;
  clientSecret: pulumi.Output<string>;
}

/**
 * The platform as containers on one Docker engine: the same services, users and rendered
 * files as on Kubernetes, on one private bridge network named after the stack, with only
 * the `local.ports` published, on `local.bindAddress` (loopback by default).
 */
export class LocalPlatform extends pulumi.ComponentResource {
  readonly networkName: pulumi.Output<string>;
  readonly urls: Record<"api" | "grafana" | "prometheus" | "alertmanager" | "keycloak" | "minio" | "postgres", string>;
  readonly grafanaAdminPassword: pulumi.Output<string>;
  readonly containers: docker.Container[] = [];
  /** The mixins the local Prometheus loads and Grafana shows. */
  readonly mixins: readonly MonitoringMixin[];

  constructor(name: string, args: LocalPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:local:LocalPlatform", name, {}, renamedType("blacklake:local:Platform", opts));
    const config = args.config;
    const ns = config.namespace;
    const local = config.local;
    const child = { parent: this };
    const host = (port: number) => `http://${local.bindAddress}:${port}`;
    this.urls = {
      api: host(local.ports.api),
      grafana: host(local.ports.grafana),
      prometheus: host(local.ports.prometheus),
      alertmanager: host(local.ports.alertmanager),
      keycloak: host(local.ports.keycloak),
      minio: host(local.ports.minio),
      postgres: `postgresql://${local.bindAddress}:${local.ports.postgres}`,
    };

    const network = new docker.Network("network", { name: ns, driver: "bridge", attachable: false }, child);
    this.networkName = network.name;
    const images = new Map<string, docker.RemoteImage>();
    const image = (ref: string) => {
      if (!images.has(ref)) images.set(ref, new docker.RemoteImage(`image-${images.size}`, { name: ref, keepLocally: true }, child));
      return images.get(ref)!.imageId;
    };
    const volumes = new Map<string, docker.Volume>();
    const volume = (volumeName: string) => {
      if (!volumes.has(volumeName)) volumes.set(volumeName, new docker.Volume(volumeName, { name: `${ns}-${volumeName}` }, child));
      return volumes.get(volumeName)!;
    };
    const password = (purpose: string, length = 32) => generatedPassword(purpose, this, length);
    const run = (spec: LocalContainerSpec, dependsOn: pulumi.Resource[] = []) => {
      const container = localContainer(spec, { prefix: ns, network, volume, bindAddress: local.bindAddress, parent: this, dependsOn: [...images.values(), ...dependsOn] });
      this.containers.push(container);
      return container;
    };

    const ctx: LocalContext = { config, ns, local, child, image, volume, password, run };
    const owned = this.volumes(ctx);
    const database = this.postgres(ctx, owned);
    const queue = this.redis(ctx);
    const store = this.minio(ctx, owned);
    const identity = config.keycloak.enabled ? this.keycloak(ctx, database) : undefined;
    if (config.api.enabled) this.api(ctx, { database, queue, store, identity });
    const monitoring = this.monitoring(ctx, { database, store });
    this.mixins = monitoring.mixins;
    this.grafanaAdminPassword = monitoring.grafanaAdminPassword;

    this.registerOutputs({ networkName: this.networkName, urls: this.urls, grafanaAdminPassword: this.grafanaAdminPassword });
  }

  /** The named volumes, and the one-shot job that gives them to their users. */
  private volumes(ctx: LocalContext) {
    const { config, image, volume, run } = ctx;
    // Docker gives a new volume the owner of the image's directory it is mounted on; these
    // three are mounted where the images have no directory, so a job gives them to their
    // users first (what fsGroup does on Kubernetes). It is the only container run as root,
    // with CHOWN as its only capability.
    const [pgdata, pgbackrestRepo, minioData] = ["pgdata", "pgbackrest-repo", "minio-data"];
    for (const name of [pgdata, pgbackrestRepo, minioData]) volume(name);
    const volumeOwners = run({
      service: "volume-owners",
      image: image(config.images.postgres),
      user: "0:0",
      entrypoint: ["sh", "-c"],
      command: [`chown ${POSTGRES_UID}:${POSTGRES_UID} /v/pgdata /v/pgbackrest-repo && chown ${MINIO_UID}:${MINIO_UID} /v/minio-data`],
      volumes: [
        { volume: pgdata, path: "/v/pgdata" },
        { volume: pgbackrestRepo, path: "/v/pgbackrest-repo" },
        { volume: minioData, path: "/v/minio-data" },
      ],
      addCapabilities: ["CHOWN"],
      oneShot: true,
    });

    return { pgdata, pgbackrestRepo, minioData, volumeOwners };
  }

  /** PostgreSQL with pgBackRest. */
  private postgres(ctx: LocalContext, v: Volumes) {
    const { config, local, image, password, run } = ctx;
    const { pgdata, pgbackrestRepo, volumeOwners } = v;
    const pg = config.postgres;
    const superuserPassword = password("postgres-superuser");
    const replicationPassword = password("postgres-replication");
    const appPassword = password("postgres-app");
    const exporterPassword = password("postgres-exporter");
    const cipherPassphrase = password("postgres-repo-cipher", 64);
    // One posix repository on a volume: no object store or TLS needed for backups locally.
    const [firstRepo] = pg.backups.pgbackrest.repos;
    const repos = firstRepo ? [resolveBackupRepo(pg, 1, firstRepo.name, { type: "posix", path: LOCAL_PGBACKREST_REPO_PATH })] : [];
    const pgFiles = postgresConfigFiles(pg, { repos, clientCidrs: ["0.0.0.0/0"] });
    const pgbackrestEnv: Record<string, pulumi.Input<string>> = repos.length ? { PGBACKREST_REPO1_CIPHER_PASS: cipherPassphrase } : {};
    const files = { files: pgFiles, caMounts: [] };
    // The posix repository's volume, beside what the containers mount on every target.
    const repoVolume = (readOnly: boolean) => ({ volume: pgbackrestRepo, path: LOCAL_PGBACKREST_REPO_PATH, readOnly });
    const server = fromSpec(
      SERVICES.postgres,
      postgresContainer(
        pg,
        image(config.images.postgres),
        {
          // The entrypoint reads its role from the ordinal: -0 is the primary.
          podName: "postgres-0",
          primaryHost: SERVICES.postgres,
          passwords: { superuser: superuserPassword, replication: replicationPassword, app: appPassword, exporter: exporterPassword },
        },
        files,
      ),
      { data: pgdata },
    );
    const postgres = run(
      {
        ...server,
        env: { ...server.env, ...pgbackrestEnv },
        volumes: [...(server.volumes ?? []), repoVolume(false)],
        ports: [{ internal: POSTGRES_PORT, external: local.ports.postgres }],
        labels: { "app.kubernetes.io/name": "postgres", "app.kubernetes.io/component": "database" },
      },
      [volumeOwners],
    );
    run(
      fromSpec(
        "postgres-exporter",
        postgresExporterContainer(image(config.images.postgresExporter), SERVICES.postgres, exporterPassword, fileOf(pgFiles, "exporter-queries.yaml")),
      ),
    );
    const backupMetrics = fromSpec("pgbackrest-exporter", pgbackrestExporterContainer(image(config.images.pgbackrestExporter), files));
    run({ ...backupMetrics, env: pgbackrestEnv, volumes: [repoVolume(true)] });

    return { postgres, superuserPassword, appPassword, repos, pgFiles };
  }

  /** Redis. */
  private redis(ctx: LocalContext) {
    const { config, ns, image, password, run } = ctx;
    const redisPasswords = {
      app: password("redis-app"),
      exporter: password("redis-exporter"),
      replication: password("redis-replication"),
      sentinel: password("redis-sentinel"),
      admin: password("redis-admin"),
    };
    const aclFiles = pulumi
      .all([redisPasswords.app, redisPasswords.exporter, redisPasswords.replication, redisPasswords.sentinel, redisPasswords.admin])
      .apply(([app, exporter, replication, sentinel, admin]) => redisAclFiles({ app, exporter, replication, sentinel, admin }));
    const redisFiles = redisConfigFiles(config.redis, { name: SERVICES.redis, namespace: ns });
    const aclFile = (file: "users.acl" | "replication.conf") => aclFiles.apply((f) => f[file]);
    run(
      fromSpec(
        SERVICES.redis,
        // One instance and no Sentinel.
        redisServerContainer(image(config.images.redis), {
          replicated: false,
          env: {},
          exporterPassword: redisPasswords.exporter,
          files: { config: redisFiles, acl: { "users.acl": aclFile("users.acl"), "replication.conf": aclFile("replication.conf") } },
        }),
      ),
    );
    run(fromSpec("redis-exporter", redisExporterContainer(image(config.images.redisExporter), SERVICES.redis, redisPasswords.exporter)));

    return { redisPasswords };
  }

  /** MinIO (plain HTTP on the private network: pgBackRest uses the posix repository). */
  private minio(ctx: LocalContext, v: Volumes) {
    const { config, local, child, image, password, run } = ctx;
    const { minioData, volumeOwners } = v;
    const minioRootUser = new random.RandomString("minio-root-user", { length: 16, special: false, upper: false }, child).result;
    const minioRootPassword = password("minio-root-password", 40);
    const kmsKey = new random.RandomBytes("minio-kms-key", { length: 32 }, child).base64;
    // An empty certs directory: MinIO serves plain HTTP.
    const server = fromSpec(
      SERVICES.minio,
      minioServerContainer(image(config.images.minio), { certsDir: "/tmp/certs", console: false, drives: "/data0", driveVolumes: ["data0"], tls: false }),
      { data0: minioData },
    );
    run(
      {
        ...server,
        env: { MINIO_ROOT_USER: minioRootUser, MINIO_ROOT_PASSWORD: minioRootPassword, MINIO_KMS_SECRET_KEY: pulumi.interpolate`blacklake-sse:${kmsKey}`, ...server.env },
        ports: [{ internal: MINIO_API_PORT, external: local.ports.minio }],
      },
      [volumeOwners],
    );
    const bootstrap = minioBootstrapFiles(config.minio);
    const keyPair = (consumer: string) => ({
      accessKey: new random.RandomString(`minio-${consumer}-access-key`, { length: 20, special: false, lower: false }, child).result,
      secretKey: password(`minio-${consumer}-secret-key`, 40),
    });
    const consumerKeys = new Map([...bootstrap.consumers.map((c) => c.name), PROMETHEUS_CONSUMER].map((c) => [c, keyPair(c)]));
    const keysOf = (consumer: string) => {
      const keys = consumerKeys.get(consumer);
      if (!keys) throw new Error(`local stack: no MinIO consumer "${consumer}"`);
      return keys;
    };
    const minioUrl = `http://minio:${MINIO_API_PORT}`;
    const keyFiles = [...consumerKeys].flatMap(([consumer, keys]) => {
      const files = credentialFiles(consumer);
      return [
        [files.accessKey, keys.accessKey],
        [files.secretKey, keys.secretKey],
      ] as const;
    });
    run({
      ...fromSpec(
        "minio-bootstrap",
        minioBootstrapContainer(image(config.images.mc), {
          url: minioUrl,
          root: { user: minioRootUser, password: minioRootPassword },
          tls: false,
          files: bootstrap.files,
          keys: Object.fromEntries(keyFiles),
        }),
      ),
      oneShot: true,
    });

    return { keysOf, minioUrl };
  }

  /** Keycloak, its database on the local PostgreSQL. */
  private keycloak(ctx: LocalContext, db: Database): Identity {
    const { config, local, image, password, run } = ctx;
    const { postgres, superuserPassword, pgFiles } = db;
    const dbPassword = password("postgres-db-keycloak");
    const provisioned = run(
      {
        ...fromSpec(
          "postgres-db-keycloak",
          provisionDatabaseContainer(image(config.images.postgres), {
            host: SERVICES.postgres,
            superuserPassword,
            owner: KEYCLOAK_DATABASE.owner,
            ownerPassword: dbPassword,
            database: KEYCLOAK_DATABASE.name,
            script: fileOf(pgFiles, "provision-database.sql"),
            // The Kubernetes Job's backoffLimit: retried while the server starts.
            attempts: 60,
          }),
        ),
        oneShot: true,
      },
      [postgres],
    );
    const apiClientSecret = password("keycloak-api-client");
    const adminPassword = password("keycloak-admin");
    const realm = apiClientSecret.apply((clientSecret) => keycloakRealmFiles(config.keycloak, { domain: config.domain, apiClientSecret: clientSecret }));
    run(
      {
        ...fromSpec(
          SERVICES.keycloak,
          keycloakContainer(
            image(config.images.keycloak),
            {
              database: { url: `jdbc:postgresql://${SERVICES.postgres}:${POSTGRES_PORT}/${KEYCLOAK_DATABASE.name}`, username: KEYCLOAK_DATABASE.owner, password: dbPassword },
              // The address a browser on this machine uses; tokens carry it as their issuer. The API
              // asks on http://keycloak:8080 and gets backchannel endpoints there.
              publicUrl: this.urls.keycloak,
              admin: { username: "admin", password: adminPassword },
              // No ingress in front, and one node: no cluster discovery.
              behindProxy: false,
              cache: "local",
            },
            { [REALM_FILE]: realm.apply((f) => f[REALM_FILE]) },
          ),
        ),
        ports: [{ internal: KEYCLOAK_HTTP_PORT, external: local.ports.keycloak }],
      },
      [provisioned],
    );
    return { issuer: `${this.urls.keycloak}/realms/${DEFAULT_REALM}`, clientSecret: apiClientSecret };
  }

  /** The API, with the database, queue, object store and (when enabled) Keycloak it uses. */
  private api(ctx: LocalContext, d: { database: Database; queue: { redisPasswords: { app: pulumi.Output<string> } }; store: Store; identity?: Identity }) {
    const { config, local, image, run } = ctx;
    const { keysOf, minioUrl } = d.store;
    const { appPassword } = d.database;
    const { redisPasswords } = d.queue;
    const { identity } = d;
    const pg = config.postgres;
    const apiKeys = keysOf(SERVICES.api);
    if (!apiKeys) throw new Error("local: the MinIO bootstrap declares no api consumer");
    const api = workloadContainer(SERVICES.api, {
      image: image(config.images.api),
      port: config.api.port,
      ...API_PROBE_PATHS,
      env: apiEnv({
        databaseUrl: pulumi.interpolate`postgresql://${pg.appUser}:${appPassword}@postgres:${POSTGRES_PORT}/${pg.appDatabase}`,
        redis: { host: SERVICES.redis, username: "app", password: redisPasswords.app },
        objectStore: { endpoint: minioUrl, accessKey: apiKeys.accessKey, secretKey: apiKeys.secretKey },
        ...(identity
          ? {
              oidc: {
                discoveryUrl: `http://keycloak:${KEYCLOAK_HTTP_PORT}${realmDiscoveryPath(DEFAULT_REALM)}`,
                issuer: identity.issuer,
                clientId: API_OIDC_CLIENT_ID,
                clientSecret: identity.clientSecret,
              },
            }
          : {}),
      }),
    });
    run({ ...fromSpec(SERVICES.api, api), ports: [{ internal: config.api.port, external: local.ports.api }] });
  }

  /** Prometheus, Alertmanager, Grafana. */
  private monitoring(ctx: LocalContext, d: { database: Database; store: Store }) {
    const { config, ns, local, image, password, run } = ctx;
    const { repos } = d.database;
    const { keysOf } = d.store;
    const m = config.monitoring;
    const mixins = localMixins({
      instance: ns,
      postgresRepos: repos.map((r) => ({ index: r.index, schedules: r.schedules })),
      replicationLagAlertSeconds: config.postgres.replicationLagAlertSeconds,
      restoreDrill: false,
      keycloak: config.keycloak.enabled,
    });
    const scrapeTargets = localScrapeTargets(ns, {
      api: config.api.enabled ? { host: SERVICES.api, port: config.api.port } : "absent",
      "kube-state-metrics": "absent",
      postgres: { host: "postgres-exporter", port: POSTGRES_EXPORTER_PORT },
      pgbackrest: { host: "pgbackrest-exporter", port: PGBACKREST_EXPORTER_PORT },
      redis: { host: "redis-exporter", port: REDIS_EXPORTER_PORT },
      minio: { host: SERVICES.minio, port: MINIO_API_PORT },
      "minio-node": { host: SERVICES.minio, port: MINIO_API_PORT },
      ...(config.keycloak.enabled ? { keycloak: { host: SERVICES.keycloak, port: KEYCLOAK_MANAGEMENT_PORT } } : {}),
    });
    const promFiles = prometheusConfigFiles(m, mixins, {
      instance: ns,
      alertmanagers: [`alertmanager:${ALERTMANAGER_PORT}`],
      discovery: { kind: "static", targets: scrapeTargets },
    });
    const scrapeUser = keysOf(PROMETHEUS_CONSUMER);
    const minioToken = pulumi.all([scrapeUser.accessKey, scrapeUser.secretKey]).apply(([a, s]) => minioPrometheusTokenFiles(a, s));
    run({
      ...fromSpec(
        "prometheus",
        prometheusContainer(m, image(config.images.prometheus), {
          files: { config: promFiles, rules: prometheusRuleFiles(m, mixins) },
          ca: false,
          scrapeSecrets: [
            { name: MINIO_PROMETHEUS_TOKEN_SECRET.name, files: { [MINIO_PROMETHEUS_TOKEN_SECRET.key]: minioToken.apply((f) => f[MINIO_PROMETHEUS_TOKEN_SECRET.key]) } },
          ],
        }),
      ),
      ports: [{ internal: PROMETHEUS_PORT, external: local.ports.prometheus }],
    });
    run({
      // One instance: no gossip cluster.
      ...fromSpec("alertmanager", alertmanagerContainer(image(config.images.alertmanager), { listen: "", peers: [] }, alertmanagerConfigFiles(m))),
      ports: [{ internal: ALERTMANAGER_PORT, external: local.ports.alertmanager }],
    });
    const grafanaAdminPassword = password("grafana-admin");
    run({
      ...fromSpec(
        "grafana",
        grafanaContainer(
          m,
          image(config.images.grafana),
          { username: "admin", password: grafanaAdminPassword },
          {
            provisioning: grafanaProvisioningFiles(`http://prometheus:${PROMETHEUS_PORT}`),
            dashboards: grafanaDashboardFiles(mixins),
          },
        ),
      ),
      ports: [{ internal: GRAFANA_PORT, external: local.ports.grafana }],
    });

    return { mixins, grafanaAdminPassword };
  }
}
