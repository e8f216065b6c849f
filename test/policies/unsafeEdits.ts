import { conf, type Edit, main, type Mutation, one } from "./prodEdits";

// Unsafe edits of the prod stack that spell the setting differently from the known-good
// shape, or undo it elsewhere: an override in another section, on a command line or in
// the environment; a grant on another resource, principal or verb; a second object that
// re-opens what the first one closes. Each must be caught by the named MANDATORY policy,
// and the violation must name the edited resource.
// Over 300 lines because it is a table of edits, one per unsafe change a pull request
// could make.

const cronCommand =
  (name: string, change: (script: string) => string): Edit =>
  (rs) => {
    const c = main(rs, "CronJob", name);
    const last = c.command.length - 1;
    c.command[last] = change(c.command[last]);
  };
const env =
  (kind: string, name: string, ...vars: { name: string; value: string }[]): Edit =>
  (rs) => {
    const c = main(rs, kind, name);
    c.env = [...(c.env ?? []), ...vars];
  };

export const UNSAFE_EDITS: Mutation[] = [
  // ------------------------------------------------------------ effective database settings
  {
    what: "a stanza section turns repo2's cipher off",
    policy: "platform-pgbackrest-encryption",
    mentions: "postgres-config",
    edit: conf("pgbackrest.conf", (t) => t.replace("[blacklake]\n", "[blacklake]\nrepo2-cipher-type=none\n")),
  },
  {
    what: "a stanza section keeps repo1's full backups 1 day",
    policy: "platform-pgbackrest-retention",
    mentions: "postgres-config",
    edit: conf("pgbackrest.conf", (t) => t.replace("[blacklake]\n", "[blacklake]\nrepo1-retention-full=1\n")),
  },
  {
    what: "a [global:backup] section counts repo2's retention",
    policy: "platform-pgbackrest-retention",
    mentions: "postgres-config",
    edit: conf("pgbackrest.conf", (t) => `${t}\n[global:backup]\nrepo2-retention-full-type=count\n`),
  },
  {
    what: "the entrypoint starts PostgreSQL with -c archive_mode=off",
    policy: "platform-postgres-command-line",
    mentions: "postgres-config",
    edit: conf("entrypoint.sh", (t) => t.replace('exec postgres -D "${PGDATA}" "${config[@]}"', 'exec postgres -D "${PGDATA}" "${config[@]}" -c archive_mode=off')),
  },
  {
    what: "the entrypoint's settings array turns fsync off",
    policy: "platform-postgres-command-line",
    mentions: "postgres-config",
    edit: conf("entrypoint.sh", (t) => t.replace('config=(-c "config_file=', 'config=(-c fsync=off -c "config_file=')),
  },
  {
    what: "the entrypoint switches TLS off with -c ssl=off",
    policy: "platform-postgres-command-line",
    mentions: "postgres-config",
    edit: conf("entrypoint.sh", (t) => t.replace('exec postgres -D "${PGDATA}" "${config[@]}"', 'exec postgres -D "${PGDATA}" "${config[@]}" -c \'ssl=off\'')),
  },
  {
    what: "the repo1 full backup is commented out of its CronJob",
    policy: "stack-postgres-backup-cronjobs",
    mentions: "postgres",
    edit: cronCommand("postgres-backup-repo1-full", (s) => s.replace(" && pgbackrest", " # && pgbackrest")),
  },
  {
    what: "the repo2 incremental backup runs only inside an echo's comment",
    policy: "stack-postgres-backup-cronjobs",
    mentions: "postgres",
    edit: cronCommand("postgres-backup-repo2-incr", (s) => `echo skipped #${s}`),
  },
  {
    what: "pg_hba trusts the pod network",
    policy: "platform-postgres-hba-auth",
    mentions: "postgres-config",
    edit: conf("pg_hba.conf", (t) =>
      t.replace("hostssl all          all        0.0.0.0/0  scram-sha-256", "hostssl all all 10.0.0.0/8 trust\nhostssl all all 0.0.0.0/0 scram-sha-256"),
    ),
  },
  {
    what: "pg_hba admits plain TCP (host, not hostssl)",
    policy: "platform-postgres-hba-auth",
    mentions: "postgres-config",
    edit: conf("pg_hba.conf", (t) => t.replace("hostssl all          all ", "host all          all ")),
  },
  {
    what: "pg_hba authenticates replication with md5",
    policy: "platform-postgres-hba-auth",
    mentions: "postgres-config",
    edit: conf("pg_hba.conf", (t) => t.replace("replicator  0.0.0.0/0  scram-sha-256", "replicator  0.0.0.0/0  md5")),
  },
  {
    what: "a backup CronJob overrides repo1's retention on the command line",
    policy: "platform-pgbackrest-no-overrides",
    mentions: "postgres-backup-repo1-full",
    edit: cronCommand("postgres-backup-repo1-full", (s) => s.replace("--repo=1 backup", "--repo=1 --repo1-retention-full=1 backup")),
  },
  {
    what: "the database container turns repo2's cipher off in its environment",
    policy: "platform-pgbackrest-no-overrides",
    mentions: "postgres",
    edit: env("StatefulSet", "postgres", { name: "PGBACKREST_REPO2_CIPHER_TYPE", value: "none" }),
  },
  {
    what: "repo1's full backup moves to the first of the month",
    policy: "stack-backup-schedules-meet-retention",
    mentions: "postgres",
    edit: (rs) => void (one(rs, "CronJob", "postgres-backup-repo1-full").spec.schedule = "0 2 1 * *"),
  },
  {
    what: "repo2's full and incremental backups both run weekly",
    policy: "stack-backup-schedules-meet-retention",
    mentions: "postgres",
    edit: (rs) => {
      one(rs, "CronJob", "postgres-backup-repo2-full").spec.schedule = "30 2 * * 0";
      one(rs, "CronJob", "postgres-backup-repo2-incr").spec.schedule = "30 3 * * 0";
    },
  },
];
