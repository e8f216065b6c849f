import { parse as parseYaml } from "yaml";
import { confRepos, confValues, type OptionAt } from "./effective";
import { K8S, labelsOf, metadataName, parsePostgresqlConf, postgresSeconds, type Props, resourcePolicy, type ResourcePolicy, where } from "./lib";

// BlackLake's own operational rules, checked on the rendered config files that the
// components put into ConfigMaps: PostgreSQL WAL archiving and pgBackRest retention,
// the backup CronJobs, and the Prometheus alert rules.

export const POSTGRES_CONF = "postgresql.conf";
export const PGBACKREST_CONF = "pgbackrest.conf";
export const DEFAULT_RPO_SECONDS = 900;
export const DEFAULT_RETENTION_DAYS = 30;

const confOf = (props: Props, key: string): string | undefined => {
  const value = props.data?.[key];
  return typeof value === "string" ? value : undefined;
};

const archiveMode = resourcePolicy({
  name: "platform-postgres-archive-mode",
  description: "Every ConfigMap carrying a postgresql.conf turns WAL archiving on (archive_mode = 'on' or 'always').",
  enforcementLevel: "mandatory",
  types: [K8S.configMap],
  validate: ({ type, name, props }, report) => {
    const conf = confOf(props, POSTGRES_CONF);
    if (conf === undefined) return;
    const mode = parsePostgresqlConf(conf).get("archive_mode");
    if (mode !== "on" && mode !== "always") {
      report(
        `${where(type, name, props)}: data["${POSTGRES_CONF}"] sets archive_mode = ${mode ?? "(unset, off)"}; point-in-time recovery is impossible without WAL archiving. ` +
          `Render archive_mode = 'on' (components/postgres/postgresqlConf.ts).`,
      );
    }
  },
});

const archiveCommand = resourcePolicy({
  name: "platform-postgres-archive-command",
  description: "postgresql.conf archives WAL through pgBackRest (archive_command runs `pgbackrest ... archive-push %p`).",
  enforcementLevel: "mandatory",
  types: [K8S.configMap],
  validate: ({ type, name, props }, report) => {
    const conf = confOf(props, POSTGRES_CONF);
    if (conf === undefined) return;
    const command = parsePostgresqlConf(conf).get("archive_command") ?? "";
    if (!/\bpgbackrest\b/.test(command) || !/archive-push\s+%p/.test(command)) {
      report(
        `${where(type, name, props)}: data["${POSTGRES_CONF}"] archive_command is ${command ? `'${command}'` : "unset"}, which does not push WAL through pgBackRest. ` +
          `Render archive_command = 'pgbackrest --stanza=<stanza> archive-push %p'.`,
      );
    }
  },
});

const archiveTimeout = resourcePolicy({
  name: "platform-postgres-archive-timeout",
  description: "postgresql.conf archive_timeout is set and at most the stack's RPO (seconds, default 900).",
  enforcementLevel: "mandatory",
  types: [K8S.configMap],
  configSchema: {
    properties: {
      rpoSeconds: { type: "integer", minimum: 1, default: DEFAULT_RPO_SECONDS, description: "Recovery point objective: longest tolerated gap between WAL archives." },
    },
  },
  validate: ({ type, name, props, getConfig }, report) => {
    const conf = confOf(props, POSTGRES_CONF);
    if (conf === undefined) return;
    const rpo = getConfig<{ rpoSeconds?: number }>().rpoSeconds ?? DEFAULT_RPO_SECONDS;
    const raw = parsePostgresqlConf(conf).get("archive_timeout");
    const seconds = raw === undefined ? undefined : postgresSeconds(raw);
    if (seconds === undefined || seconds <= 0 || seconds > rpo) {
      report(
        `${where(type, name, props)}: data["${POSTGRES_CONF}"] archive_timeout is ${raw ?? "unset (0, never forces a switch)"}, above the RPO of ${rpo}s. ` +
          `Set archive_timeout to at most ${rpo} (seconds) so an idle database still archives within the RPO.`,
      );
    }
  },
});

const retention = resourcePolicy({
  name: "platform-pgbackrest-retention",
  description: "pgbackrest.conf keeps full backups by time (repoN-retention-full-type=time) for at least minRetentionFullDays (default 30) on every repository.",
  enforcementLevel: "mandatory",
  types: [K8S.configMap],
  configSchema: {
    properties: {
      minRetentionFullDays: {
        type: "integer",
        minimum: 1,
        default: DEFAULT_RETENTION_DAYS,
        description: "Smallest allowed repoN-retention-full (days).",
      },
    },
  },
  validate: ({ type, name, props, getConfig }, report) => {
    const conf = confOf(props, PGBACKREST_CONF);
    if (conf === undefined) return;
    const minDays = getConfig<{ minRetentionFullDays?: number }>().minRetentionFullDays ?? DEFAULT_RETENTION_DAYS;
    const repos = confRepos(conf);
    const at = `${where(type, name, props)}: data["${PGBACKREST_CONF}"]`;
    if (repos.length === 0) report(`${at} configures no repository. Configure repo1 with retention-full-type=time and retention-full >= ${minDays}.`);
    for (const n of repos) {
      // Every section that sets the option is a value some stanza or command runs with.
      const kinds = withGlobalDefault(confValues(conf, `repo${n}-retention-full-type`), "unset (count)");
      for (const kind of kinds.filter((k) => k.value !== "time")) {
        report(`${at} ${kind.where} repo${n}-retention-full-type is ${kind.value}. Set repo${n}-retention-full-type=time (in [global] only) so retention is measured in days.`);
      }
      for (const full of withGlobalDefault(confValues(conf, `repo${n}-retention-full`), "unset")) {
        const days = Number(full.value);
        if (!Number.isFinite(days) || days < minDays) {
          report(
            `${at} ${full.where} repo${n}-retention-full is ${full.value}, below the required ${minDays} days. ` +
              `Raise retention.fullDays for ${`repo${n}`} in the stack config to at least ${minDays}, and set it in [global] only.`,
          );
        }
      }
    }
  },
});

/** The values of an option, with [global]'s absence as a value of its own (the default applies there). */
function withGlobalDefault(values: OptionAt[], unset: string): OptionAt[] {
  return values.some((v) => v.where === "[global]") ? values : [{ value: unset, where: "[global]" }, ...values];
}

const encryption = resourcePolicy({
  name: "platform-pgbackrest-encryption",
  description: "Every pgBackRest repository encrypts its backups (repoN-cipher-type=aes-256-cbc in [global], and no section sets another).",
  enforcementLevel: "mandatory",
  types: [K8S.configMap],
  validate: ({ type, name, props }, report) => {
    const conf = confOf(props, PGBACKREST_CONF);
    if (conf === undefined) return;
    for (const n of confRepos(conf)) {
      for (const cipher of withGlobalDefault(confValues(conf, `repo${n}-cipher-type`), "unset (none)").filter((c) => c.value !== "aes-256-cbc")) {
        report(
          `${where(type, name, props)}: data["${PGBACKREST_CONF}"] ${cipher.where} repo${n}-cipher-type is ${cipher.value}. ` +
            `Set repo${n}-cipher-type=aes-256-cbc (in [global] only), with the passphrase from a Secret (PGBACKREST_REPO${n}_CIPHER_PASS).`,
        );
      }
    }
  },
});

const backupJobsActive = resourcePolicy({
  name: "platform-backup-cronjobs-active",
  description: "Backup and restore-drill CronJobs are not suspended.",
  enforcementLevel: "mandatory",
  types: [K8S.cronJob],
  validate: ({ type, name, props }, report) => {
    const component = labelsOf(props)["app.kubernetes.io/component"];
    if (component !== "backup" && component !== "restore-drill") return;
    if (props.spec?.suspend === true) {
      report(`${where(type, name, props)}: spec.suspend is true, so this ${component} job never runs. Remove spec.suspend (or set it to false).`);
    }
  },
});

/** ConfigMaps that hold Prometheus rule files. */
export const isRulesConfigMap = (name: string, props: Props) =>
  metadataName(props, name) === "prometheus-rules" || Object.keys(props.data ?? {}).some((k) => /\.rules\.ya?ml$/.test(k));

interface AlertRule {
  alert: string;
  file: string;
  path: string;
  rule: Props;
}

/** Every alerting rule in a rules ConfigMap, with its field path; unparsable files are reported as such. */
export function alertRules(props: Props): { rules: AlertRule[]; errors: string[] } {
  const rules: AlertRule[] = [];
  const errors: string[] = [];
  for (const [file, text] of Object.entries((props.data ?? {}) as Record<string, string>)) {
    if (!/\.ya?ml$/.test(file)) continue;
    let doc: Props;
    try {
      doc = parseYaml(text) ?? {};
    } catch (e) {
      errors.push(`data["${file}"] is not valid YAML (${(e as Error).message.split("\n")[0]})`);
      continue;
    }
    ((doc.groups ?? []) as Props[]).forEach((group, g) => {
      ((group.rules ?? []) as Props[]).forEach((rule, r) => {
        if (rule.alert) rules.push({ alert: rule.alert, file, rule, path: `data["${file}"] groups[${g}] (${group.name}).rules[${r}]` });
      });
    });
  }
  return { rules, errors };
}

const REQUIRED_ANNOTATIONS = ["summary", "description", "runbook_url"];
const alertAnnotations = resourcePolicy({
  name: "platform-alert-rule-metadata",
  description: "Every Prometheus alert rule has labels.severity and annotations summary, description and runbook_url.",
  enforcementLevel: "mandatory",
  types: [K8S.configMap],
  validate: ({ type, name, props }, report) => {
    if (!isRulesConfigMap(name, props)) return;
    const { rules, errors } = alertRules(props);
    for (const error of errors) report(`${where(type, name, props)}: ${error}. Fix the rule file so Prometheus can load it.`);
    for (const { alert, path, rule } of rules) {
      const missing = [...(rule.labels?.severity ? [] : ["labels.severity"]), ...REQUIRED_ANNOTATIONS.filter((a) => !rule.annotations?.[a]).map((a) => `annotations.${a}`)];
      if (missing.length > 0) {
        report(
          `${where(type, name, props)}: alert ${alert} at ${path} lacks ${missing.join(", ")}. ` +
            `Give every alert a severity label and summary, description and runbook_url annotations (components/lib/mixin.ts).`,
        );
      }
    }
  },
});

const DEFAULT_SEVERITIES = ["critical", "warning", "info"];
const alertSeverity = resourcePolicy({
  name: "platform-alert-severity-routable",
  description: "Alert severities are ones Alertmanager routes (critical, warning, info by default).",
  enforcementLevel: "mandatory",
  types: [K8S.configMap],
  configSchema: {
    properties: {
      severities: { type: "array", items: { type: "string" }, default: DEFAULT_SEVERITIES, description: "Severities the Alertmanager routes." },
    },
  },
  validate: ({ type, name, props, getConfig }, report) => {
    if (!isRulesConfigMap(name, props)) return;
    const severities = getConfig<{ severities?: string[] }>().severities ?? DEFAULT_SEVERITIES;
    for (const { alert, path, rule } of alertRules(props).rules) {
      const severity = rule.labels?.severity;
      if (severity !== undefined && !severities.includes(severity)) {
        report(`${where(type, name, props)}: alert ${alert} at ${path} has labels.severity "${severity}", which no receiver routes. ` + `Use one of ${severities.join(", ")}.`);
      }
    }
  },
});

export const platformPolicies: ResourcePolicy[] = [archiveMode, archiveCommand, archiveTimeout, retention, encryption, backupJobsActive, alertAnnotations, alertSeverity];
