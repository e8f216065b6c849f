import { stringify } from "yaml";

// Custom queries for postgres_exporter (--extend.query-path): what the built-in
// collectors do not cover and the dashboards and alerts need. Each GAUGE or COUNTER
// column becomes a metric named <query name>_<column>, with no pg_ prefix (what the real
// exporter produces: test/fixtures/metrics/postgres_exporter.txt); the mixins take the
// names from customMetric, so producer and consumer cannot disagree.

interface Column {
  usage: "LABEL" | "GAUGE" | "COUNTER";
  description: string;
}

interface CustomQuery {
  query: string;
  master?: boolean;
  metrics: Record<string, Column>[];
}

const QUERIES: Record<string, CustomQuery> = {
  blacklake_connections: {
    query: "SELECT count(*)::float AS used, current_setting('max_connections')::float AS max FROM pg_stat_activity WHERE backend_type = 'client backend'",
    metrics: [{ used: { usage: "GAUGE", description: "Client connections in use" } }, { max: { usage: "GAUGE", description: "max_connections" } }],
  },
  blacklake_cache: {
    query: "SELECT datname, blks_hit::float AS hit, blks_read::float AS read FROM pg_stat_database WHERE datname IS NOT NULL AND datname NOT IN ('template0', 'template1')",
    metrics: [
      { datname: { usage: "LABEL", description: "Database" } },
      { hit: { usage: "COUNTER", description: "Blocks found in shared buffers" } },
      { read: { usage: "COUNTER", description: "Blocks read from disk" } },
    ],
  },
  blacklake_replication: {
    query:
      "SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END AS is_replica, CASE WHEN NOT pg_is_in_recovery() THEN 0 WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END AS lag_seconds",
    metrics: [
      { is_replica: { usage: "GAUGE", description: "1 on a streaming replica" } },
      { lag_seconds: { usage: "GAUGE", description: "Replay lag behind the primary in seconds" } },
    ],
  },
  blacklake_longest_transaction: {
    query: "SELECT COALESCE(max(EXTRACT(EPOCH FROM now() - xact_start)), 0) AS seconds FROM pg_stat_activity WHERE xact_start IS NOT NULL AND backend_type = 'client backend'",
    metrics: [{ seconds: { usage: "GAUGE", description: "Age of the oldest open transaction" } }],
  },
  blacklake_lock_waits: {
    query: "SELECT count(*)::float AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock'",
    metrics: [{ waiting: { usage: "GAUGE", description: "Sessions waiting for a lock" } }],
  },
  blacklake_database_size: {
    query: "SELECT datname, pg_database_size(datname)::float AS bytes FROM pg_database WHERE datallowconn",
    metrics: [{ datname: { usage: "LABEL", description: "Database" } }, { bytes: { usage: "GAUGE", description: "Database size on disk" } }],
  },
  blacklake_archiver: {
    // pending_*: the WAL segments waiting in pg_wal/archive_status for archive_command
    // (pg_ls_archive_statusdir needs pg_monitor), the data at risk until they are archived.
    query:
      "SELECT archived_count::float AS archived, failed_count::float AS failed, COALESCE(EXTRACT(EPOCH FROM now() - last_archived_time), -1) AS last_archived_age_seconds, (SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready')::float AS pending_segments, COALESCE((SELECT EXTRACT(EPOCH FROM now() - min(modification)) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'), 0) AS oldest_pending_seconds FROM pg_stat_archiver",
    master: true,
    metrics: [
      { archived: { usage: "COUNTER", description: "WAL segments archived" } },
      { failed: { usage: "COUNTER", description: "WAL archive attempts that failed" } },
      { last_archived_age_seconds: { usage: "GAUGE", description: "Seconds since the last successful archive; -1 if none" } },
      { pending_segments: { usage: "GAUGE", description: "WAL segments waiting to be archived" } },
      { oldest_pending_seconds: { usage: "GAUGE", description: "Age of the oldest WAL segment waiting to be archived; 0 if none" } },
    ],
  },
  blacklake_top_statements: {
    query:
      "SELECT left(md5(query), 12) AS queryid, calls::float AS calls, total_exec_time / 1000 AS total_seconds, mean_exec_time / 1000 AS mean_seconds FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 10",
    master: true,
    metrics: [
      { queryid: { usage: "LABEL", description: "Short hash of the statement text" } },
      { calls: { usage: "COUNTER", description: "Times executed" } },
      { total_seconds: { usage: "COUNTER", description: "Total execution time" } },
      { mean_seconds: { usage: "GAUGE", description: "Mean execution time" } },
    ],
  },
};

export function renderExporterQueries(): string {
  return stringify(QUERIES, { lineWidth: 0 });
}

export const EXPORTER_QUERY_NAMES = Object.keys(QUERIES);

/** The metric postgres_exporter makes of one value column of a custom query; throws for a query or column that does not exist. */
export function customMetric(query: string, column: string): string {
  const q = QUERIES[query];
  if (!q) throw new Error(`no custom query ${query} (there are: ${EXPORTER_QUERY_NAMES.join(", ")})`);
  const col = q.metrics.find((m) => column in m)?.[column];
  if (!col || col.usage === "LABEL") throw new Error(`custom query ${query} has no value column ${column}`);
  return `${query}_${column}`;
}
