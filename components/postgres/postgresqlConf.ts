import { quoteSingle, RENDERED_HEADER } from "../lib/confFile";

// postgresql.conf from typed options. The defaults of the numbers come from the config
// schema (the operations guide); this renderer adds what every instance needs for
// streaming replication, WAL archiving through pgBackRest and slow-query review.

export interface PostgresParameters {
  maxConnections: number;
  sharedBuffers: string;
  workMem: string;
  maintenanceWorkMem: string;
  effectiveCacheSize: string;
}

export interface PostgresqlConfOptions {
  parameters: PostgresParameters;
  /** Forces a WAL segment switch at least this often: the worst-case data loss with a quiet database. */
  archiveTimeoutSeconds: number;
  stanza: string;
  /** Where pgbackrest.conf is mounted; archive_command and restore_command pass it explicitly. */
  pgbackrestConfigPath: string;
  listenAddresses: string;
  port: number;
  unixSocketDirectories: string;
  /** Replicas plus headroom for base backups and a rebuild. */
  maxWalSenders: number;
  /**
   * The server's certificate and key: every network connection is TLS. "off" only where
   * nothing leaves one machine's loopback or Docker network (the local stack).
   */
  tls: ServerTlsFiles | "off";
}

export interface ServerTlsFiles {
  certFile: string;
  keyFile: string;
}

type Setting = [name: string, value: string | number | boolean];

function formatValue(value: string | number | boolean): string {
  if (typeof value === "boolean") return value ? "on" : "off";
  if (typeof value === "number") return String(value);
  return /^[0-9]+(kB|MB|GB|TB|ms|s|min|h|d)?$/.test(value) ? value : quoteSingle(value);
}

function section(title: string, settings: Setting[]): string {
  return [`# ${title}`, ...settings.map(([name, value]) => `${name} = ${formatValue(value)}`)].join("\n");
}

export function renderPostgresqlConf(o: PostgresqlConfOptions): string {
  const pgbackrest = `pgbackrest --config=${o.pgbackrestConfigPath} --stanza=${o.stanza}`;
  const sections = [
    section("Connections", [
      ["listen_addresses", o.listenAddresses],
      ["port", o.port],
      ["unix_socket_directories", o.unixSocketDirectories],
      ["max_connections", o.parameters.maxConnections],
      ["password_encryption", "scram-sha-256"],
    ]),
    ...(o.tls === "off"
      ? []
      : [
          section("TLS: pg_hba.conf admits network connections over TLS only (hostssl)", [
            ["ssl", true],
            ["ssl_cert_file", o.tls.certFile],
            ["ssl_key_file", o.tls.keyFile],
            ["ssl_min_protocol_version", "TLSv1.2"],
            ["ssl_prefer_server_ciphers", true],
          ]),
        ]),
    section("Memory", [
      ["shared_buffers", o.parameters.sharedBuffers],
      ["work_mem", o.parameters.workMem],
      ["maintenance_work_mem", o.parameters.maintenanceWorkMem],
      ["effective_cache_size", o.parameters.effectiveCacheSize],
    ]),
    section("WAL, archiving and replication", [
      ["wal_level", "replica"],
      // pg_rewind needs hint bits in WAL to rejoin a former primary as a replica.
      ["wal_log_hints", true],
      ["archive_mode", "on"],
      ["archive_command", `${pgbackrest} archive-push %p`],
      ["archive_timeout", o.archiveTimeoutSeconds],
      ["restore_command", `${pgbackrest} archive-get %f "%p"`],
      ["max_wal_senders", o.maxWalSenders],
      ["max_replication_slots", o.maxWalSenders],
      ["wal_keep_size", "1GB"],
      ["hot_standby", true],
      ["hot_standby_feedback", true],
    ]),
    section("Statistics and extensions (pg_stat_statements must be preloaded)", [
      ["shared_preload_libraries", "pg_stat_statements"],
      ["pg_stat_statements.track", "top"],
      ["pg_stat_statements.max", 10000],
      ["track_io_timing", true],
    ]),
    section("Logging to stderr, collected by the container runtime", [
      ["logging_collector", false],
      ["log_destination", "stderr"],
      ["log_line_prefix", "%m [%p] %q%u@%d "],
      ["log_min_duration_statement", "1s"],
      ["log_checkpoints", true],
      ["log_connections", false],
      ["log_lock_waits", true],
      ["log_temp_files", 0],
    ]),
  ];
  return `# ${RENDERED_HEADER}\n\n${sections.join("\n\n")}\n`;
}

export interface PgHbaOptions {
  /** Networks clients and replicas connect from; NetworkPolicies narrow this further. */
  clientCidrs: string[];
  replicationUser: string;
  /** hostssl (the server has a certificate) or, where TLS is "off", host. */
  tls: boolean;
}

/**
 * Password (SCRAM) everywhere over the network, and with TLS on only over TLS: a plain
 * connection matches no line and is refused. The local socket trusts the OS user only.
 */
export function renderPgHba(o: PgHbaOptions): string {
  const host = o.tls ? "hostssl" : "host   ";
  const lines = [
    `# ${RENDERED_HEADER}`,
    "# TYPE  DATABASE     USER       ADDRESS        METHOD",
    "local   all          all                       peer",
    "local   replication  all                       peer",
    ...o.clientCidrs.map((cidr) => `${host} replication  ${o.replicationUser}  ${cidr}  scram-sha-256`),
    ...o.clientCidrs.map((cidr) => `${host} all          all        ${cidr}  scram-sha-256`),
  ];
  return `${lines.join("\n")}\n`;
}
