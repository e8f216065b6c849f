import { longestIntervalMinutes } from "../lib/cron";
import { type AlertRule, latestCronJobRunFailed, type MonitoringMixin, type RecordingRule } from "../lib/mixin";
import { pgbackrestExporterPortName } from "./containers";
import { customMetric } from "./exporterQueries";

// The PostgreSQL and backup alerts of the operations guide, owned by this component.
// Thresholds are the guide's; schedule-based ones are derived from the stack's own
// backup schedules so that "backup older than its schedule allows" stays true when a
// schedule changes.

export interface PostgresMixinOptions {
  namespace: string;
  /** The StatefulSet's name; pods are <name>-<ordinal>. */
  name: string;
  podSelector: Record<string, string>;
  repos: { index: number; schedules: { full: string; diff?: string; incr: string } }[];
  /** Replay lag that warns (postgres.replicationLagAlertSeconds). */
  replicationLagAlertSeconds: number;
  /** The database's RPO and how long a segment may wait to be switched out (postgres.rpoSeconds, archiveTimeoutSeconds). */
  rpo: { rpoSeconds: number; archiveTimeoutSeconds: number };
  /** The restore drill CronJob runs (backups.pgbackrest.restoreDrill.enabled) with the restore's RTO: its alerts exist only then. */
  restoreDrill: false | { rtoSeconds: number };
}

/** Grace after a scheduled backup before its absence is an alert: time to run and retry. */
const BACKUP_GRACE_SECONDS = 2 * 3600;

export const POSTGRES_JOB = "postgres";
/** The scrape job of repository n's pgbackrest_exporter (one exporter per repository: containers.ts). */
export const pgbackrestJob = (repo: number) => `pgbackrest-repo${repo}`;
/** Below this many block reads per second (5-minute average, shared buffers or disk) the cache hit ratio is not judged. */
export const POSTGRES_MIN_BLOCK_READS_PER_SECOND = 10;

export function postgresMixin(o: PostgresMixinOptions): MonitoringMixin {
  const sel = `job="${POSTGRES_JOB}", namespace="${o.namespace}"`;
  const runbook = (file: string) => `docs/runbooks/${file}`;
  const hit = customMetric("blacklake_cache", "hit");
  const read = customMetric("blacklake_cache", "read");

  const recording: RecordingRule[] = [
    {
      record: "blacklake:pg_block_reads:rate5m",
      expr: `sum by (namespace, instance) (rate(${hit}{${sel}}[5m]) + rate(${read}{${sel}}[5m]))`,
    },
    {
      // No block reads: no ratio (NaN), rather than a ratio of 0 that reads as "every read missed".
      record: "blacklake:pg_cache_hit_ratio:rate5m",
      expr: `sum by (namespace, instance) (rate(${hit}{${sel}}[5m])) / sum by (namespace, instance) (rate(${hit}{${sel}}[5m]) + rate(${read}{${sel}}[5m]))`,
    },
    {
      record: "blacklake:pg_connections_used:ratio",
      expr: `${customMetric("blacklake_connections", "used")}{${sel}} / ${customMetric("blacklake_connections", "max")}{${sel}}`,
    },
  ];

  const database: AlertRule[] = [
    {
      alert: "PostgresDown",
      expr: `pg_up{${sel}} == 0`,
      for: "1m",
      labels: { severity: "critical" },
      annotations: {
        summary: "PostgreSQL {{ $labels.instance }} is down",
        description: "The exporter on {{ $labels.instance }} cannot connect to PostgreSQL (pg_up = {{ $value }}).",
        runbook: runbook("postgres-down.md"),
      },
    },
    {
      alert: "PostgresConnectionsHigh",
      expr: `blacklake:pg_connections_used:ratio{${sel}} > 0.8`,
      for: "2m",
      labels: { severity: "critical" },
      annotations: {
        summary: "PostgreSQL {{ $labels.instance }} uses more than 80% of max_connections",
        description: "{{ $value | humanizePercentage }} of max_connections are in use on {{ $labels.instance }}.",
        runbook: runbook("postgres-connections.md"),
      },
    },
    {
      alert: "PostgresCacheHitRatioLow",
      // The recording rule keeps only namespace and instance, so select on those.
      // A ratio over a handful of reads says nothing: only with real traffic.
      expr: `blacklake:pg_cache_hit_ratio:rate5m{namespace="${o.namespace}"} < 0.95 and on (namespace, instance) blacklake:pg_block_reads:rate5m{namespace="${o.namespace}"} >= ${POSTGRES_MIN_BLOCK_READS_PER_SECOND}`,
      for: "15m",
      labels: { severity: "warning" },
      annotations: {
        summary: "PostgreSQL buffer cache hit ratio below 95% on {{ $labels.instance }}",
        description: "Only {{ $value | humanizePercentage }} of block reads are served from shared buffers.",
        runbook: runbook("postgres-performance.md"),
      },
    },
    {
      alert: "PostgresReplicationLagHigh",
      expr: `${customMetric("blacklake_replication", "lag_seconds")}{${sel}} > ${o.replicationLagAlertSeconds}`,
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: "Replica {{ $labels.instance }} lags the primary",
        description: "Replay lag is {{ $value | humanizeDuration }}.",
        runbook: runbook("postgres-replica-rebuild.md"),
      },
    },
    {
      alert: "PostgresLongRunningTransaction",
      expr: `${customMetric("blacklake_longest_transaction", "seconds")}{${sel}} > 300`,
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: "A transaction has been open for more than 5 minutes on {{ $labels.instance }}",
        description: "The oldest open transaction is {{ $value | humanizeDuration }} old; it holds back vacuum.",
        runbook: runbook("postgres-performance.md"),
      },
    },
    {
      alert: "PostgresLockWaits",
      expr: `${customMetric("blacklake_lock_waits", "waiting")}{${sel}} > 5`,
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: "Sessions are waiting for locks on {{ $labels.instance }}",
        description: "{{ $value }} sessions have been waiting for a lock.",
        runbook: runbook("postgres-performance.md"),
      },
    },
    {
      alert: "PostgresDatabaseGrowth",
      expr: `delta(${customMetric("blacklake_database_size", "bytes")}{${sel}}[24h]) > 1073741824`,
      for: "1h",
      labels: { severity: "warning" },
      annotations: {
        summary: "Database {{ $labels.datname }} grew by more than 1 GiB in 24 hours",
        description: "{{ $labels.datname }} grew by {{ $value | humanize1024 }}B in the last 24 hours.",
        runbook: runbook("postgres-growth.md"),
      },
    },
  ];

  const backups: AlertRule[] = [
    {
      alert: "PostgresWalArchivingFailing",
      expr: `increase(${customMetric("blacklake_archiver", "failed")}{${sel}}[10m]) > 0`,
      for: "5m",
      labels: { severity: "critical" },
      annotations: {
        summary: "WAL archiving is failing on {{ $labels.instance }}",
        description: "{{ $value }} archive attempts failed in 10 minutes; point-in-time recovery and the RPO are at risk.",
        runbook: runbook("backup-restore.md"),
      },
    },
    {
      // Data written now is safe once its segment is archived: it may wait archive_timeout
      // to be switched out, then sits in pg_wal until archive_command succeeds. When the
      // oldest waiting segment is older than the RPO less that switch time, a lost primary
      // (and its volume) would lose more than the RPO allows.
      alert: "PostgresWalArchiveBehindRpo",
      expr: `${customMetric("blacklake_archiver", "oldest_pending_seconds")}{${sel}} > ${o.rpo.rpoSeconds - o.rpo.archiveTimeoutSeconds}`,
      for: "1m",
      labels: { severity: "critical" },
      annotations: {
        summary: "WAL not archived for longer than the RPO allows on {{ $labels.instance }}",
        description: `The oldest WAL segment waiting for the archive is {{ $value | humanizeDuration }} old; the RPO is ${o.rpo.rpoSeconds / 60} minutes.`,
        runbook: runbook("backup-restore.md"),
      },
    },
    ...o.repos.flatMap((repo) =>
      (
        [
          ["full", "Full"],
          ["diff", "Diff"],
          ["incr", "Incr"],
        ] as const
      ).flatMap(([type, Type]): AlertRule[] => {
        const schedule = repo.schedules[type];
        if (!schedule) return [];
        const maxAge = longestIntervalMinutes(schedule) * 60 + BACKUP_GRACE_SECONDS;
        // Repository n's own exporter (pgbackrestJob): its age is that repository's, not the newest of all.
        const age = `pgbackrest_backup_since_last_completion_seconds{job="${pgbackrestJob(repo.index)}", namespace="${o.namespace}", backup_type="${type}"}`;
        return [
          {
            alert: `PgBackRest${Type}BackupTooOld`,
            // Every pod's exporter reads the same repository: one value per stanza.
            expr: `min by (namespace, stanza) (${age}) > ${maxAge}`,
            for: "10m",
            labels: { severity: "warning", repo: `repo${repo.index}` },
            annotations: {
              summary: `The last ${type} backup in repo${repo.index} is older than its schedule allows`,
              description: `The newest ${type} backup is {{ $value | humanizeDuration }} old; the schedule "${schedule}" allows ${Math.round(maxAge / 3600)}h.`,
              runbook: runbook("backup-restore.md"),
            },
          },
        ];
      }),
    ),
    // An exporter that cannot read its repository (credentials, network), or a repository
    // with no backup yet, reports no age at all: without this, the age alerts stay silent.
    // pgBackRest turns the first incremental of a stanza into a full, so a full is due
    // within the most frequent schedule's interval.
    ...o.repos.map((repo): AlertRule => {
      const due = Math.min(...Object.values(repo.schedules).flatMap((c) => (c ? [longestIntervalMinutes(c) * 60] : []))) + BACKUP_GRACE_SECONDS;
      return {
        alert: "PgBackRestBackupsNotReported",
        expr: `absent(pgbackrest_backup_since_last_completion_seconds{job="${pgbackrestJob(repo.index)}", namespace="${o.namespace}", backup_type="full"})`,
        for: `${Math.round(due / 60)}m`,
        labels: { severity: "warning", repo: `repo${repo.index}` },
        annotations: {
          summary: `No backup of repo${repo.index} has been reported for ${Math.round(due / 3600)}h`,
          description: `repo${repo.index}'s pgbackrest_exporter reports no completed full backup: the repository is unreadable (credentials, network, its exporter down) or no backup has reached it.`,
          runbook: runbook("backup-restore.md"),
        },
      };
    }),
  ];
  // Only where the weekly drill runs: without its CronJob these could never fire.
  const drill = `namespace="${o.namespace}", job_name=~"${o.name}-restore-drill-[0-9]+"`;
  if (o.restoreDrill)
    backups.push(
      {
        alert: "PostgresRestoreDrillFailed",
        expr: latestCronJobRunFailed(o.namespace, `${o.name}-restore-drill`),
        for: "0m",
        labels: { severity: "warning" },
        annotations: {
          summary: "The weekly restore drill failed",
          description: "The latest drill failed and none has succeeded since: the latest backup could not be restored and queried. `kubectl get jobs` shows the failed run.",
          runbook: runbook("restore-drill.md"),
        },
      },
      {
        // The drill restores and checks the latest backup: its Job's run time is what a
        // real restore would take. Only the latest successful run counts (older ones stay
        // kept for inspection).
        alert: "PostgresRestoreDrillTooSlow",
        expr: `((kube_job_status_completion_time{${drill}} - on (namespace, job_name) kube_job_status_start_time{${drill}}) and on (namespace, job_name) (kube_job_status_start_time{${drill}} == on (namespace) group_left () max by (namespace) (kube_job_status_start_time{${drill}}))) > ${o.restoreDrill.rtoSeconds}`,
        for: "0m",
        labels: { severity: "warning" },
        annotations: {
          summary: `The latest restore drill took longer than the RTO (${o.restoreDrill.rtoSeconds / 3600} hours)`,
          description: "Restoring and checking the latest backup took {{ $value | humanizeDuration }}: a real restore would miss the RTO.",
          runbook: runbook("restore-drill.md"),
        },
      },
      {
        alert: "PostgresRestoreDrillMissing",
        expr: `time() - kube_cronjob_status_last_successful_time{namespace="${o.namespace}", cronjob="${o.name}-restore-drill"} > 8 * 86400`,
        for: "1h",
        labels: { severity: "warning" },
        annotations: {
          summary: "No successful restore drill for more than 8 days",
          description: "The last successful restore drill was {{ $value | humanizeDuration }} ago.",
          runbook: runbook("restore-drill.md"),
        },
      },
    );

  return {
    name: "postgres",
    scrapeTargets: [
      { jobName: POSTGRES_JOB, namespace: o.namespace, podSelector: o.podSelector, portName: "metrics" },
      ...o.repos.map((repo) => ({
        jobName: pgbackrestJob(repo.index),
        namespace: o.namespace,
        podSelector: o.podSelector,
        portName: pgbackrestExporterPortName(repo.index),
        labels: { repo: `repo${repo.index}` },
      })),
    ],
    ruleGroups: [
      { name: "postgres.recording", rules: recording },
      { name: "postgres.alerts", rules: database },
      { name: "postgres.backups", rules: backups },
    ],
    dashboards: [
      {
        uid: "blacklake-database",
        title: "Database",
        panels: [
          { title: "Connections used / max", unit: "percentunit", queries: [{ expr: "blacklake:pg_connections_used:ratio", legend: "{{instance}}" }] },
          { title: "Buffer cache hit ratio", unit: "percentunit", queries: [{ expr: "blacklake:pg_cache_hit_ratio:rate5m", legend: "{{instance}}" }] },
          { title: "Replication lag", unit: "s", queries: [{ expr: customMetric("blacklake_replication", "lag_seconds"), legend: "{{instance}}" }] },
          { title: "Longest transaction", unit: "s", queries: [{ expr: customMetric("blacklake_longest_transaction", "seconds"), legend: "{{instance}}" }] },
          { title: "Slowest statements (mean)", unit: "s", queries: [{ expr: `topk(10, ${customMetric("blacklake_top_statements", "mean_seconds")})`, legend: "{{queryid}}" }] },
          { title: "Database size", unit: "bytes", queries: [{ expr: customMetric("blacklake_database_size", "bytes"), legend: "{{datname}}" }] },
          { title: "Last backup age", unit: "s", queries: [{ expr: "pgbackrest_backup_since_last_completion_seconds", legend: "{{backup_type}} {{repo}}" }] },
        ],
      },
    ],
  };
}
