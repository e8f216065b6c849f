import * as pulumi from "@pulumi/pulumi";
import { PostgresCluster } from "../../components/postgres";
import { POSTGRES_DEFAULT_IMAGES, postgresSettings } from "../../components/postgres/settings";
import { tlsSettings } from "../../components/tls/settings";

// The PostgreSQL component on its own, outside the platform: a two-instance cluster with
// pgBackRest backups to an S3 bucket you already have and the component's alert rules,
// in a namespace that already exists. Nothing here reads the platform's config or
// stacks/: the settings are the component's own schema, with its defaults filled in.
//
//   pulumi config set namespace data        # an existing namespace
//   pulumi config set instance orders       # the app.kubernetes.io/instance label
//   pulumi config set backupBucket my-orders-backups
//   pulumi config set caIssuer platform-ca  # a cert-manager CA ClusterIssuer
//
// The backup keys live in a Secret you create: PGBACKREST_REPO1_S3_KEY and
// PGBACKREST_REPO1_S3_KEY_SECRET in `<instance>-backup-keys`.

/** The example's program: what it registers, and the mixin a Prometheus of yours would load. */
export function postgresClusterExample() {
  const config = new pulumi.Config();
  const namespace = config.get("namespace") ?? "data";
  const instance = config.get("instance") ?? "orders";
  const region = config.get("backupRegion") ?? "eu-west-1";
  const settings = postgresSettings.parse({
    instances: 2,
    storage: { size: "20Gi" },
    resources: "medium",
    // Within the 1Gi limit (the schema holds it to 75%).
    parameters: { effectiveCacheSize: "768MB" },
    backups: { pgbackrest: { repos: [{ name: "repo1", storage: "aws", schedules: { full: "0 1 * * *", incr: "0 */2 * * *" } }] } },
  });
  const database = new PostgresCluster(`${instance}-db`, {
    namespace,
    instance,
    settings,
    storageClass: config.get("storageClass") ?? "standard",
    images: POSTGRES_DEFAULT_IMAGES,
    // Your cert-manager CA issuer signs the server's certificate (docs/prerequisites.md).
    tls: tlsSettings.parse({ issuer: { kind: "ClusterIssuer", name: config.get("caIssuer") ?? "platform-ca" } }),
    repoTargets: [
      {
        name: "repo1",
        storage: {
          type: "s3",
          endpoint: `s3.${region}.amazonaws.com`,
          bucket: config.get("backupBucket") ?? `${instance}-backups`,
          region,
          path: `/${instance}`,
          uriStyle: "host",
          verifyTls: true,
        },
        credentials: { secretName: `${instance}-backup-keys` },
      },
    ],
  });
  return { database, primaryHost: database.primaryHost, appSecretName: database.appSecretName, alertRules: database.mixin };
}
