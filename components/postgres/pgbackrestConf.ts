import { RENDERED_HEADER, yesNo } from "../lib/confFile";

// pgbackrest.conf from typed options. Secrets never appear here: the cipher passphrase
// and S3 keys reach pgBackRest as PGBACKREST_REPO<n>_* environment variables from a
// Kubernetes Secret, so this file can live in a ConfigMap.

export type RepoStorage =
  | { type: "posix"; path: string }
  | {
      type: "s3";
      bucket: string;
      endpoint: string;
      region: string;
      /** Path inside the bucket. */
      path: string;
      port?: number;
      /** MinIO serves buckets by path; AWS by virtual host. */
      uriStyle: "path" | "host";
      verifyTls: boolean;
      /** CA bundle for an in-cluster endpoint with a private CA. */
      caFile?: string;
      /**
       * shared: keys from PGBACKREST_REPO<n>_S3_KEY(_SECRET); web-id: a role assumed with
       * the pod's projected service-account token (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE: IRSA).
       */
      keyType?: "shared" | "web-id";
    };

export interface BackupRepo {
  /** pgBackRest's repo index: repo1 .. repo4. */
  index: number;
  storage: RepoStorage;
  /** Full backups are kept by age; incrementals live as long as the full they build on. */
  retentionFullDays: number;
  /** aes-256-cbc with a passphrase from PGBACKREST_REPO<n>_CIPHER_PASS. */
  encrypted: boolean;
}

export interface PgbackrestConfOptions {
  stanza: string;
  pgDataPath: string;
  pgPort: number;
  pgSocketPath: string;
  /** Local queue for asynchronous archiving; must be on a persistent, writable volume. */
  spoolPath: string;
  lockPath: string;
  repos: BackupRepo[];
  compressType: "zst" | "lz4" | "gz";
  compressLevel: number;
  /** Parallel processes for backup and restore. */
  processMax: number;
  archiveProcessMax: number;
}

function repoLines(repo: BackupRepo): string[] {
  const p = `repo${repo.index}`;
  const s = repo.storage;
  const storage =
    s.type === "posix"
      ? [`${p}-type=posix`, `${p}-path=${s.path}`]
      : [
          `${p}-type=s3`,
          `${p}-path=${s.path}`,
          `${p}-s3-bucket=${s.bucket}`,
          `${p}-s3-endpoint=${s.endpoint}`,
          `${p}-s3-region=${s.region}`,
          `${p}-s3-uri-style=${s.uriStyle}`,
          ...(s.port ? [`${p}-storage-port=${s.port}`] : []),
          `${p}-storage-verify-tls=${yesNo(s.verifyTls)}`,
          ...(s.caFile ? [`${p}-storage-ca-file=${s.caFile}`] : []),
          ...(s.keyType === "web-id" ? [`${p}-s3-key-type=web-id`] : []),
        ];
  return [...storage, `${p}-retention-full-type=time`, `${p}-retention-full=${repo.retentionFullDays}`, ...(repo.encrypted ? [`${p}-cipher-type=aes-256-cbc`] : [])];
}

export function renderPgbackrestConf(o: PgbackrestConfOptions): string {
  const global = [
    "[global]",
    ...o.repos.flatMap(repoLines),
    `compress-type=${o.compressType}`,
    `compress-level=${o.compressLevel}`,
    `process-max=${o.processMax}`,
    // Checkpoint immediately when a backup starts instead of waiting for the next one.
    "start-fast=y",
    "archive-async=y",
    `spool-path=${o.spoolPath}`,
    `lock-path=${o.lockPath}`,
    "log-level-console=info",
    "log-level-file=off",
    "",
    // Restores reuse files already in the target directory when their checksums match.
    // Only for restore: during a backup, delta would checksum every file instead of
    // comparing timestamps, making each incremental read the whole database.
    "[global:restore]",
    "delta=y",
    "",
    "[global:archive-push]",
    `process-max=${o.archiveProcessMax}`,
    "",
    "[global:archive-get]",
    `process-max=${o.archiveProcessMax}`,
    "",
    `[${o.stanza}]`,
    `pg1-path=${o.pgDataPath}`,
    `pg1-port=${o.pgPort}`,
    `pg1-socket-path=${o.pgSocketPath}`,
  ];
  return `# ${RENDERED_HEADER}\n${global.join("\n")}\n`;
}
