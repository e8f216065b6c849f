import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { generatedPassword } from "../lib/credentials";
import type { ObjectScope } from "../lib/scope";
import { EXPORTER_USER, POSTGRES_CLIENT_TLS_QUERY, POSTGRES_PORT, REPLICATION_USER } from "./files";
import type { PostgresClusterArgs } from "./index";

/** Keys the object store must grant on the pgBackRest bucket, for a repository whose keys are made here. */
export interface BackupS3Credentials {
  repo: string;
  accessKey: pulumi.Output<string>;
  secretKey: pulumi.Output<string>;
}

/**
 * The cluster's generated credentials and the Secrets that hold them: the superuser, the
 * replication, application and exporter roles, and pgBackRest's environment (each
 * repository's cipher passphrase and, where made here, its S3 keys).
 */
export function clusterCredentials(scope: ObjectScope, name: string, args: PostgresClusterArgs, rwHost: pulumi.Output<string>) {
  const s = args.settings;
  const password = (purpose: string, length = 32) => generatedPassword(`${name}-${purpose}`, scope.parent, length);
  const superuserPassword = password("superuser");
  const replicationPassword = password("replication");
  const appPassword = password("app");
  const exporterPassword = password("exporter");
  const cipherPassphrase = password("repo-cipher", 64);

  const superuser = scope.secret(`${name}-superuser`, { username: "postgres", password: superuserPassword });
  const replication = scope.secret(`${name}-replication`, { username: REPLICATION_USER, password: replicationPassword });
  const exporter = scope.secret(`${name}-exporter`, { username: EXPORTER_USER, password: exporterPassword });
  const app = scope.secret(`${name}-app`, {
    username: s.appUser,
    password: appPassword,
    database: s.appDatabase,
    host: rwHost,
    port: String(POSTGRES_PORT),
    // Verifies the server: the application mounts the CA at POSTGRES_TLS_DIR.
    uri: pulumi.interpolate`postgresql://${s.appUser}:${appPassword}@${rwHost}:${POSTGRES_PORT}/${s.appDatabase}?${POSTGRES_CLIENT_TLS_QUERY}`,
  });

  const backupS3Credentials: BackupS3Credentials[] = [];
  const pgbackrestEnv: Record<string, pulumi.Input<string>> = {};
  args.repoTargets.forEach((target, i) => {
    const index = i + 1;
    pgbackrestEnv[`PGBACKREST_REPO${index}_CIPHER_PASS`] = cipherPassphrase;
    if (target.storage.type === "s3" && target.credentials === "generated") {
      const accessKey = new random.RandomString(`${name}-${target.name}-access-key`, { length: 20, special: false, upper: true, lower: false }, scope.child).result;
      const secretKey = password(`${target.name}-secret-key`, 40);
      pgbackrestEnv[`PGBACKREST_REPO${index}_S3_KEY`] = accessKey;
      pgbackrestEnv[`PGBACKREST_REPO${index}_S3_KEY_SECRET`] = secretKey;
      backupS3Credentials.push({ repo: target.name, accessKey, secretKey });
    }
  });
  const pgbackrestSecret = scope.secret(`${name}-pgbackrest`, pgbackrestEnv);
  // Everything pgBackRest reads from the environment: our Secret plus the off-site writer's.
  const pgbackrestEnvFrom = [
    { secretRef: { name: pgbackrestSecret.metadata.name } },
    ...args.repoTargets.flatMap((t) => (typeof t.credentials === "object" ? [{ secretRef: { name: t.credentials.secretName } }] : [])),
  ];
  return { superuser, replication, exporter, app, pgbackrestEnvFrom, backupS3Credentials, password };
}

export type ClusterCredentials = ReturnType<typeof clusterCredentials>;
