import { confRepos, confValues, containerCommand, isOn, literalEnv, postmasterOverrides } from "./effective";
import { longestGapHours } from "./schedule";
import { containerPolicy, containersOf, K8S, podSpecOf, resourcePolicy, stackPolicy, where, WORKLOAD_TYPES } from "./lib";
import { PGBACKREST_CONF } from "./platform";
import { commandOf, isPostgres, postgresConfigs, postgresCronJobs, runsBackup } from "./stack";

// PostgreSQL and pgBackRest as they will run: client authentication in pg_hba.conf,
// settings the postmaster's command line overrides, pgBackRest options the command line
// or the environment override, and backup schedules against the retention they feed.

const PG_HBA = "pg_hba.conf";

/** Methods that prove who connects (peer for local sockets, SCRAM or a client certificate over TLS), or refuse. */
const SAFE_LOCAL_METHODS = ["peer", "scram-sha-256", "reject"];
const SAFE_HOST_METHODS = ["scram-sha-256", "cert", "reject"];

const hbaAuth = resourcePolicy({
  name: "platform-postgres-hba-auth",
  description:
    "pg_hba.conf admits TCP connections over TLS only (hostssl) and authenticates every connection (peer for local sockets, scram-sha-256 or cert otherwise): no trust, password, md5 or ident.",
  enforcementLevel: "mandatory",
  types: [K8S.configMap],
  validate: ({ type, name, props }, report) => {
    const text = props.data?.[PG_HBA];
    if (typeof text !== "string") return;
    text.split("\n").forEach((raw, i) => {
      const line = raw.replace(/#.*/, "").trim();
      if (!line) return;
      const fields = line.split(/\s+/);
      const [connection = ""] = fields;
      const at = `${where(type, name, props)}: data["${PG_HBA}"] line ${i + 1} (${line.replace(/\s+/g, " ")})`;
      if (connection === "include" || connection === "include_if_exists" || connection === "include_dir") {
        report(`${at} includes a file the pack cannot read. Render every rule into ${PG_HBA} (components/postgres/pgHba.ts).`);
        return;
      }
      // local: TYPE DATABASE USER METHOD; host*: TYPE DATABASE USER ADDRESS METHOD (or ADDRESS MASK METHOD)
      const method = (connection === "local" ? fields[3] : /^\d+\.\d+\.\d+\.\d+$/.test(fields[4] ?? "") ? fields[5] : fields[4]) ?? "(none)";
      if (connection === "host" || connection === "hostnossl") {
        report(`${at} admits TCP connections without TLS. Use hostssl so passwords and data never cross the network in plain text.`);
      }
      const allowed = connection === "local" ? SAFE_LOCAL_METHODS : SAFE_HOST_METHODS;
      if (!allowed.includes(method)) {
        report(
          `${at} authenticates with ${method}. Use ${allowed.join(", ")}: ${method === "trust" ? "trust lets anyone who reaches the port in as any role" : "it is weaker than SCRAM"}.`,
        );
      }
    });
  },
});

/** Settings whose override on the postmaster's command line would switch off durability, archiving or TLS. */
const POSTMASTER_REQUIRED: Record<string, (value: string) => boolean> = {
  archive_mode: (v) => ["on", "always"].includes(v.toLowerCase()),
  archive_command: (v) => /\bpgbackrest\b/.test(v) && /archive-push/.test(v),
  fsync: isOn,
  full_page_writes: isOn,
  ssl: isOn,
  wal_level: (v) => ["replica", "logical"].includes(v.toLowerCase()),
};

function reportOverrides(text: string, at: string, report: (message: string) => void) {
  for (const [setting, value] of postmasterOverrides(text)) {
    const ok = POSTMASTER_REQUIRED[setting];
    if (ok && !ok(value)) {
      report(`${at} starts PostgreSQL with ${setting}=${value}, which overrides postgresql.conf. Remove the override; set PostgreSQL's settings in the stack config only.`);
    }
  }
}

const postmasterCommandLine = resourcePolicy({
  name: "platform-postgres-command-line",
  description:
    "Nothing on PostgreSQL's command line (`-c name=value` in a container's command or an entrypoint script) turns off archive_mode, fsync, full_page_writes, ssl or WAL archiving through pgBackRest.",
  enforcementLevel: "mandatory",
  types: [K8S.configMap, ...WORKLOAD_TYPES],
  validate: ({ type, name, props }, report) => {
    if (type === K8S.configMap) {
      for (const [key, value] of Object.entries((props.data ?? {}) as Record<string, unknown>)) {
        if (key.endsWith(".sh") && typeof value === "string") reportOverrides(value, `${where(type, name, props)}: data["${key}"]`, report);
      }
      return;
    }
    const pod = podSpecOf(type, props);
    if (!pod) return;
    for (const c of containersOf(pod)) reportOverrides(containerCommand(c.container), `${where(type, name, props)}: container "${c.container.name}" (${c.path})`, report);
  },
});

/** pgBackRest options that pgbackrest.conf owns: retention and encryption per repository. */
const OWNED_OPTION = /--(?:no-)?(repo\d+-(?:cipher-type|cipher-pass|retention-[a-z-]+))\b(?:[= ](\S+))?/g;
const OWNED_ENV = /^PGBACKREST_(REPO\d+_(?:CIPHER_TYPE|RETENTION_[A-Z_]+))$/;

const pgbackrestOverrides = containerPolicy({
  name: "platform-pgbackrest-no-overrides",
  description:
    "No container overrides pgbackrest.conf's retention or encryption on pgBackRest's command line (--repoN-cipher-type, --repoN-retention-*) or in its environment (PGBACKREST_REPON_CIPHER_TYPE, ...).",
  enforcementLevel: "mandatory",
  check: (c, at, report) => {
    const command = containerCommand(c.container);
    if (/\bpgbackrest\b/.test(command)) {
      for (const m of command.matchAll(OWNED_OPTION)) {
        report(
          `${at}: container "${c.container.name}" runs pgBackRest with ${m[0].trim()}, which overrides ${PGBACKREST_CONF}. Remove it; retention and encryption come from the stack config.`,
        );
      }
    }
    for (const e of literalEnv(c.container)) {
      if (OWNED_ENV.test(e.name)) {
        report(`${at}: container "${c.container.name}" sets ${e.name}=${e.value} (${c.path}.env[${e.index}]), which overrides ${PGBACKREST_CONF}. Remove it.`);
      }
    }
  },
});

export const DEFAULT_MAX_FULL_INTERVAL_DAYS = 7;
export const DEFAULT_MAX_BACKUP_INTERVAL_HOURS = 24;

const backupSchedules = stackPolicy({
  name: "stack-backup-schedules-meet-retention",
  description:
    "For every pgBackRest repository, full backups run at least every maxFullIntervalDays (default 7) and within the repository's full retention, and some backup (full, diff or incr) at least every maxBackupIntervalHours (default 24).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      maxFullIntervalDays: { type: "number", minimum: 1, default: DEFAULT_MAX_FULL_INTERVAL_DAYS, description: "Longest gap between two full backups of a repository." },
      maxBackupIntervalHours: {
        type: "number",
        minimum: 1,
        default: DEFAULT_MAX_BACKUP_INTERVAL_HOURS,
        description: "Longest gap between two backups of any type of a repository.",
      },
    },
  },
  validate: ({ resources, getConfig }, report) => {
    const config = getConfig<{ maxFullIntervalDays?: number; maxBackupIntervalHours?: number }>();
    const maxFullDays = config.maxFullIntervalDays ?? DEFAULT_MAX_FULL_INTERVAL_DAYS;
    const maxAnyHours = config.maxBackupIntervalHours ?? DEFAULT_MAX_BACKUP_INTERVAL_HOURS;
    for (const pg of resources.filter(isPostgres)) {
      const conf = postgresConfigs(pg, resources).pgbackrest?.props.data?.[PGBACKREST_CONF];
      if (typeof conf !== "string") continue; // stack-postgres-config-present reports it
      const repos = confRepos(conf);
      const jobs = postgresCronJobs(pg, resources).map((cron) => ({ cron, command: commandOf(cron), gapHours: scheduleGapHours(cron.props.spec?.schedule) }));
      for (const repo of repos) {
        const runs = (type: "full" | "incr" | "diff") => jobs.filter((j) => runsBackup(j.command, type, repo, repos.length <= 1));
        const fullGap = Math.min(...runs("full").map((j) => j.gapHours));
        const anyGap = Math.min(fullGap, ...runs("incr").map((j) => j.gapHours), ...runs("diff").map((j) => j.gapHours));
        const retentionDays = Math.min(
          ...confValues(conf, `repo${repo}-retention-full`)
            .map((v) => Number(v.value))
            .filter(Number.isFinite),
        );
        const fullLimitDays = Math.min(maxFullDays, retentionDays);
        const name = `${where(pg.type, pg.name, pg.props)} repo${repo}`;
        if (!Number.isFinite(fullGap)) continue; // stack-postgres-backup-cronjobs reports a missing schedule
        if (fullGap > fullLimitDays * 24) {
          const job = runs("full").find((j) => j.gapHours === fullGap)!;
          report(
            `${name}: full backups run as rarely as every ${formatHours(fullGap)} (CronJob "${job.cron.props.metadata?.name ?? job.cron.name}" schedule "${job.cron.props.spec?.schedule}"), ` +
              `longer than ${fullLimitDays} days (${retentionDays < maxFullDays ? `repo${repo}-retention-full` : "maxFullIntervalDays"}). Schedule full backups more often (postgres.backups.pgbackrest.repos[].schedules.full).`,
            pg.urn,
          );
        }
        if (anyGap > maxAnyHours) {
          report(
            `${name}: the longest gap between two backups is ${formatHours(anyGap)}, longer than ${maxAnyHours} hours. ` +
              `Schedule incremental backups at least every ${maxAnyHours} hours (postgres.backups.pgbackrest.repos[].schedules.incremental).`,
            pg.urn,
          );
        }
      }
    }
  },
});

const scheduleGapHours = (schedule: unknown) => (typeof schedule === "string" ? longestGapHours(schedule) : Infinity);

const formatHours = (h: number) => (!Number.isFinite(h) ? "never" : h >= 48 ? `${Math.round(h / 24)} days` : `${Math.round(h)} hours`);

export const databasePolicies = [hbaAuth, postmasterCommandLine, pgbackrestOverrides];
export const databaseStackPolicies = [backupSchedules];
