import type { MonitoringMixin } from "../lib/mixin";

// The job-queue alerts of the operations guide: queue depth > 100, dead letters present,
// Redis cache hit ratio < 80%, and Redis itself down or out of memory.

export const QUEUE_KEY_PATTERN = "queue:*";
export const DEAD_LETTER_KEY_PATTERN = "dlq:*";
export const REDIS_JOB = "redis";
/** Below this many key lookups per second (5-minute average) the hit ratio is not judged: 300 lookups in 5 minutes. */
export const REDIS_MIN_LOOKUPS_PER_SECOND = 1;

export function redisMixin(o: { namespace: string; podSelector: Record<string, string> }): MonitoringMixin {
  const sel = `job="${REDIS_JOB}", namespace="${o.namespace}"`;
  const runbook = "docs/runbooks/redis.md";
  return {
    name: "redis",
    scrapeTargets: [{ jobName: REDIS_JOB, namespace: o.namespace, podSelector: o.podSelector, portName: "metrics" }],
    ruleGroups: [
      {
        name: "redis.recording",
        rules: [
          {
            record: "blacklake:redis_lookups:rate5m",
            expr: `sum by (namespace) (rate(redis_keyspace_hits_total{${sel}}[5m]) + rate(redis_keyspace_misses_total{${sel}}[5m]))`,
          },
          {
            // No lookups: no ratio (NaN), rather than a ratio of 0 that reads as "every lookup missed".
            record: "blacklake:redis_hit_ratio:rate5m",
            expr: `sum by (namespace) (rate(redis_keyspace_hits_total{${sel}}[5m])) / sum by (namespace) (rate(redis_keyspace_hits_total{${sel}}[5m]) + rate(redis_keyspace_misses_total{${sel}}[5m]))`,
          },
          // Every replica's exporter reports the same keys: a key counts once, at its largest.
          {
            record: "blacklake:job_queue_depth:sum",
            expr: `sum by (namespace) (max by (namespace, key) (redis_key_size{${sel}, key=~"queue:.*"}))`,
          },
          {
            record: "blacklake:dead_letter_depth:sum",
            expr: `sum by (namespace) (max by (namespace, key) (redis_key_size{${sel}, key=~"dlq:.*"}))`,
          },
        ],
      },
      {
        name: "redis.alerts",
        rules: [
          {
            alert: "RedisDown",
            expr: `redis_up{${sel}} == 0`,
            for: "1m",
            labels: { severity: "critical" },
            annotations: { summary: "Redis {{ $labels.instance }} is down", description: "The exporter cannot reach Redis on {{ $labels.instance }}.", runbook },
          },
          {
            alert: "RedisMemoryNearLimit",
            expr: `redis_memory_used_bytes{${sel}} / redis_memory_max_bytes{${sel}} > 0.9 and redis_memory_max_bytes{${sel}} > 0`,
            for: "5m",
            labels: { severity: "critical" },
            annotations: {
              summary: "Redis {{ $labels.instance }} uses more than 90% of maxmemory",
              description: "{{ $value | humanizePercentage }} of maxmemory is used; with noeviction, new jobs are refused at 100%.",
              runbook,
            },
          },
          {
            alert: "JobQueueDepthHigh",
            expr: `blacklake:job_queue_depth:sum{namespace="${o.namespace}"} > 100`,
            for: "5m",
            labels: { severity: "warning" },
            annotations: { summary: "More than 100 jobs are waiting", description: "{{ $value }} jobs are queued; workers are not keeping up.", runbook },
          },
          {
            alert: "DeadLetterQueueNotEmpty",
            expr: `blacklake:dead_letter_depth:sum{namespace="${o.namespace}"} > 0`,
            for: "5m",
            labels: { severity: "warning" },
            annotations: { summary: "Jobs are in the dead-letter queue", description: "{{ $value }} jobs failed permanently and wait for an operator.", runbook },
          },
          {
            alert: "RedisCacheHitRatioLow",
            // A ratio over a handful of lookups says nothing: only with real traffic.
            expr: `blacklake:redis_hit_ratio:rate5m{namespace="${o.namespace}"} < 0.8 and on (namespace) blacklake:redis_lookups:rate5m{namespace="${o.namespace}"} >= ${REDIS_MIN_LOOKUPS_PER_SECOND}`,
            for: "15m",
            labels: { severity: "warning" },
            annotations: { summary: "Redis cache hit ratio below 80%", description: "Only {{ $value | humanizePercentage }} of key lookups hit.", runbook },
          },
        ],
      },
    ],
    dashboards: [
      {
        uid: "blacklake-jobs",
        title: "Jobs",
        panels: [
          { title: "Queue depth", queries: [{ expr: "blacklake:job_queue_depth:sum", legend: "queued" }] },
          { title: "Dead letters", queries: [{ expr: "blacklake:dead_letter_depth:sum", legend: "dead letters" }] },
          { title: "Redis hit ratio", unit: "percentunit", queries: [{ expr: "blacklake:redis_hit_ratio:rate5m" }] },
          { title: "Redis memory used / max", unit: "percentunit", queries: [{ expr: "redis_memory_used_bytes / redis_memory_max_bytes", legend: "{{instance}}" }] },
        ],
      },
    ],
  };
}
