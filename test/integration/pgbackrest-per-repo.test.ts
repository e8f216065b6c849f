import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgbackrestExporterContainer } from "../../components/postgres/containers";
import { renderPgbackrestConf } from "../../components/postgres/pgbackrestConf";
import { type Cluster, ensurePostgresInstalled, type Repo, Sandbox } from "./support";

// What one repository's backup age rests on, with the real pgBackRest: the exporter
// (pgbackrest_exporter, which cannot be built here: the module proxy refuses it) parses
// `pgbackrest info --output json` and reports the age of the newest backup it lists. Over
// two repositories that is the newest of both, so a stale off-site repository hides behind
// a fresh local one. Each repository's exporter runs with PGBACKREST_REPO=<n> from its
// ContainerSpec; here the real pgBackRest, given that environment, lists that repository's
// backups only. (Debian bookworm's pgBackRest 2.45 here; the image ships 2.55.1.)

let sandbox: Sandbox;
let pg: Cluster;
let repos: [Repo, Repo];

interface InfoBackup {
  label: string;
  database: { "repo-key": number };
  timestamp: { stop: number };
}

/** The backups `pgbackrest info --output=json` lists, in the environment an exporter would give it. */
async function listedBackups(env: Record<string, string>): Promise<InfoBackup[]> {
  const r = await pg.pgbackrest("info", ["--output=json"], { env });
  const [stanza] = JSON.parse(r.stdout) as { backup: InfoBackup[] }[];
  return stanza?.backup ?? [];
}

/** The environment the repository's exporter container declares (PGBACKREST_REPO). */
const exporterEnv = (repo: number): Record<string, string> =>
  Object.fromEntries(Object.entries(pgbackrestExporterContainer("image", { caMounts: [], tls: true }, repo).env ?? {}).map(([k, v]) => [k, String(v)]));

beforeAll(async () => {
  sandbox = new Sandbox(ensurePostgresInstalled(), "blacklake-per-repo-");
  const repo1 = sandbox.newRepo("repo1");
  repos = [repo1, sandbox.newRepo("repo2")];
  pg = await sandbox.cluster("per-repo", repos[0]);
  // Both repositories in one pgbackrest.conf, as prod renders them (repo1 local, repo2 off-site).
  pg.writePgbackrestConf(
    renderPgbackrestConf({
      stanza: pg.stanza,
      pgDataPath: pg.dataDir,
      pgPort: pg.port,
      pgSocketPath: pg.socketDir,
      spoolPath: pg.spoolDir,
      lockPath: pg.lockDir,
      // repo2 unencrypted: the server's archive_command has only repo1's passphrase in its environment.
      repos: repos.map((r, i) => ({ index: i + 1, storage: { type: "posix" as const, path: r.path }, retentionFullDays: 30, encrypted: i === 0 })),
      ...pg.tuning,
    }),
  );
  await pg.initdb();
  await pg.start();
  await pg.pgbackrest("stanza-create");
  // repo2's full first (the stale off-site copy), then repo1's (the fresh local one).
  await pg.pgbackrest("backup", ["--repo=2", "--type=full"]);
  await new Promise((r) => setTimeout(r, 1500));
  await pg.pgbackrest("backup", ["--repo=1", "--type=full"]);
}, 600_000);

afterAll(async () => {
  await sandbox?.cleanup();
});

describe("pgBackRest info with the per-repository exporter's environment (real pgBackRest)", () => {
  it("lists both repositories without it, and the newest backup is the fresh one: one exporter would report repo1's age for both", async () => {
    const all = await listedBackups({});
    expect(all.map((b) => b.database["repo-key"]).sort()).toEqual([1, 2]);
    const newest = all.reduce((a, b) => (b.timestamp.stop > a.timestamp.stop ? b : a));
    expect(newest.database["repo-key"]).toBe(1);
  });

  it.each([1, 2])("lists repo%i's backups only under that repository's exporter environment", async (repo) => {
    const env = exporterEnv(repo);
    expect(env.PGBACKREST_REPO).toBe(String(repo));
    const listed = await listedBackups(env);
    expect(listed.length).toBe(1);
    expect(listed.map((b) => b.database["repo-key"])).toEqual([repo]);
  });
});
