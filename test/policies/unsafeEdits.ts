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

/** Edits a JSON policy document held in `field` of the one resource of that kind and name. */
const doc =
  (kind: string, name: string, field: string, change: (d: any) => void): Edit =>
  (rs) => {
    const inputs = one(rs, kind, name);
    const parsed = JSON.parse(inputs[field]);
    change(parsed);
    inputs[field] = JSON.stringify(parsed);
  };
const allow = (Action: string | string[], Resource: string | string[] = "*") => ({ Effect: "Allow", Action, Resource });
const withoutSid = (sid: string) => (d: any) => {
  const before = d.Statement.length;
  d.Statement = d.Statement.filter((st: { Sid?: string }) => st.Sid !== sid);
  if (d.Statement.length === before) throw new Error(`no statement ${sid}`);
};
const BUCKET_ARN = "arn:aws:s3:::blacklake-offsite-backups";

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
  // ------------------------------------------------------------ IAM, KMS and bucket policies
  {
    what: "the pgBackRest role may pass roles",
    policy: "aws-iam-no-privilege-escalation",
    mentions: "offsite-pgbackrest",
    edit: doc("RolePolicy", "offsite-pgbackrest", "policy", (d) => d.Statement.push(allow("iam:PassRole", "arn:aws:iam::111122223333:role/*"))),
  },
  {
    what: "the mirror user may mint access keys for any user",
    policy: "aws-iam-no-privilege-escalation",
    mentions: "offsite-minio-mirror",
    edit: doc("UserPolicy", "offsite-minio-mirror", "policy", (d) => d.Statement.push(allow("iam:Create*", "arn:aws:iam::111122223333:user/*"))),
  },
  {
    what: "the pgBackRest role may rewrite its own inline policy",
    policy: "aws-iam-no-privilege-escalation",
    mentions: "offsite-pgbackrest",
    edit: doc("RolePolicy", "offsite-pgbackrest", "policy", (d) => d.Statement.push(allow(["iam:putrolepolicy"], "arn:aws:iam::111122223333:role/blacklake/*"))),
  },
  {
    what: "the pgBackRest role may assume any role",
    policy: "aws-iam-no-privilege-escalation",
    mentions: "offsite-pgbackrest",
    edit: doc("RolePolicy", "offsite-pgbackrest", "policy", (d) => d.Statement.push(allow("sts:AssumeRole"))),
  },
  {
    what: "the pgBackRest role gets s3:* on the backup bucket only",
    policy: "aws-iam-no-wildcard-admin",
    mentions: "offsite-pgbackrest",
    edit: doc("RolePolicy", "offsite-pgbackrest", "policy", (d) => d.Statement.push(allow("s3:*", [BUCKET_ARN, `${BUCKET_ARN}/*`]))),
  },
  {
    what: "the replication role gets every KMS action on one key",
    policy: "aws-iam-no-wildcard-admin",
    mentions: "offsite-replication",
    edit: doc("RolePolicy", "offsite-replication", "policy", (d) => d.Statement.push(allow("kms:*", "arn:aws:kms:eu-west-1:111122223333:key/k"))),
  },
  {
    what: "the replication role trusts any principal",
    policy: "aws-iam-trust-policy",
    mentions: "offsite-replication",
    edit: doc("Role", "offsite-replication", "assumeRolePolicy", (d) => (d.Statement[0].Principal = "*")),
  },
  {
    what: "the replication role trusts every principal of another account",
    policy: "aws-iam-trust-policy",
    mentions: "offsite-replication",
    edit: doc("Role", "offsite-replication", "assumeRolePolicy", (d) =>
      d.Statement.push({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::444455556666:root" }, Action: "sts:AssumeRole" }),
    ),
  },
  {
    what: "the replication role trusts everyone but one service (NotPrincipal)",
    policy: "aws-iam-trust-policy",
    mentions: "offsite-replication",
    edit: doc("Role", "offsite-replication", "assumeRolePolicy", (d) => {
      d.Statement[0].NotPrincipal = { Service: "ec2.amazonaws.com" };
      delete d.Statement[0].Principal;
    }),
  },
  {
    what: "the backup key lets any principal decrypt",
    policy: "aws-kms-key-policy",
    mentions: "offsite-key",
    edit: (rs) =>
      void (one(rs, "Key", "offsite-key").policy = JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: ["kms:Decrypt"], Resource: "*" }],
      })),
  },
  {
    what: "the replica key lets a role rewrite its policy",
    policy: "aws-kms-key-policy",
    mentions: "offsite-replica-key",
    edit: (rs) =>
      void (one(rs, "Key", "offsite-replica-key").policy = JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:role/blacklake/ci-deploy" }, Action: "kms:*", Resource: "*" }],
      })),
  },
  {
    what: "the backup bucket policy loses its TLS deny",
    policy: "aws-s3-bucket-policy",
    mentions: "offsite-policy",
    edit: doc("BucketPolicy", "offsite-policy", "policy", withoutSid("DenyInsecureTransport")),
  },
  {
    what: "the replica bucket policy allows anyone to read",
    policy: "aws-s3-bucket-policy",
    mentions: "offsite-replica-policy",
    edit: doc("BucketPolicy", "offsite-replica-policy", "policy", (d) => d.Statement.push({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" })),
  },
  {
    what: "the backup bucket policy loses its deny of principals outside the platform",
    policy: "aws-s3-bucket-policy-present",
    mentions: "offsite-bucket",
    edit: doc("BucketPolicy", "offsite-policy", "policy", withoutSid("DenyOutsidePlatform")),
  },
  {
    what: "the replica bucket's policy is deleted",
    policy: "aws-s3-bucket-policy-present",
    mentions: "offsite-replica-bucket",
    edit: (rs) => rs.filter((r) => !(r.type === "aws:s3/bucketPolicy:BucketPolicy" && r.name === "offsite-replica-policy")),
  },
];
