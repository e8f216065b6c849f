import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { MonitoringMixin } from "../../components/lib/mixin";
import { stackMonitoring } from "../../scripts/docs/alerts";
import { alertGroupOf, allAlerts, kubeletScrapeConfigs, podLabelMeta, renderAlertmanagerConfig, renderPrometheusConfig, renderRuleFiles } from "../../components/monitoring/render";
import { BURN_WINDOWS, SLO_WINDOWS, sloErrorRatio, sloMixin, apiSlos } from "../../components/monitoring/slo";
import { MINIO_PROMETHEUS_TOKEN_SECRET } from "../../components/minio/mixin";
import { platformMixin } from "../../components/monitoring/platformAlerts";
import { runStack } from "../harness";

// The prod stack's mixins, as its Prometheus loads them.
let mixins: MonitoringMixin[];
beforeAll(async () => {
  ({ mixins } = await stackMonitoring("prod"));
});
const base = "https://git.example.com/blacklake/platform/blob/main/";

type Job = {
  job_name: string;
  scheme?: string;
  metrics_path: string;
  honor_labels?: boolean;
  authorization?: { type: string; credentials_file: string };
  tls_config?: { ca_file: string };
  kubernetes_sd_configs: { role: string; namespaces?: { names: string[] } }[];
  relabel_configs: { action: string; source_labels?: string[]; regex?: string; target_label?: string }[];
};

function prometheus(extra: Partial<Parameters<typeof renderPrometheusConfig>[0]> = {}) {
  return parse(
    renderPrometheusConfig({
      mixins,
      scrapeInterval: "30s",
      evaluationInterval: "30s",
      alertmanagers: ["alertmanager:9093"],
      ruleFiles: ["/etc/prometheus/rules/*.yml"],
      ...extra,
    }),
  ) as { global: Record<string, string>; rule_files: string[]; alerting: unknown; scrape_configs: Job[] };
}

describe("renderPrometheusConfig", () => {
  it("has one pod-role job per scrape target, in the target's namespace", () => {
    const cfg = prometheus();
    const targets = mixins.flatMap((m) => m.scrapeTargets);
    expect(cfg.scrape_configs.map((j) => j.job_name)).toEqual(targets.map((t) => t.jobName));
    for (const t of targets) {
      const job = cfg.scrape_configs.find((j) => j.job_name === t.jobName)!;
      expect(job.kubernetes_sd_configs).toEqual([{ role: "pod", namespaces: { names: [t.namespace] } }]);
      expect(job.metrics_path).toBe(t.path ?? "/metrics");
      const keeps = job.relabel_configs.filter((r) => r.action === "keep");
      for (const [label, value] of Object.entries(t.podSelector)) {
        expect(keeps).toContainEqual({ action: "keep", source_labels: [podLabelMeta(label)], regex: value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") });
      }
      expect(keeps).toContainEqual({ action: "keep", source_labels: ["__meta_kubernetes_pod_container_port_name"], regex: t.portName });
      expect(job.relabel_configs).toContainEqual({ action: "replace", source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" });
    }
    expect(cfg.global).toEqual({ scrape_interval: "30s", evaluation_interval: "30s" });
    expect(cfg.rule_files).toEqual(["/etc/prometheus/rules/*.yml"]);
  });

  it("sanitizes pod label names as Kubernetes SD does", () => {
    expect(podLabelMeta("app.kubernetes.io/name")).toBe("__meta_kubernetes_pod_label_app_kubernetes_io_name");
  });

  it("scrapes MinIO over https with the bearer token Secret mounted under secretsDir", () => {
    const cfg = prometheus({ secretsDir: "/etc/prometheus/secrets", caFile: "/etc/prometheus/ca/ca.crt" });
    for (const name of ["minio", "minio-node"]) {
      const job = cfg.scrape_configs.find((j) => j.job_name === name)!;
      expect(job.scheme).toBe("https");
      expect(job.tls_config).toEqual({ ca_file: "/etc/prometheus/ca/ca.crt" });
      expect(job.authorization).toEqual({ type: "Bearer", credentials_file: `/etc/prometheus/secrets/${MINIO_PROMETHEUS_TOKEN_SECRET.name}/${MINIO_PROMETHEUS_TOKEN_SECRET.key}` });
    }
    const pg = cfg.scrape_configs.find((j) => j.job_name === "postgres")!;
    expect(pg.scheme).toBeUndefined();
    expect(pg.authorization).toBeUndefined();
  });

  it("honors the labels of kube-state-metrics and cert-manager", () => {
    expect(
      prometheus()
        .scrape_configs.filter((j) => j.honor_labels)
        .map((j) => j.job_name),
    ).toEqual(["kube-state-metrics"]);
    const certManager = { namespace: "cert-manager", podSelector: { "app.kubernetes.io/name": "cert-manager" }, portName: "http-metrics" };
    const cfg = prometheus({
      mixins: [platformMixin({ namespace: "blacklake", api: { namespace: "blacklake", podSelector: {}, portName: "http" }, kubeStateMetrics: certManager, certManager })],
    });
    expect(cfg.scrape_configs.filter((j) => j.honor_labels).map((j) => j.job_name)).toEqual(["kube-state-metrics", "cert-manager"]);
  });

  it("appends extra scrape configs and refuses duplicate job names", () => {
    const cfg = prometheus({ extraScrapeConfigs: kubeletScrapeConfigs() });
    expect(cfg.scrape_configs.slice(-2).map((j) => j.job_name)).toEqual(["kubelet", "cadvisor"]);
    // Each kubelet directly (the node role's address), verified against the cluster CA unless the stack opts out.
    const [kubelet, cadvisor] = kubeletScrapeConfigs() as any[];
    expect(kubelet).toMatchObject({ scheme: "https", metrics_path: "/metrics", tls_config: { ca_file: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt" } });
    expect(cadvisor.metrics_path).toBe("/metrics/cadvisor");
    expect(JSON.stringify(kubeletScrapeConfigs())).not.toMatch(/__address__|proxy/);
    expect((kubeletScrapeConfigs({ verifyTls: false })[0] as any).tls_config).toEqual({ insecure_skip_verify: true });
    expect(() => renderPrometheusConfig({ mixins: [mixins[0]!, mixins[0]!], scrapeInterval: "30s", evaluationInterval: "30s", alertmanagers: [], ruleFiles: [] })).toThrow(
      /two scrape targets/,
    );
  });
});

describe("renderRuleFiles", () => {
  let files: Record<string, string>;
  beforeAll(() => {
    files = renderRuleFiles(mixins, { runbookBaseUrl: base });
  });

  it("writes one file per mixin with its groups", () => {
    expect(Object.keys(files)).toEqual(mixins.map((m) => `${m.name}.rules.yml`));
    for (const m of mixins) {
      const doc = parse(files[`${m.name}.rules.yml`]!) as { groups: { name: string; rules: unknown[] }[] };
      expect(doc.groups.map((g) => g.name)).toEqual(m.ruleGroups.map((g) => g.name));
      expect(doc.groups.map((g) => g.rules.length)).toEqual(m.ruleGroups.map((g) => g.rules.length));
    }
  });

  it("renders summary, description and runbook_url, and an alertgroup label", () => {
    const doc = parse(files["platform.rules.yml"]!) as { groups: { rules: Record<string, unknown>[] }[] };
    const rule = doc.groups.flatMap((g) => g.rules).find((r) => r.alert === "VolumeUsageHigh")!;
    expect(rule.annotations).toEqual({
      summary: expect.stringContaining("80%"),
      description: expect.any(String),
      runbook_url: `${base}docs/runbooks/platform-disk.md`,
    });
    expect(rule.labels).toEqual({ severity: "warning", alertgroup: "VolumeUsage" });
    expect(rule.for).toBe("15m");
  });

  it("groups each critical alert with the warnings it should silence", () => {
    const group = (name: string) => alertGroupOf(allAlerts(mixins).find((a) => a.alert === name)!);
    expect(group("VolumeUsageCritical")).toBe(group("VolumeUsageHigh"));
    expect(group("VolumeFreeSpaceLow")).toBe(group("VolumeUsageHigh"));
    expect(group("ContainerMemoryUsageCritical")).toBe(group("ContainerMemoryUsageHigh"));
    expect(group("MinioDiskUsageCritical")).toBe(group("MinioDiskUsageHigh"));
    expect(group("KeycloakAuthenticationFailuresCritical")).toBe(group("KeycloakAuthenticationFailuresHigh"));
    expect(group("ApiAvailabilityErrorBudgetBurnFast")).toBe(group("ApiAvailabilityErrorBudgetBurnSlow"));
    expect(group("ServiceDown")).not.toBe(group("ApiLatencyHigh"));
  });
});

describe("renderAlertmanagerConfig", () => {
  type AM = {
    global: Record<string, unknown>;
    route: { receiver: string; group_by: string[]; routes: { receiver: string; matchers: string[]; group_wait: string; repeat_interval: string }[] };
    inhibit_rules: unknown[];
    receivers: Record<string, unknown>[];
  };
  const render = (...args: Parameters<typeof renderAlertmanagerConfig>) => parse(renderAlertmanagerConfig(...args)) as AM;

  it("routes critical to the paging receiver quickly and warnings to the other", () => {
    const am = render({ receivers: { critical: { kind: "webhook", url: "https://pager.example.com/x" }, warning: { kind: "none" } } });
    expect(am.route.group_by).toEqual(["alertname", "namespace"]);
    // The Watchdog first, to the heartbeat receiver every minute.
    expect(am.route.routes[0]).toMatchObject({ receiver: "heartbeat", matchers: ['alertname="Watchdog"'], group_wait: "0s", repeat_interval: "1m" });
    expect(am.route.routes[1]).toMatchObject({ receiver: "critical", matchers: ['severity="critical"'], group_wait: "10s", repeat_interval: "1h" });
    expect(am.route.routes[2]).toMatchObject({ receiver: "warning", matchers: ['severity="warning"'] });
    expect(am.receivers).toEqual([
      { name: "critical", webhook_configs: [{ url: "https://pager.example.com/x", send_resolved: true }] },
      { name: "warning" },
      { name: "heartbeat" },
    ]);
    // The same family on the same object (test/integration/alertmanager.test.ts shows it in the real Alertmanager).
    expect(am.inhibit_rules).toEqual([
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: ["namespace", "alertgroup", "instance", "pod", "container", "persistentvolumeclaim", "job_name", "cronjob", "repo"],
      },
    ]);
    expect(am.global.smtp_smarthost).toBeUndefined();
  });

  it("sends e-mail through the smarthost it is given, and refuses e-mail without one", () => {
    const am = render({
      receivers: { critical: { kind: "none" }, warning: { kind: "email", to: "ops@example.com" } },
      smtp: { smarthost: "smtp.example.com:587", from: "alerts@example.com" },
    });
    expect(am.global).toMatchObject({ smtp_smarthost: "smtp.example.com:587", smtp_from: "alerts@example.com", smtp_require_tls: true });
    expect(am.receivers[1]).toEqual({ name: "warning", email_configs: [{ to: "ops@example.com", send_resolved: true }] });
    expect(() => renderAlertmanagerConfig({ receivers: { critical: { kind: "email", to: "a@b.c" }, warning: { kind: "none" } } })).toThrow(/smtp/);
  });
});

describe("SLOs", () => {
  const slos = apiSlos("blacklake");
  const mixin = sloMixin({ namespace: "blacklake" });

  it("are the guide's three, with the workbook's four window pairs", () => {
    expect(slos.map((s) => [s.name, s.objective])).toEqual([
      ["availability", 0.999],
      ["latency", 0.95],
      ["errors", 0.99],
    ]);
    expect(BURN_WINDOWS.map((w) => [w.long, w.short, w.factor, w.severity])).toEqual([
      ["1h", "5m", 14.4, "critical"],
      ["6h", "30m", 6, "critical"],
      ["1d", "2h", 3, "warning"],
      ["3d", "6h", 1, "warning"],
    ]);
  });

  it("record the error ratio of every SLO over every window", () => {
    const records = mixin.ruleGroups[0]!.rules.map((r) => ("record" in r ? r.record : ""));
    for (const slo of slos) for (const w of SLO_WINDOWS) expect(records).toContain(sloErrorRatio(slo, w));
    expect(slos[1]!.errorRatio("1h")).toContain('le="0.5"');
    expect(slos[0]!.errorRatio("1h")).toContain('code=~"5.."');
  });

  it("page on 14.4x over 1h and 5m or 6x over 6h and 30m of the budget", () => {
    const fast = allAlerts([mixin]).find((a) => a.alert === "ApiAvailabilityErrorBudgetBurnFast")!;
    expect(fast.labels.severity).toBe("critical");
    expect(fast.expr).toBe(
      '(blacklake:slo_availability_errors:ratio_rate1h{namespace="blacklake"} > 0.0144 and blacklake:slo_availability_errors:ratio_rate5m{namespace="blacklake"} > 0.0144) or ' +
        '(blacklake:slo_availability_errors:ratio_rate6h{namespace="blacklake"} > 0.006 and blacklake:slo_availability_errors:ratio_rate30m{namespace="blacklake"} > 0.006)',
    );
    const slow = allAlerts([mixin]).find((a) => a.alert === "ApiLatencyErrorBudgetBurnSlow")!;
    expect(slow.labels.severity).toBe("warning");
    expect(slow.expr).toContain('ratio_rate1d{namespace="blacklake"} > 0.15 and');
    expect(slow.expr).toContain('ratio_rate3d{namespace="blacklake"} > 0.05 and');
  });
});

describe("Prometheus' cluster-wide rights", () => {
  it("reads the kubelets' metrics with nodes/metrics, never nodes/proxy (which reaches every kubelet API, exec included)", async () => {
    const run = await runStack("prod");
    const role = run.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "blacklake-prometheus").inputs as { rules: { resources: string[]; verbs: string[] }[] };
    const resources = role.rules.flatMap((r) => r.resources);
    expect(resources).toContain("nodes/metrics");
    expect(resources).not.toContain("nodes/proxy");
  });
});
