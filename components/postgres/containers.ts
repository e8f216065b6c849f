import type * as pulumi from "@pulumi/pulumi";
import type { ContainerSpec } from "../lib/container";
import type { Env, EnvValue } from "../lib/env";
import type { FilesMount, Mount } from "../lib/mounts";
import {
  EXPORTER_USER,
  POSTGRES_CLIENT_TLS_ENV,
  POSTGRES_CLIENT_TLS_QUERY,
  POSTGRES_PATHS as PATHS,
  POSTGRES_PORT,
  POSTGRES_TLS_FILES,
  POSTGRES_UID,
  type PostgresSettings,
  REPLICATION_USER,
} from "./files";

// The database's containers as every target runs them: the entrypoint's command and
// environment, the exporters' flags, the provisioning of a service database. Kubernetes
// (statefulSet.ts, provisioning.ts) and Docker (stacks/local) render these; values that
// are Secrets on Kubernetes are handed over as values on Docker.

/** pg_isready on the socket: exit 0 accepting, 1 rejecting (starting up, in recovery), 2 no answer, 3 not attempted. */
const PG_ISREADY = ["pg_isready", "--host", PATHS.socket, "--port", String(POSTGRES_PORT), "--timeout", "5"];
/** Readiness: the server accepts connections. */
export const POSTGRES_READY = PG_ISREADY;
/** Liveness: the postmaster answers, accepting or not (exit 0 or 1). */
export const POSTGRES_ALIVE = ["sh", "-c", `${PG_ISREADY.join(" ")}; [ $? -le 1 ]`];

/** The image's entrypoint script, from the mounted configuration. */
const POSTGRES_ENTRYPOINT = ["bash", `${PATHS.config}/entrypoint.sh`];

/** Pod volumes of the server's TLS Secret: all of it for the server, its ca.crt alone for a client. */
export const POSTGRES_TLS_VOLUME = "tls";
export const POSTGRES_CA_VOLUME = "postgres-ca";
/** A client's mount of the CA (POSTGRES_CA_VOLUME) where the connection strings expect it. */
export const POSTGRES_CA_MOUNT: FilesMount = { kind: "files", volume: POSTGRES_CA_VOLUME, path: PATHS.tls };

/** The client's CA volume, from the server's TLS Secret: ca.crt only, never the key. */
export function postgresCaVolume(tlsSecretName: pulumi.Input<string>) {
  return { name: POSTGRES_CA_VOLUME, secret: { secretName: tlsSecretName, items: [{ key: POSTGRES_TLS_FILES.ca, path: POSTGRES_TLS_FILES.ca }], defaultMode: 0o444 } };
}

/** A libpq client's environment: verify the server against the CA with TLS on, nothing without. */
const clientTlsEnv = (tls: boolean): Env => (tls ? { ...POSTGRES_CLIENT_TLS_ENV } : {});

/** entrypoint.sh's environment: who it is (its ordinal), where the primary is, and the roles' passwords. */
function postgresEnv(
  s: PostgresSettings,
  o: { podName: EnvValue; primaryHost: EnvValue; passwords: Record<"superuser" | "replication" | "app" | "exporter", EnvValue> },
  tls: boolean,
): Env {
  return {
    // A replica's clone and its stream from the primary verify the primary's certificate.
    ...clientTlsEnv(tls),
    PGDATA: PATHS.pgdata,
    POSTGRES_CONFIG_DIR: PATHS.config,
    POD_NAME: o.podName,
    PRIMARY_HOST: o.primaryHost,
    POSTGRES_PASSWORD: o.passwords.superuser,
    REPLICATION_USER,
    REPLICATION_PASSWORD: o.passwords.replication,
    APP_DATABASE: s.appDatabase,
    APP_USER: s.appUser,
    APP_PASSWORD: o.passwords.app,
    EXPORTER_USER,
    EXPORTER_PASSWORD: o.passwords.exporter,
  };
}

/** postgres_exporter with our queries (exporter-queries.yaml). */
export const POSTGRES_EXPORTER_PORT = 9187;
const POSTGRES_EXPORTER_ARGS = [`--extend.query-path=${PATHS.config}/exporter-queries.yaml`, `--web.listen-address=:${POSTGRES_EXPORTER_PORT}`];

/** The exporter's connection: as the metrics role, to the server at `host`, verifying it with TLS on. */
function postgresExporterEnv(host: string, password: EnvValue, tls: boolean): Env {
  const query = tls ? POSTGRES_CLIENT_TLS_QUERY : "sslmode=disable";
  return { DATA_SOURCE_URI: `${host}:${POSTGRES_PORT}/postgres?${query}`, DATA_SOURCE_USER: EXPORTER_USER, DATA_SOURCE_PASS: password };
}

/**
 * pgbackrest_exporter: backup freshness from `pgbackrest info`, every 5 minutes, one
 * exporter per repository. Its pgbackrest_backup_since_last_completion_seconds is the
 * newest backup across every repository it reads (labels backup_type, block_incr, stanza;
 * no repo_key), so a stale off-site repository would hide behind a fresh local one.
 * PGBACKREST_REPO=<n> (pgBackRest takes any option from PGBACKREST_<OPTION>) makes its
 * `pgbackrest info` read repository n only; repo n's exporter listens on 9853 + n.
 */
export const PGBACKREST_EXPORTER_PORT = 9854;
export const pgbackrestExporterPort = (repo: number) => PGBACKREST_EXPORTER_PORT + repo - 1;
/** The container port's name, which the repository's scrape job selects. */
export const pgbackrestExporterPortName = (repo: number) => `backup-repo${repo}`;
const pgbackrestExporterArgs = (repo: number) => [`--backrest.config=${PATHS.pgbackrestConfig}`, `--web.listen-address=:${pgbackrestExporterPort(repo)}`, "--collect.interval=300"];

/** Runs provision-database.sql once as the superuser: the owner role and its database, idempotently. */
const PROVISION_DATABASE_SCRIPT = `psql --no-psqlrc --set=ON_ERROR_STOP=1 --host="$PGHOST" --username=postgres --dbname=postgres --set=owner="$OWNER" --set=database="$DATABASE" --file=${PATHS.config}/provision-database.sql`;

/** PROVISION_DATABASE_SCRIPT's environment; with `tls` it verifies the server (the CA at POSTGRES_CA_MOUNT). */
function provisionDatabaseEnv(o: { host: EnvValue; superuserPassword: EnvValue; owner: string; ownerPassword: EnvValue; database: string; tls: boolean }): Env {
  return { PGHOST: o.host, PGPASSWORD: o.superuserPassword, OWNER: o.owner, OWNER_PASSWORD: o.ownerPassword, DATABASE: o.database, ...clientTlsEnv(o.tls) };
}

/**
 * One service database's provisioning, run to completion: PROVISION_DATABASE_SCRIPT once
 * (a Kubernetes Job retries it), or with `attempts` retried every 5 s while the server
 * starts, where nothing else retries it (Docker). `script` is provision-database.sql's text,
 * for targets that copy files in.
 */
export function provisionDatabaseContainer(
  image: pulumi.Input<string>,
  o: Parameters<typeof provisionDatabaseEnv>[0] & { script?: pulumi.Input<string>; attempts?: number },
): ContainerSpec {
  return {
    name: "provision",
    image,
    ...(o.attempts
      ? { command: ["bash", "-c"], args: [`for _ in $(seq ${o.attempts}); do ${PROVISION_DATABASE_SCRIPT} && exit 0; sleep 5; done; exit 1`] }
      : { command: ["sh", "-c", PROVISION_DATABASE_SCRIPT] }),
    env: provisionDatabaseEnv(o),
    uid: POSTGRES_UID,
    mounts: [
      { kind: "files", volume: "config", path: PATHS.config, files: o.script === undefined ? undefined : { "provision-database.sql": o.script } },
      ...(o.tls ? [POSTGRES_CA_MOUNT] : []),
    ],
  };
}

/** What the server and its exporters read: the rendered files' text (for targets that copy them in) and the repositories' CA (Kubernetes). */
export interface PostgresFiles {
  /** postgresql.conf, pgbackrest.conf, entrypoint.sh and the rest (files.ts), by name. */
  files?: Record<string, pulumi.Input<string>>;
  /** Mounts of the repositories' CA bundle, when a repository is reached over TLS with a private CA. */
  caMounts: Mount[];
  /** The server speaks TLS with the certificate in POSTGRES_TLS_VOLUME (postgresConfigFiles' `tls`). */
  tls: boolean;
}

/** The configuration directory. */
const configDirMount = (f: PostgresFiles): Mount => ({ kind: "files", volume: "config", path: PATHS.config, files: f.files });
/** pgbackrest.conf where pgBackRest looks for it. */
const pgbackrestConfMount = (f: PostgresFiles): Mount => ({ kind: "files", volume: "config", path: PATHS.pgbackrestConfig, subPath: "pgbackrest.conf", files: f.files });

/** The database server: entrypoint.sh decides primary or replica from its ordinal. */
export function postgresContainer(s: PostgresSettings, image: pulumi.Input<string>, o: Parameters<typeof postgresEnv>[1], f: PostgresFiles): ContainerSpec {
  return {
    name: "postgres",
    image,
    command: POSTGRES_ENTRYPOINT,
    ports: [{ name: "postgres", port: POSTGRES_PORT }],
    env: postgresEnv(s, o, f.tls),
    uid: POSTGRES_UID,
    mounts: [
      ...(f.tls ? [{ kind: "files" as const, volume: POSTGRES_TLS_VOLUME, path: PATHS.tls }] : []),
      { kind: "data", volume: "data", path: PATHS.data },
      configDirMount(f),
      pgbackrestConfMount(f),
      { kind: "scratch", volume: "socket", path: PATHS.socket },
      { kind: "scratch", volume: "tmp", path: "/tmp" },
      ...f.caMounts,
    ],
    // Ready: accepting connections. Alive: the postmaster answers at all, also while it
    // refuses connections during a crash recovery, which a liveness of "ready" would
    // kill in a loop. A replica's first start clones the primary: minutes before it answers.
    health: { exec: { readiness: POSTGRES_READY, liveness: POSTGRES_ALIVE, startup: POSTGRES_ALIVE, startupSeconds: 600 } },
  };
}

/**
 * postgres_exporter beside the server (`host`: where it reaches it, a name in the server's
 * certificate with `tls`); `queries` is exporter-queries.yaml's text for targets that copy files in.
 */
export function postgresExporterContainer(image: pulumi.Input<string>, o: { host: string; password: EnvValue; tls: boolean; queries?: pulumi.Input<string> }): ContainerSpec {
  return {
    name: "exporter",
    image,
    args: POSTGRES_EXPORTER_ARGS,
    ports: [{ name: "metrics", port: POSTGRES_EXPORTER_PORT }],
    env: postgresExporterEnv(o.host, o.password, o.tls),
    uid: POSTGRES_UID,
    mounts: [
      { kind: "files", volume: "config", path: PATHS.config, files: o.queries === undefined ? undefined : { "exporter-queries.yaml": o.queries } },
      ...(o.tls ? [POSTGRES_CA_MOUNT] : []),
    ],
    // Distroless: no shell for a Docker healthcheck.
    health: { http: { port: "metrics", readinessPath: "/", livenessPath: "/" } },
  };
}

/** repository `repo`'s pgbackrest_exporter; it reads it with pgBackRest's own environment (the credentials), which each target adds. */
export function pgbackrestExporterContainer(image: pulumi.Input<string>, f: PostgresFiles, repo: number): ContainerSpec {
  const port = pgbackrestExporterPortName(repo);
  return {
    name: `backup-metrics-repo${repo}`,
    image,
    args: pgbackrestExporterArgs(repo),
    env: { PGBACKREST_REPO: String(repo) },
    ports: [{ name: port, port: pgbackrestExporterPort(repo) }],
    uid: POSTGRES_UID,
    mounts: [pgbackrestConfMount(f), { kind: "scratch", volume: "tmp", path: "/tmp" }, ...f.caMounts],
    health: { http: { port, readinessPath: "/", livenessPath: "/" } },
  };
}
