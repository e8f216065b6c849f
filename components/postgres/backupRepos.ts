import type * as k8s from "@pulumi/kubernetes";
import type { Mount } from "../lib/mounts";
import { type PostgresSettings, type ResolvedRepo, resolveBackupRepo } from "./files";
import type { RepoTarget } from "./index";

/** Where pgBackRest finds the repositories' private CAs: one projected directory. */
const CA_DIR = "/etc/pgbackrest/ca";

/** Each target as the pgBackRest repository it configures (its index is its place in the list). */
export function backupRepos(s: PostgresSettings, targets: RepoTarget[]): ResolvedRepo[] {
  return targets.map((target, i) => {
    const storage =
      target.storage.type === "s3"
        ? {
            ...target.storage,
            ...(target.caSecret ? { caFile: `${CA_DIR}/${target.name}.crt` } : {}),
            ...(target.credentials === "webIdentity" ? { keyType: "web-id" as const } : {}),
          }
        : target.storage;
    return resolveBackupRepo(s, i + 1, target.name, storage);
  });
}

/** The repositories' private CAs as a volume and its mount (none when no repository has one). */
export interface RepoCa {
  volumes: k8s.types.input.core.v1.Volume[];
  mounts: Mount[];
}

export function repoCa(targets: RepoTarget[]): RepoCa {
  const sources = targets.flatMap((t) => (t.caSecret ? [{ secret: { name: t.caSecret.name, items: [{ key: t.caSecret.key, path: `${t.name}.crt` }] } }] : []));
  if (sources.length === 0) return { volumes: [], mounts: [] };
  return { volumes: [{ name: "repo-ca", projected: { sources } }], mounts: [{ kind: "files", volume: "repo-ca", path: CA_DIR }] };
}
