import * as fs from "node:fs";
import * as path from "node:path";
import { POSTGRES_TLS_DIR } from "../lib/names";
import type { PostgresSettings } from "./settings";
import { renderExporterQueries } from "./exporterQueries";
import { type BackupRepo, renderPgbackrestConf, type RepoStorage } from "./pgbackrestConf";
import { renderPgHba, renderPostgresqlConf } from "./postgresqlConf";

// The files the database reads, for every target: the Kubernetes component puts them in
// its ConfigMap, the local (Docker) stack uploads them into its containers. One function,
// so the two targets cannot drift apart.

export type { PostgresSettings };

export const STANZA = "blacklake";
export const POSTGRES_PORT = 5432;
/** The postgres user of the official image. */
export const POSTGRES_UID = 999;
export const REPLICATION_USER = "replicator";
export const EXPORTER_USER = "metrics";

/** Where the files and data live inside the database container, on every target. */
export const POSTGRES_PATHS = {
  data: "/pgdata",
  pgdata: "/pgdata/pg16",
  spool: "/pgdata/pgbackrest-spool",
  config: "/etc/postgres",
  pgbackrestConfig: "/etc/pgbackrest/pgbackrest.conf",
  socket: "/var/run/postgresql",
  exporterQueries: "/etc/postgres-exporter",
  /** The server's certificate and key, and the CA every client verifies it with (ca.crt). */
  tls: POSTGRES_TLS_DIR,
} as const;

/** The files of the server's TLS Secret (cert-manager's kubernetes.io/tls keys) under POSTGRES_PATHS.tls. */
export const POSTGRES_TLS_FILES = { cert: "tls.crt", key: "tls.key", ca: "ca.crt" } as const;

/**
 * libpq's settings of a client that verifies the server: the CA from the TLS Secret and
 * the host name against the certificate. As environment (psql, pg_basebackup, pg_isready)
 * and as connection-string parameters (the exporter, the application's URI, JDBC).
 */
export const POSTGRES_CLIENT_TLS = { sslmode: "verify-full", sslrootcert: `${POSTGRES_TLS_DIR}/${POSTGRES_TLS_FILES.ca}` } as const;
export const POSTGRES_CLIENT_TLS_ENV = { PGSSLMODE: POSTGRES_CLIENT_TLS.sslmode, PGSSLROOTCERT: POSTGRES_CLIENT_TLS.sslrootcert } as const;
export const POSTGRES_CLIENT_TLS_QUERY = `sslmode=${POSTGRES_CLIENT_TLS.sslmode}&sslrootcert=${POSTGRES_CLIENT_TLS.sslrootcert}`;

/** One pgBackRest repository as the renderer and the backup jobs need it. */
export type ResolvedRepo = BackupRepo & { schedules: PostgresSettings["backups"]["pgbackrest"]["repos"][number]["schedules"] };

/** A repository's settings (schedules, retention) joined with where it lives in this environment. */
export function resolveBackupRepo(s: PostgresSettings, index: number, name: string, storage: RepoStorage): ResolvedRepo {
  const settings = s.backups.pgbackrest.repos.find((r) => r.name === name);
  if (!settings) throw new Error(`postgres: no settings for backup repository ${name}`);
  return { index, storage, retentionFullDays: settings.retention.fullDays, encrypted: true, schedules: settings.schedules };
}

const script = (name: string) => fs.readFileSync(path.join(__dirname, "scripts", name), "utf8");

export interface PostgresFilesOptions {
  repos: BackupRepo[];
  /** Networks clients and replicas connect from (pg_hba.conf). */
  clientCidrs: string[];
  /** TLS only on the network (the certificate under POSTGRES_PATHS.tls), or plain where nothing leaves the machine. */
  tls: boolean;
}

/** Every file of the database's configuration directory: file name -> text. */
export function postgresConfigFiles(s: PostgresSettings, o: PostgresFilesOptions): Record<string, string> {
  const postgresqlConf = renderPostgresqlConf({
    parameters: s.parameters,
    archiveTimeoutSeconds: s.archiveTimeoutSeconds,
    stanza: STANZA,
    pgbackrestConfigPath: POSTGRES_PATHS.pgbackrestConfig,
    listenAddresses: "*",
    port: POSTGRES_PORT,
    unixSocketDirectories: POSTGRES_PATHS.socket,
    maxWalSenders: s.instances + 4,
    tls: o.tls ? { certFile: `${POSTGRES_PATHS.tls}/${POSTGRES_TLS_FILES.cert}`, keyFile: `${POSTGRES_PATHS.tls}/${POSTGRES_TLS_FILES.key}` } : "off",
  });
  const pgbackrestConf = renderPgbackrestConf({
    stanza: STANZA,
    pgDataPath: POSTGRES_PATHS.pgdata,
    pgPort: POSTGRES_PORT,
    pgSocketPath: POSTGRES_PATHS.socket,
    spoolPath: POSTGRES_PATHS.spool,
    lockPath: "/tmp/pgbackrest",
    repos: o.repos,
    compressType: "zst",
    compressLevel: 3,
    processMax: 2,
    archiveProcessMax: 2,
  });
  return {
    "postgresql.conf": postgresqlConf,
    "pg_hba.conf": renderPgHba({ clientCidrs: o.clientCidrs, replicationUser: REPLICATION_USER, tls: o.tls }),
    "pgbackrest.conf": pgbackrestConf,
    "bootstrap.sql": script("bootstrap.sql"),
    "entrypoint.sh": script("entrypoint.sh"),
    "restore-drill.sh": script("restore-drill.sh"),
    "provision-database.sql": script("provision-database.sql"),
    "exporter-queries.yaml": renderExporterQueries(),
  };
}
