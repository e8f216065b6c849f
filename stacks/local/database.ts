// The local stack's database: the volumes' owners job, then PostgreSQL with pgBackRest
// on a posix repository and its two exporters.

import type * as pulumi from "@pulumi/pulumi";
import { fileOf } from "../../components/lib/confFile";
import { SERVICES } from "../../components/lib/names";
import { MINIO_UID } from "../../components/minio/files";
import { pgbackrestExporterContainer, postgresContainer, postgresExporterContainer } from "../../components/postgres/containers";
import { POSTGRES_PORT, POSTGRES_UID, postgresConfigFiles, resolveBackupRepo } from "../../components/postgres/files";
import { fromSpec } from "./container";
import type { LocalContext, Volumes } from "./context";
import { LOCAL_PGBACKREST_REPO_PATH } from "./context";

/** The named volumes, and the one-shot job that gives them to their users. */
export function localVolumes(ctx: LocalContext) {
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
export function localPostgres(ctx: LocalContext, v: Volumes) {
  const { config, local, image, password, run } = ctx;
  const { pgdata, pgbackrestRepo, volumeOwners } = v;
  const pg = config.postgres;
  const superuserPassword = password("postgres-superuser");
  const replicationPassword = password("postgres-replication");
  const appPassword = password("postgres-app");
  const exporterPassword = password("postgres-exporter");
  const cipherPassphrase = password("postgres-repo-cipher", 64);
  // One posix repository on a volume: no object store or TLS needed for backups locally.
  // The database speaks plain TCP: it is published on the laptop's loopback only and the
  // other connections stay on the Docker network (docs/local.md).
  const [firstRepo] = pg.backups.pgbackrest.repos;
  const repos = firstRepo ? [resolveBackupRepo(pg, 1, firstRepo.name, { type: "posix", path: LOCAL_PGBACKREST_REPO_PATH })] : [];
  const pgFiles = postgresConfigFiles(pg, { repos, clientCidrs: ["0.0.0.0/0"], tls: false });
  const pgbackrestEnv: Record<string, pulumi.Input<string>> = repos.length ? { PGBACKREST_REPO1_CIPHER_PASS: cipherPassphrase } : {};
  const files = { files: pgFiles, caMounts: [], tls: false };
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
      postgresExporterContainer(image(config.images.postgresExporter), {
        host: SERVICES.postgres,
        password: exporterPassword,
        tls: false,
        queries: fileOf(pgFiles, "exporter-queries.yaml"),
      }),
    ),
  );
  for (const repo of repos) {
    const backupMetrics = fromSpec(`pgbackrest-exporter-repo${repo.index}`, pgbackrestExporterContainer(image(config.images.pgbackrestExporter), files, repo.index));
    run({ ...backupMetrics, env: { ...backupMetrics.env, ...pgbackrestEnv }, volumes: [repoVolume(true)] });
  }

  return { postgres, superuserPassword, appPassword, repos, pgFiles };
}
