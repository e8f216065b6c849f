// The local stack's monitoring: Prometheus on static targets, Alertmanager alone, Grafana.

import * as pulumi from "@pulumi/pulumi";
import { SERVICES } from "../../components/lib/names";
import { KEYCLOAK_MANAGEMENT_PORT } from "../../components/keycloak/files";
import { MINIO_API_PORT, minioPrometheusTokenFiles } from "../../components/minio/files";
import { MINIO_PROMETHEUS_TOKEN_SECRET } from "../../components/minio/mixin";
import { PROMETHEUS_CONSUMER } from "../../components/minio/policies";
import {
  ALERTMANAGER_PORT,
  alertmanagerConfigFiles,
  GRAFANA_PORT,
  grafanaDashboardFiles,
  grafanaProvisioningFiles,
  PROMETHEUS_PORT,
  prometheusConfigFiles,
  prometheusRuleFiles,
} from "../../components/monitoring/files";
import { alertmanagerContainer } from "../../components/monitoring/alertmanager";
import { grafanaContainer } from "../../components/monitoring/grafana";
import { prometheusContainer } from "../../components/monitoring/prometheus";
import { REDIS_EXPORTER_PORT } from "../../components/redis/containers";
import { pgbackrestExporterPort, POSTGRES_EXPORTER_PORT } from "../../components/postgres/containers";
import { pgbackrestJob } from "../../components/postgres/mixin";
import { fromSpec } from "./container";
import { localMixins } from "./mixins";
import { localScrapeTargets } from "./scrapeTargets";
import type { LocalContext, Database, Store } from "./context";

/** Prometheus, Alertmanager, Grafana. */
export function localMonitoring(ctx: LocalContext, d: { database: Database; store: Store }) {
  const { config, ns, local, image, password, run } = ctx;
  const { repos } = d.database;
  const { keysOf } = d.store;
  const m = config.monitoring;
  const mixins = localMixins({
    instance: ns,
    postgresRepos: repos.map((r) => ({ index: r.index, schedules: r.schedules })),
    replicationLagAlertSeconds: config.postgres.replicationLagAlertSeconds,
    rpo: { rpoSeconds: config.postgres.rpoSeconds, archiveTimeoutSeconds: config.postgres.archiveTimeoutSeconds },
    restoreDrill: false,
    keycloak: config.keycloak.enabled,
  });
  const scrapeTargets = localScrapeTargets(ns, {
    api: config.api.enabled ? { host: SERVICES.api, port: config.api.port } : "absent",
    "kube-state-metrics": "absent",
    prometheus: { host: "prometheus", port: PROMETHEUS_PORT },
    alertmanager: { host: "alertmanager", port: ALERTMANAGER_PORT },
    postgres: { host: "postgres-exporter", port: POSTGRES_EXPORTER_PORT },
    ...Object.fromEntries(repos.map((r) => [pgbackrestJob(r.index), { host: `pgbackrest-exporter-repo${r.index}`, port: pgbackrestExporterPort(r.index) }])),
    redis: { host: "redis-exporter", port: REDIS_EXPORTER_PORT },
    minio: { host: SERVICES.minio, port: MINIO_API_PORT },
    "minio-node": { host: SERVICES.minio, port: MINIO_API_PORT },
    ...(config.keycloak.enabled ? { keycloak: { host: SERVICES.keycloak, port: KEYCLOAK_MANAGEMENT_PORT } } : {}),
  });
  const promFiles = prometheusConfigFiles(m, mixins, {
    instance: ns,
    alertmanagers: [`alertmanager:${ALERTMANAGER_PORT}`],
    discovery: { kind: "static", targets: scrapeTargets },
  });
  const scrapeUser = keysOf(PROMETHEUS_CONSUMER);
  const minioToken = pulumi.all([scrapeUser.accessKey, scrapeUser.secretKey]).apply(([a, s]) => minioPrometheusTokenFiles(a, s));
  run({
    ...fromSpec(
      "prometheus",
      prometheusContainer(m, image(config.images.prometheus), {
        files: { config: promFiles, rules: prometheusRuleFiles(m, mixins) },
        ca: false,
        scrapeSecrets: [
          { name: MINIO_PROMETHEUS_TOKEN_SECRET.name, files: { [MINIO_PROMETHEUS_TOKEN_SECRET.key]: minioToken.apply((f) => f[MINIO_PROMETHEUS_TOKEN_SECRET.key]) } },
        ],
      }),
    ),
    ports: [{ internal: PROMETHEUS_PORT, external: local.ports.prometheus }],
  });
  run({
    // One instance: no gossip cluster.
    ...fromSpec("alertmanager", alertmanagerContainer(image(config.images.alertmanager), { listen: "", peers: [] }, alertmanagerConfigFiles(m))),
    ports: [{ internal: ALERTMANAGER_PORT, external: local.ports.alertmanager }],
  });
  const grafanaAdminPassword = password("grafana-admin");
  run({
    ...fromSpec(
      "grafana",
      grafanaContainer(m, image(config.images.grafana), { username: "admin", password: grafanaAdminPassword }, ctx.urls.grafana, {
        provisioning: grafanaProvisioningFiles(`http://prometheus:${PROMETHEUS_PORT}`),
        dashboards: grafanaDashboardFiles(mixins),
      }),
    ),
    ports: [{ internal: GRAFANA_PORT, external: local.ports.grafana }],
  });

  return { mixins, grafanaAdminPassword };
}
