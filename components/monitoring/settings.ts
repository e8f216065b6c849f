import { z } from "zod";
import { binaryUnitBytes, parseQuantity } from "../lib/quantity";
import { computeResources, email, httpsUrl, boundedCount, promDuration, storage, strictSection } from "../lib/settings";

// Prometheus, Alertmanager and Grafana settings, and where alerts go.

const PROMETHEUS_RETENTION_SHARE = 0.85;
/** A Prometheus size in bytes: its units are powers of 1024 ("42GB" is 42 GiB). */
const prometheusBytes = (size: string) => binaryUnitBytes(size, ["KB", "MB", "GB", "TB"]);

const receiver = z.discriminatedUnion(
  "kind",
  [strictSection({ kind: z.literal("webhook"), url: httpsUrl }), strictSection({ kind: z.literal("email"), to: email }), strictSection({ kind: z.literal("none") })],
  { error: 'expected a receiver { kind: "webhook", url } or { kind: "email", to } or { kind: "none" }' },
);

export const monitoringSettings = strictSection({
  prometheus: strictSection({
    retention: promDuration.default("15d").describe("Keep samples this long."),
    retentionSize: z
      .string()
      .regex(/^[1-9][0-9]*(KB|MB|GB|TB)$/, { message: 'expected a Prometheus size such as "42GB"' })
      .default("42GB")
      .describe("Delete the oldest blocks beyond this size (units of 1024); at most 85% of storage.size, which compaction and the WAL need beyond it."),
    scrapeInterval: promDuration.default("30s"),
    replicas: z
      .number()
      .int()
      .min(1)
      .max(3)
      .default(1)
      .describe("Identical Prometheus servers, each scraping everything and alerting; Alertmanager sends their alerts once. 2 for HA."),
    storage: storage("50Gi"),
    resources: computeResources.prefault("large"),
    kubeletTlsVerify: z
      .boolean()
      .default(true)
      .describe(
        "Verify the kubelets' serving certificates against the cluster CA when scraping them (they must be signed by it, e.g. serverTLSBootstrap). false: encrypted but unverified, for kubelets with self-signed certificates; a node impersonator could then read Prometheus' token.",
      ),
  }).prefault({}),
  alertmanager: strictSection({
    replicas: boundedCount("a replica count", 7).default(3),
    resources: computeResources.prefault("nano"),
  }).prefault({}),
  grafana: strictSection({
    anonymousAccess: z.boolean().default(false),
    resources: computeResources.prefault("small"),
  }).prefault({}),
  runbookBaseUrl: httpsUrl
    .default("https://git.blacklake.example.com/platform/blob/main/")
    .describe("Where the repository's docs/runbooks are browsable; alerts' runbook_url starts with it."),
  receivers: strictSection({
    critical: receiver.default({ kind: "none" }).describe("Pages: critical alerts go here."),
    warning: receiver.default({ kind: "none" }).describe("Chat or e-mail: warnings go here."),
    heartbeat: receiver
      .default({ kind: "none" })
      .describe("The dead man's switch: the always-firing Watchdog alert is sent here every minute; a service outside the cluster pages when it stops arriving."),
  }).prefault({}),
  smtp: strictSection({
    smarthost: z
      .string()
      .regex(/^[a-z0-9.-]+:[0-9]{1,5}$/, { message: 'expected "host:port" such as "smtp.example.com:587"' })
      .describe("The mail relay Alertmanager sends through (STARTTLS required)."),
    from: email.describe("The sender address of alert mail."),
    authUsername: z.string().min(1).optional(),
    authPassword: z.string().min(1).optional().describe("Set it with `pulumi config set --secret`."),
  })
    .optional()
    .describe("Needed when a receiver is an e-mail address."),
})
  .superRefine((m, ctx) => {
    // retention.size counts blocks, WAL and the head's chunks; compaction writes a new block
    // before it deletes the old ones, so the volume needs headroom beyond it.
    const volume = parseQuantity(m.prometheus.storage.size) ?? 0;
    if (prometheusBytes(m.prometheus.retentionSize) > volume * PROMETHEUS_RETENTION_SHARE) {
      ctx.addIssue({
        code: "custom",
        path: ["prometheus", "retentionSize"],
        params: { value: m.prometheus.retentionSize },
        message: `expected at most ${Math.floor((volume * PROMETHEUS_RETENTION_SHARE) / 1024 ** 3)}GB, ${PROMETHEUS_RETENTION_SHARE * 100}% of prometheus.storage.size (${m.prometheus.storage.size}): compaction and the WAL need the rest`,
      });
    }
    const mailed = Object.entries(m.receivers)
      .filter(([, r]) => r.kind === "email")
      .map(([name]) => name);
    if (mailed.length > 0 && !m.smtp) {
      ctx.addIssue({
        code: "custom",
        path: ["smtp"],
        message: `expected { smarthost, from } because ${mailed.map((r) => `receivers.${r}`).join(" and ")} ${mailed.length > 1 ? "send" : "sends"} e-mail`,
      });
    }
  })
  .prefault({});

export type MonitoringSettings = z.output<typeof monitoringSettings>;

/** The images monitoring runs unless the stack pins others. */
export const MONITORING_DEFAULT_IMAGES = {
  prometheus: "quay.io/prometheus/prometheus:v3.4.1",
  alertmanager: "quay.io/prometheus/alertmanager:v0.28.1",
  grafana: "docker.io/grafana/grafana:12.0.2",
  kubeStateMetrics: "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.15.0",
} as const;
