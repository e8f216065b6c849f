import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "./config";
import { stackMixins } from "./mixins";
import { kubernetesProvider } from "./providers";
import { PlatformNamespace } from "../components/namespace";
import type { InClusterArgs } from "../components/lib/component";
import { BUCKETS, KEYCLOAK_DATABASE, PGBACKREST_REPO_PATH, publicHosts, SERVICES, serviceHost } from "../components/lib/names";
import { PublicIngress, type PublicRoute } from "../components/ingress";
import { PostgresCluster, type RepoTarget } from "../components/postgres";
import { RedisQueue, SENTINEL_PORT, MASTER_NAME as REDIS_MASTER } from "../components/redis";
import { Keycloak } from "../components/keycloak";
import { KEYCLOAK_HTTP_PORT, realmDiscoveryPath } from "../components/keycloak/files";
import { DEFAULT_REALM } from "../components/keycloak/realm";
import { MinioTenant } from "../components/minio";
import { MINIO_API_PORT } from "../components/minio/files";
import { API_PROBE_PATHS, apiEnv } from "./api";
import { Workload } from "../components/workload";
import { Monitoring } from "../components/monitoring";
import { GRAFANA_PORT, GRAFANA_SERVICE } from "../components/monitoring/files";
import { NetworkPolicies } from "../components/network";
import { OffsiteBackup, type OffsiteWriter } from "../components/aws";
import { ImageRepositories } from "../components/aws/ecr";
import { CiAccess } from "../components/aws/ciAccess";
import { stackScope } from "../components/aws/scope";
import { BUILT_IMAGES, type BuiltImage, PlatformImages } from "../components/images";
import { MINIO_PROMETHEUS_TOKEN_SECRET } from "../components/minio/mixin";

/**
 * The whole platform for one environment. dev, staging and prod share this function;
 * what differs between them is in their Pulumi.<stack>.yaml, never in a branch on the
 * stack's name. Optional parts are switched by config.
 */
export function composePlatform(config: PlatformConfig) {
  const provider = kubernetesProvider(config.kubernetes);
  const inCluster: pulumi.ComponentResourceOptions = { providers: { kubernetes: provider } };

  const namespace = new PlatformNamespace("namespace", { name: config.namespace }, inCluster);
  const built = config.imageBuild.enabled ? buildImages(config) : undefined;
  const images: Images = { ...config.images, ...built?.pinned };
  // Objects take the Namespace's Output so they wait for it; names and PromQL the plain name.
  const where = { namespace: config.namespace, namespaceOutput: namespace.name };
  const args = <S>(settings: S): InClusterArgs<S, Images> => ({
    ...where,
    instance: config.namespace,
    images,
    settings,
    storageClass: config.kubernetes.storageClass,
  });
  const after = { ...inCluster, dependsOn: [namespace] };
  new NetworkPolicies("network", { ...where, instance: config.namespace, ...config.network }, after);

  const scope = stackScope(pulumi.getStack());
  const ci = config.aws.ciAccess.enabled ? ciAccess(config, scope) : undefined;
  const offsite = config.aws.offsite.enabled
    ? new OffsiteBackup(
        "offsite",
        {
          settings: config.aws.offsite,
          bucketName: offsiteBucket(config).bucket,
          ...where,
          instance: config.namespace,
          writers: offsiteWriters(config),
          scope,
          permissionsBoundaryArn: ci?.workloadBoundaryArn,
          deployerArns: ci ? [ci.deployRoleArn] : [],
        },
        after,
      )
    : undefined;
  const pgbackrestRole = offsite?.writerRoleArns.pgbackrest;

  const database = new PostgresCluster(
    POSTGRES,
    {
      ...args(config.postgres),
      priorityClassName: namespace.statefulPriorityClass,
      repoTargets: backupRepoTargets(config),
      serviceAccountAnnotations: pgbackrestRole ? { [IRSA_ROLE_ANNOTATION]: pgbackrestRole } : undefined,
      serviceDatabases: config.keycloak.enabled ? [KEYCLOAK_DATABASE] : [],
      tls: config.tls,
    },
    after,
  );
  const pgbackrestKeys = database.backupS3Credentials.find((c) => c.repo === "repo1");
  const objectStore = new MinioTenant(
    SERVICES.minio,
    {
      ...args(config.minio),
      priorityClassName: namespace.statefulPriorityClass,
      tls: config.tls,
      consumerCredentials: pgbackrestKeys ? { pgbackrest: pgbackrestKeys } : {},
      offsite: config.aws.offsite.enabled ? { ...offsiteBucket(config), credentialsSecretName: OFFSITE_MIRROR_SECRET } : undefined,
    },
    after,
  );
  const queue = new RedisQueue(SERVICES.redis, { ...args(config.redis), priorityClassName: namespace.statefulPriorityClass }, after);
  const identity = config.keycloak.enabled
    ? new Keycloak(
        SERVICES.keycloak,
        { ...args(config.keycloak), domain: config.domain, databaseSecretName: database.serviceDatabaseSecret(KEYCLOAK_DATABASE.name), databaseCa: database.clientCa },
        { ...after, dependsOn: [namespace, database] },
      )
    : undefined;
  const api = config.api.enabled
    ? new Workload(
        SERVICES.api,
        {
          ...where,
          identity: { name: SERVICES.api, instance: config.namespace, component: "api" },
          image: config.images.api,
          port: config.api.port,
          ...API_PROBE_PATHS,
          metricsPath: "/metrics",
          resources: config.api.resources,
          autoscaling: config.api.autoscaling,
          spreadAcrossZones: config.highAvailability,
          // DATABASE_URL verifies the server against this CA.
          files: [database.clientCa],
          env: apiEnv({
            databaseUrl: { secretName: database.appSecretName, key: "uri" },
            redis: {
              host: queue.host,
              username: { secretName: queue.appSecretName, key: "username" },
              password: { secretName: queue.appSecretName, key: "password" },
              ...(queue.sentinelHost
                ? { sentinel: { host: queue.sentinelHost, port: SENTINEL_PORT, masterName: REDIS_MASTER, password: { secretName: queue.appSecretName, key: "sentinelPassword" } } }
                : {}),
            },
            objectStore: {
              endpoint: { secretName: objectStore.consumerSecretName(SERVICES.api), key: "endpoint" },
              accessKey: { secretName: objectStore.consumerSecretName(SERVICES.api), key: "accessKey" },
              secretKey: { secretName: objectStore.consumerSecretName(SERVICES.api), key: "secretKey" },
            },
            ...(identity
              ? {
                  oidc: {
                    // Keycloak's Service: the API's NetworkPolicy reaches Keycloak, not the ingress.
                    discoveryUrl: pulumi.interpolate`${identity.internalUrl}${realmDiscoveryPath(DEFAULT_REALM)}`,
                    issuer: { secretName: identity.apiClientSecretName, key: "issuer" },
                    clientId: { secretName: identity.apiClientSecretName, key: "clientId" },
                    clientSecret: { secretName: identity.apiClientSecretName, key: "clientSecret" },
                  },
                }
              : {}),
          }),
        },
        after,
      )
    : undefined;
  const mixins = stackMixins({
    namespace: config.namespace,
    instance: config.namespace,
    apiPodSelector: api?.podSelector ?? {},
    components: [database.mixin, queue.mixin, objectStore.mixin, ...(identity ? [identity.mixin] : [])],
  });
  const monitoring = new Monitoring(
    SERVICES.monitoring,
    {
      ...args(config.monitoring),
      mixins,
      scrapeSecrets: [MINIO_PROMETHEUS_TOKEN_SECRET.name],
      caSecretName: config.minio.tlsSecretName,
      grafanaUrl: `https://${publicHosts(config.domain).grafana}`,
    },
    after,
  );
  const ingress = config.ingress.enabled ? publicIngress(config, { api, identity, where }, after) : undefined;
  return { provider, namespace, objectStore, database, queue, identity, api, monitoring, offsite, ingress, images: built, ci };
}

/**
 * The public hosts: the API and Grafana whole, Keycloak's realms and their static
 * resources only (its admin console and APIs stay inside; reach them with a port-forward).
 */
function publicIngress(
  config: PlatformConfig,
  parts: { api?: Workload; identity?: Keycloak; where: { namespace: string; namespaceOutput: pulumi.Input<string> } },
  opts: pulumi.ComponentResourceOptions,
): PublicIngress {
  const hosts = publicHosts(config.domain);
  const routes: PublicRoute[] = [
    ...(parts.api ? [{ service: SERVICES.api, port: config.api.port, host: hosts.api, paths: ["/"] }] : []),
    ...(parts.identity ? [{ service: SERVICES.keycloak, port: KEYCLOAK_HTTP_PORT, host: hosts.keycloak, paths: ["/realms/", "/resources/"] }] : []),
    { service: GRAFANA_SERVICE, port: GRAFANA_PORT, host: hosts.grafana, paths: ["/"] },
  ];
  return new PublicIngress("ingress", { ...parts.where, instance: config.namespace, settings: config.ingress, tls: config.tls, routes }, opts);
}

/** Every image reference the components run; the ones the stack may build become outputs (pinned by digest). */
type Images = Omit<PlatformConfig["images"], BuiltImage> & Record<BuiltImage, pulumi.Input<string>>;

/** The component (and ServiceAccount) name of the database, which IRSA trusts by name. */
const POSTGRES = SERVICES.postgres;
const IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn";

/** Builds images/* and pushes them to ECR (repositories made here) or to an existing registry. */
function buildImages(config: PlatformConfig): PlatformImages {
  const registry = config.imageBuild.registry;
  const keys = Object.keys(BUILT_IMAGES) as BuiltImage[];
  // An image is named after its directory under images/: postgres, backup-tools.
  const imageName = (key: BuiltImage) => BUILT_IMAGES[key].split("/").pop() as string;
  const repositoryName = (key: BuiltImage) => `${config.namespace}/${imageName(key)}`;
  if (registry.kind === "registry") {
    const repositories = Object.fromEntries(keys.map((k) => [k, `${registry.server}/${registry.repositoryPrefix}/${imageName(k)}`]));
    return new PlatformImages("images", { repositories: repositories as Record<BuiltImage, string>, platform: config.imageBuild.platform });
  }
  const ecr = new ImageRepositories("ecr", {
    names: keys.map(repositoryName),
    region: registry.region,
    keepImages: registry.keepImages,
    untaggedExpireDays: registry.untaggedExpireDays,
  });
  const repositories = Object.fromEntries(keys.map((k) => [k, ecr.urls[repositoryName(k)]]));
  return new PlatformImages("images", { repositories: repositories as Record<BuiltImage, pulumi.Output<string>>, login: ecr.login, platform: config.imageBuild.platform });
}

/**
 * Who writes off-site: pgBackRest's repository (when a repo's storage is "aws") and the
 * MinIO mirror. pgBackRest takes a web identity (IRSA) when the config says so; mc cannot,
 * so the mirror always gets an access key.
 */
function offsiteWriters(config: PlatformConfig): OffsiteWriter[] {
  const awsRepoIndex = config.postgres.backups.pgbackrest.repos.findIndex((r) => r.storage === "aws") + 1;
  const identity = config.aws.offsite.writerCredentials;
  const writers: OffsiteWriter[] = [];
  if (awsRepoIndex > 0) {
    writers.push({
      name: "pgbackrest",
      prefix: "pgbackrest/",
      mayDelete: true,
      credentials:
        identity.kind === "irsa"
          ? { kind: "webIdentity", serviceAccount: POSTGRES, oidcProviderArn: identity.oidcProviderArn, oidcIssuer: identity.oidcIssuer }
          : {
              kind: "accessKey",
              secretName: OFFSITE_PGBACKREST_SECRET,
              accessKeyKey: `PGBACKREST_REPO${awsRepoIndex}_S3_KEY`,
              secretKeyKey: `PGBACKREST_REPO${awsRepoIndex}_S3_KEY_SECRET`,
              generations: config.aws.offsite.accessKeys.generations,
            },
    });
  }
  if (config.minio.mirror.enabled) {
    writers.push({
      name: "minio-mirror",
      prefix: "minio/",
      mayDelete: false,
      credentials: {
        kind: "accessKey",
        secretName: OFFSITE_MIRROR_SECRET,
        accessKeyKey: "accessKeyId",
        secretKeyKey: "secretAccessKey",
        generations: config.aws.offsite.accessKeys.generations,
      },
    });
  }
  return writers;
}

/** Where each pgBackRest repository's `storage` points, in this environment. */
function backupRepoTargets(config: PlatformConfig): RepoTarget[] {
  return config.postgres.backups.pgbackrest.repos.map((repo): RepoTarget => {
    if (repo.storage === "minio") {
      return {
        name: repo.name,
        // The in-cluster MinIO's API Service and its pgBackRest bucket (issue #5 creates both).
        storage: {
          type: "s3",
          endpoint: serviceHost(SERVICES.minio, config.namespace),
          port: MINIO_API_PORT,
          bucket: BUCKETS.pgbackrest,
          region: "us-east-1",
          path: PGBACKREST_REPO_PATH,
          uriStyle: "path",
          verifyTls: true,
        },
        credentials: "generated",
        caSecret: { name: config.minio.tlsSecretName, key: "ca.crt" },
      };
    }
    const { region } = config.aws.offsite;
    return {
      name: repo.name,
      storage: {
        type: "s3",
        endpoint: offsiteBucket(config).endpoint,
        bucket: offsiteBucket(config).bucket,
        region,
        path: PGBACKREST_REPO_PATH,
        uriStyle: "host",
        verifyTls: true,
      },
      credentials: config.aws.offsite.writerCredentials.kind === "irsa" ? "webIdentity" : { secretName: OFFSITE_PGBACKREST_SECRET },
    };
  });
}

/** Secrets the off-site component creates with its writers' keys. */
const OFFSITE_PGBACKREST_SECRET = "offsite-pgbackrest";
const OFFSITE_MIRROR_SECRET = "offsite-backup-writer";

/** GitHub Actions' roles for this stack, scoped to the stack's own buckets and keys. */
function ciAccess(config: PlatformConfig, scope: ReturnType<typeof stackScope>): CiAccess {
  const o = config.aws.offsite;
  const { bucket } = offsiteBucket(config);
  return new CiAccess("ci", {
    // The schema requires the provider's ARN when ciAccess is enabled.
    settings: { ...config.aws.ciAccess, oidcProviderArn: config.aws.ciAccess.oidcProviderArn as string },
    scope,
    resourcePrefix: config.namespace,
    // Each backup bucket and its access-log bucket, as OffsiteBackup names them.
    bucketNames: o.enabled ? [bucket, ...(o.replicaRegion ? [`${bucket}-replica`] : [])].flatMap((b) => [b, `${b}-access-logs`]) : [],
    keyRegions: [o.region, ...(o.replicaRegion ? [o.replicaRegion] : [])],
    trailName: o.enabled && o.cloudTrailDataEvents ? `${bucket}-data-events` : undefined,
  });
}

/** The off-site bucket, as the OffsiteBackup component names it. */
function offsiteBucket(config: PlatformConfig) {
  return { endpoint: `s3.${config.aws.offsite.region}.amazonaws.com`, bucket: `${config.namespace}-offsite-backups` };
}
