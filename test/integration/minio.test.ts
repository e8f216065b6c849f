import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selectedNames } from "../harness/exporterCoverage";
import { parseExposition } from "../harness/exposition";
import { recordOrCompare } from "./support/metrics";
import { isAlertRule } from "../../components/lib/mixin";
import { minioMixin, MINIO_CLUSTER_METRICS_PATH, MINIO_JOB, MINIO_NODE_JOB, MINIO_NODE_METRICS_PATH } from "../../components/minio/mixin";
import {
  type BucketSpec,
  type Consumer,
  credentialFiles,
  lifecycleConfiguration,
  platformBuckets,
  platformConsumers,
  policyName,
  prometheusBearerToken,
  PROMETHEUS_CONSUMER,
  renderBootstrapFiles,
} from "../../components/minio/policies";
import { renderPgbackrestConf } from "../../components/postgres/pgbackrestConf";
import { parseConfig } from "../../stacks/config";
import { stackConfig } from "../harness";
import { chownToServerUser, type Cluster, ensurePostgresInstalled, OUR_TUNING, Sandbox, STANZA } from "./support";
import { type BootstrapRun, ensureMinioInstalled, type MinioBins, MinioServer, runBootstrap, runLocal } from "./support/minio";

// A real MinIO (4 drives, erasure coded, TLS with a private CA, static KMS key) set up
// ONLY by our bootstrap script from the files our renderers produce; then pgBackRest,
// configured by our rendered pgbackrest.conf, backs up a real PostgreSQL into it with
// the keys the bootstrap gave the pgbackrest user.
// Over 300 lines because every case shares the one server beforeAll starts (a 4-drive TLS
// setup takes seconds).

let bins: MinioBins;
let server: MinioServer;
let bootDir: string;
let buckets: BucketSpec[];
let consumers: Consumer[];
const keys: Record<string, { accessKey: string; secretKey: string }> = {};
const runs: BootstrapRun[] = [];

/** The keys beforeAll made for a consumer. */
function keysOf(consumer: string): { accessKey: string; secretKey: string } {
  const k = keys[consumer];
  if (!k) throw new Error(`no keys for consumer ${consumer} (have ${Object.keys(keys).join(", ")})`);
  return k;
}

/** A bootstrap dir as the Job sees it: the rendered files plus the consumers' Secrets. */
function writeBootstrapDir(dir: string, files: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
  for (const c of consumers) {
    const f = credentialFiles(c);
    fs.writeFileSync(path.join(dir, f.accessKey), `${keysOf(c.name).accessKey}\n`, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, f.secretKey), `${keysOf(c.name).secretKey}\n`, { mode: 0o600 });
  }
}

function explain(run: BootstrapRun): string {
  return `exit ${run.result.code}\n--- stdout ---\n${run.result.stdout}\n--- stderr ---\n${run.result.stderr}`;
}

async function bootstrap(extraEnv: Record<string, string> = {}): Promise<BootstrapRun> {
  const run = await runBootstrap(server, bootDir, extraEnv);
  runs.push(run);
  return run;
}

beforeAll(async () => {
  bins = ensureMinioInstalled();
  server = await MinioServer.start({ bins });
  buckets = platformBuckets();
  // As in prod: the off-site mirror reads the buckets the prod stack mirrors.
  consumers = platformConsumers(buckets, { mirroredBuckets: parseConfig(stackConfig("prod")).minio.mirror.buckets });
  for (const c of consumers) {
    keys[c.name] = { accessKey: `${c.name}-${randomBytes(4).toString("hex")}`, secretKey: randomBytes(24).toString("base64url") };
  }
  bootDir = path.join(server.dir, "bootstrap");
  writeBootstrapDir(bootDir, renderBootstrapFiles(buckets, consumers));
});

afterAll(async () => {
  await server?.stop();
});

/** Arrays of strings sorted, recursively: MinIO prints a policy's sets in any order. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.every((x) => typeof x === "string") ? [...v].sort() : v.map(canonical);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, canonical(x)]));
  return v;
}

/** Everything the bootstrap manages, as the server reports it (policy UpdateDate included). */
async function snapshot(): Promise<unknown> {
  const out: Record<string, unknown> = {};
  const ls = await server.mc(["--json", "ls", "root"]);
  out.buckets = ls.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { key: string; lastModified: string })
    .map((b) => `${b.key} ${b.lastModified}`);
  for (const b of buckets) {
    out[`version ${b.name}`] = (await server.mcJson(["version", "info", `root/${b.name}`])).versioning;
    out[`encrypt ${b.name}`] = (await server.mcJson(["encrypt", "info", `root/${b.name}`])).encryption;
    out[`ilm ${b.name}`] = (await server.mc(["ilm", "rule", "export", `root/${b.name}`])).stdout;
  }
  for (const c of consumers) {
    out[`policy ${c.name}`] = canonical(await server.mcJson(["admin", "policy", "info", "root", policyName(c)]));
    out[`user ${c.name}`] = await server.mcJson(["admin", "user", "info", "root", keysOf(c.name).accessKey]);
  }
  return out;
}

describe("MinIO set up by components/minio/bootstrap.sh", () => {
  it("creates buckets, policies and users on the first run", async () => {
    const run = await bootstrap();
    expect(run.result.code, explain(run)).toBe(0);
    for (const b of buckets) {
      expect(run.lines).toContain(`bucket ${b.name}: created`);
      expect(run.lines).toContain(`bucket ${b.name}: versioning enabled`);
      expect(run.lines).toContain(`bucket ${b.name}: default encryption SSE-S3 set`);
      expect(run.lines).toContain(`bucket ${b.name}: lifecycle applied`);
    }
    for (const c of consumers) {
      expect(run.lines).toContain(`policy ${policyName(c)}: created`);
      expect(run.lines).toContain(`user ${c.name}: created`);
      expect(run.lines).toContain(`user ${c.name}: policy ${policyName(c)} attached`);
    }
    expect(run.changes).toBe(buckets.length * 4 + consumers.length * 3);
    // The root password never reaches the output.
    expect(run.result.stdout + run.result.stderr).not.toContain(server.rootPassword);
  });

  it("succeeds again and changes nothing on the second run", async () => {
    const before = await snapshot();
    const run = await bootstrap();
    expect(run.result.code, explain(run)).toBe(0);
    expect(run.changes, explain(run)).toBe(0);
    expect(await snapshot()).toEqual(before);
  });

  it("has every bucket, each versioned", async () => {
    const ls = await server.mc(["--json", "ls", "root"]);
    const names = ls.stdout
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { key: string }).key.replace(/\/$/, ""));
    expect(names.sort()).toEqual(buckets.map((b) => b.name).sort());
    for (const b of buckets) {
      const info = await server.mcJson<{ versioning: { status: string } }>(["version", "info", `root/${b.name}`]);
      expect(info.versioning.status, b.name).toBe("Enabled");
    }
  });

  it("applies each bucket's lifecycle rules", async () => {
    for (const b of buckets) {
      const exported = JSON.parse((await server.mc(["ilm", "rule", "export", `root/${b.name}`])).stdout) as unknown;
      expect(exported, b.name).toEqual(lifecycleConfiguration(b));
    }
    const data = JSON.parse((await server.mc(["ilm", "rule", "export", "root/blacklake-data"])).stdout) as { Rules: Array<Record<string, unknown>> };
    expect(data.Rules.map((r) => r.Expiration ?? r.NoncurrentVersionExpiration)).toEqual([{ NoncurrentDays: 30 }, { Days: 2555 }]);
  });

  it("encrypts every bucket by default with SSE-S3, and new objects are encrypted", async () => {
    for (const b of buckets) {
      const info = await server.mcJson<{ encryption: { algorithm?: string } }>(["encrypt", "info", `root/${b.name}`]);
      expect(info.encryption.algorithm, b.name).toBe("AES256");
    }
    await server.mc(["pipe", "root/blacklake-exports/encrypted-probe.txt"], { input: "secret data\n" });
    const stat = await server.mcJson<{ metadata: Record<string, string> }>(["stat", "root/blacklake-exports/encrypted-probe.txt"]);
    expect(stat.metadata["X-Amz-Server-Side-Encryption"]).toBe("AES256");
    await server.mc(["rm", "--versions", "--force", "root/blacklake-exports/encrypted-probe.txt"]);
  });

  it("gives the pgbackrest user its bucket and nothing else", async () => {
    const k = keysOf("pgbackrest");
    await server.addAlias("pgbr", k.accessKey, k.secretKey);
    await server.mc(["pipe", "pgbr/pgbackrest/probe/hello.txt"], { input: "hello from pgbackrest\n" });
    expect((await server.mc(["cat", "pgbr/pgbackrest/probe/hello.txt"])).stdout).toBe("hello from pgbackrest\n");
    expect((await server.mc(["ls", "--recursive", "pgbr/pgbackrest/probe/"])).stdout).toContain("hello.txt");
    await server.mc(["rm", "pgbr/pgbackrest/probe/hello.txt"]);

    // Seed an object in the API's bucket (as root) that pgbackrest must not read.
    await server.mc(["pipe", "root/blacklake-data/private.txt"], { input: "api data\n" });
    const denied = [
      await server.mc(["pipe", "pgbr/blacklake-data/intruder.txt"], { input: "x\n", allowFailure: true }),
      await server.mc(["cat", "pgbr/blacklake-data/private.txt"], { allowFailure: true }),
      await server.mc(["ls", "pgbr/blacklake-data"], { allowFailure: true }),
      await server.mc(["ls", "pgbr/blacklake-exports"], { allowFailure: true }),
      await server.mc(["mb", "pgbr/pgbackrest-other"], { allowFailure: true }),
      await server.mc(["admin", "info", "pgbr"], { allowFailure: true }),
      await server.mc(["admin", "user", "list", "pgbr"], { allowFailure: true }),
    ];
    for (const r of denied) {
      expect(r.code, r.command).not.toBe(0);
      expect(r.stdout + r.stderr, r.command).toMatch(/Access Denied|AccessDenied|Insufficient permissions/);
    }
    // Versioning and lifecycle are the bootstrap's, not the consumer's, to change.
    const suspend = await server.mc(["version", "suspend", "pgbr/pgbackrest"], { allowFailure: true });
    expect(suspend.code).not.toBe(0);
    expect(suspend.stdout + suspend.stderr).toMatch(/Access Denied|AccessDenied|Insufficient permissions/);
    await server.mc(["rm", "--versions", "--force", "root/blacklake-data/private.txt"]);
  });

  it("keeps overwritten and deleted versions out of a consumer's reach", async () => {
    // A leaked pgbackrest key can overwrite and delete, but not destroy old versions:
    // the policy denies s3:DeleteObjectVersion (MinIO allows it with s3:DeleteObject
    // otherwise). Reading an old version needs only s3:GetObject in MinIO.
    await server.mc(["pipe", "pgbr/pgbackrest/versions/file"], { input: "v1\n" });
    await server.mc(["pipe", "pgbr/pgbackrest/versions/file"], { input: "v2\n" });
    await server.mc(["rm", "pgbr/pgbackrest/versions/file"]); // a delete marker
    const purge = await server.mc(["rm", "--versions", "--force", "pgbr/pgbackrest/versions/file"], { allowFailure: true });
    expect(purge.stdout + purge.stderr).toMatch(/Access Denied|AccessDenied|Insufficient permissions/);
    const versions = (await server.mc(["--json", "ls", "--versions", "root/pgbackrest/versions/"])).stdout.trim().split("\n");
    expect(versions.length).toBe(3); // v1, v2 and the delete marker
    const v1 = (JSON.parse(versions[versions.length - 1]!) as { versionId: string }).versionId;
    expect((await server.mc(["cat", "--version-id", v1, "root/pgbackrest/versions/file"])).stdout).toBe("v1\n");
    const destroy = await server.mc(["rm", "--version-id", v1, "pgbr/pgbackrest/versions/file"], { allowFailure: true });
    expect(destroy.code).not.toBe(0);
    expect(destroy.stdout + destroy.stderr).toMatch(/Access Denied|AccessDenied|Insufficient permissions/);
    await server.mc(["rm", "--versions", "--force", "--recursive", "root/pgbackrest/versions/"]);
  });

  it("gives the API user the data and exports buckets and not pgBackRest's", async () => {
    const k = keysOf("api");
    await server.addAlias("api", k.accessKey, k.secretKey);
    for (const b of ["blacklake-data", "blacklake-exports"]) {
      await server.mc(["pipe", `api/${b}/probe.txt`], { input: `api ${b}\n` });
      expect((await server.mc(["cat", `api/${b}/probe.txt`])).stdout).toBe(`api ${b}\n`);
      await server.mc(["rm", `api/${b}/probe.txt`]);
    }
    for (const r of [
      await server.mc(["ls", "api/pgbackrest"], { allowFailure: true }),
      await server.mc(["pipe", "api/pgbackrest/intruder.txt"], { input: "x\n", allowFailure: true }),
    ]) {
      expect(r.code, r.command).not.toBe(0);
      expect(r.stdout + r.stderr, r.command).toMatch(/Access Denied|AccessDenied|Insufficient permissions/);
    }
  });

  it("lets the mirror user copy the mirrored buckets with the CronJob's mc mirror, and nothing more", async () => {
    const k = keysOf("mirror");
    await server.addAlias("mirror", k.accessKey, k.secretKey);
    await server.mc(["pipe", "root/blacklake-data/reports/2026-11.csv"], { input: "id,total\n1,42\n" });
    const target = path.join(server.dir, "offsite", "minio", "blacklake-data");
    const copy = await server.mc(["mirror", "--overwrite", "--preserve", "mirror/blacklake-data", target]);
    expect(copy.code, copy.stderr).toBe(0);
    expect(fs.readFileSync(path.join(target, "reports", "2026-11.csv"), "utf8")).toBe("id,total\n1,42\n");
    for (const r of [
      await server.mc(["pipe", "mirror/blacklake-data/intruder.txt"], { input: "x\n", allowFailure: true }),
      await server.mc(["rm", "mirror/blacklake-data/reports/2026-11.csv"], { allowFailure: true }),
      await server.mc(["ls", "mirror/pgbackrest"], { allowFailure: true }),
    ]) {
      expect(r.code, r.command).not.toBe(0);
      expect(r.stdout + r.stderr, r.command).toMatch(/Access Denied|AccessDenied|Insufficient permissions/);
    }
    await server.mc(["rm", "root/blacklake-data/reports/2026-11.csv"]);
  });

  it("repairs drift: a rotated secret, a foreign policy, a group, a disabled user, suspended versioning", async () => {
    const pg = keysOf("pgbackrest").accessKey;
    const api = keysOf("api").accessKey;
    await server.mc(["admin", "user", "add", "root"], { input: `${pg}\nsomebody-elses-secret\n` });
    await server.mc(["admin", "policy", "attach", "root", "readwrite", "--user", api]);
    await server.mc(["version", "suspend", "root/blacklake-exports"]);
    await server.mc(["admin", "group", "add", "root", "wide-open", api]);
    await server.mc(["admin", "user", "disable", "root", api]);
    await server.mc(["admin", "policy", "attach", "root", "readwrite", "--group", "wide-open"]);

    const run = await bootstrap();
    expect(run.result.code, explain(run)).toBe(0);
    expect(run.lines).toContain("user pgbackrest: secret key updated");
    expect(run.lines).toContain("user api: detached foreign policy readwrite");
    expect(run.lines).toContain("bucket blacklake-exports: versioning enabled");
    expect(run.lines).toContain("user api: removed from group wide-open");
    expect(run.lines).toContain("user api: enabled");
    expect(run.lines).toContain("user api: exists, keys unchanged");
    expect(run.changes, explain(run)).toBe(5);
    const user = await server.mcJson<{ policyName: string; memberOf?: unknown[] }>(["admin", "user", "info", "root", api]);
    expect(user.policyName).toBe(policyName("api"));
    expect(user.memberOf ?? []).toEqual([]);
    await server.mc(["ls", "pgbr/pgbackrest"]); // the Secret's key works again

    const again = await bootstrap();
    expect(again.changes, explain(again)).toBe(0);
  });

  it("serves Prometheus metrics only with a bearer token, including every metric the mixin uses", async () => {
    const curl = (p: string, token?: string) =>
      runLocal(
        "curl",
        ["-sS", "--max-time", "20", "--cacert", server.caFile, "-w", "\n%{http_code}", ...(token ? ["-H", `Authorization: Bearer ${token}`] : []), `${server.url}${p}`],
        {
          timeoutMs: 30_000,
        },
      );
    const status = (r: { stdout: string }) => r.stdout.trim().split("\n").pop();
    expect(status(await curl(MINIO_CLUSTER_METRICS_PATH))).toBe("403");

    // The bootstrap creates a scrape user allowed only admin:Prometheus; the token is
    // signed with its keys by our renderer (no mc), as the stack would put it in a Secret.
    keys[PROMETHEUS_CONSUMER] = { accessKey: `prometheus-${randomBytes(4).toString("hex")}`, secretKey: randomBytes(24).toString("base64url") };
    const promFiles = credentialFiles(PROMETHEUS_CONSUMER);
    writeBootstrapDir(bootDir, renderBootstrapFiles(buckets, consumers, { prometheusUser: true }));
    fs.writeFileSync(path.join(bootDir, promFiles.accessKey), keys[PROMETHEUS_CONSUMER].accessKey, { mode: 0o600 });
    fs.writeFileSync(path.join(bootDir, promFiles.secretKey), keys[PROMETHEUS_CONSUMER].secretKey, { mode: 0o600 });
    const run = await bootstrap();
    expect(run.result.code, explain(run)).toBe(0);
    expect(run.lines).toEqual(expect.arrayContaining([`policy ${policyName(PROMETHEUS_CONSUMER)}: created`, "user prometheus: created"]));
    expect(run.changes, explain(run)).toBe(3);
    const again = await bootstrap();
    expect(again.changes, explain(again)).toBe(0); // an admin-only policy compares as unchanged too

    const { accessKey, secretKey } = keys[PROMETHEUS_CONSUMER];
    const hour = new Date(Date.now() + 3600_000);
    expect(status(await curl(MINIO_CLUSTER_METRICS_PATH, prometheusBearerToken(accessKey, "not-the-secret-key", hour)))).toBe("403");
    expect(status(await curl(MINIO_CLUSTER_METRICS_PATH, prometheusBearerToken(accessKey, secretKey, new Date(Date.now() - 60_000))))).toBe("403");
    const bearerToken = prometheusBearerToken(accessKey, secretKey, hour);
    // ... and it is good for nothing but metrics.
    await server.addAlias("prom", accessKey, secretKey);
    const read = await server.mc(["ls", "prom/pgbackrest"], { allowFailure: true });
    expect(read.code).not.toBe(0);
    expect(read.stdout + read.stderr).toMatch(/Access Denied|AccessDenied|Insufficient permissions/);

    const mixin = minioMixin({ namespace: "blacklake", podSelector: { "app.kubernetes.io/name": "minio" }, mirror: { rpoSeconds: 3600 } });
    const selected = selectedNames([mixin]);
    const version = (await runLocal(bins.minio, ["--version"])).stdout.split("\n")[0];
    /** The exposition text of a path, recorded (or compared) for the families the mixin selects; its metric names. */
    const names = async (p: string, fixture: string) => {
      const r = await curl(p, bearerToken);
      expect(status(r), p).toBe("200");
      const text = r.stdout.trim().split("\n").slice(0, -1).join("\n");
      recordOrCompare(
        fixture,
        text,
        [`Recorded by test/integration/minio.test.ts (RECORD_METRICS=1) from ${version}, ${p}, a 4-drive server; only the families the mixin selects.`],
        (n) => selected.has(n),
      );
      return new Set(parseExposition(text).map((x) => x.name));
    };
    const scraped: Record<string, Set<string>> = {
      [MINIO_JOB]: await names(MINIO_CLUSTER_METRICS_PATH, "minio-cluster"),
      [MINIO_NODE_JOB]: await names(MINIO_NODE_METRICS_PATH, "minio-node"),
    };
    expect(mixin.scrapeTargets.map((t) => [t.jobName, t.path])).toEqual([
      [MINIO_JOB, MINIO_CLUSTER_METRICS_PATH],
      [MINIO_NODE_JOB, MINIO_NODE_METRICS_PATH],
    ]);
    // MinIO creates its per-API 5xx counter on the first server error only.
    const lazy = new Set(["minio_s3_requests_5xx_errors_total"]);
    const used = mixin.ruleGroups.flatMap((g) => g.rules).flatMap((r) => [...r.expr.matchAll(/(minio_[a-z0-9_]+)\{job="([a-z-]+)"/g)]);
    expect(used.length).toBeGreaterThan(5);
    for (const m of used) {
      const [metric, job] = [m[1]!, m[2]!]; // both groups are mandatory
      if (lazy.has(metric)) continue;
      expect(scraped[job]?.has(metric), `${metric} on job ${job}`).toBe(true);
    }
    expect(mixin.ruleGroups.flatMap((g) => g.rules).filter(isAlertRule).length).toBeGreaterThan(0);
  });

  it("fails clearly when MinIO has no KMS for SSE-S3", async () => {
    const noKms = await MinioServer.start({ bins, kms: false });
    try {
      const dir = path.join(noKms.dir, "bootstrap");
      writeBootstrapDir(dir, renderBootstrapFiles(buckets, consumers));
      const run = await runBootstrap(noKms, dir);
      expect(run.result.code, explain(run)).not.toBe(0);
      expect(run.result.stderr).toMatch(/bootstrap: ERROR: cannot set default encryption \(SSE-S3\) on blacklake-data: MinIO needs a KMS/);
      expect(run.changes).toBeUndefined();
    } finally {
      await noKms.stop();
    }
  });
});

describe("pgBackRest with our rendered pgbackrest.conf, backing up into this MinIO", () => {
  let sandbox: Sandbox;
  let primary: Cluster;

  beforeAll(async () => {
    const pgBin = ensurePostgresInstalled();
    sandbox = new Sandbox(pgBin, "blacklake-pg-minio-");
    primary = await sandbox.cluster("primary", sandbox.newRepo("unused-posix-repo"));
    // The server (archive_command) and every pgbackrest command get the pgbackrest
    // user's keys the way the pod does: PGBACKREST_REPO1_S3_KEY / _KEY_SECRET.
    const withoutKeys = primary.env.bind(primary);
    primary.env = (extra: Record<string, string> = {}) =>
      withoutKeys({ PGBACKREST_REPO1_S3_KEY: keysOf("pgbackrest").accessKey, PGBACKREST_REPO1_S3_KEY_SECRET: keysOf("pgbackrest").secretKey, ...extra });
    const caFile = path.join(sandbox.dir("pki"), "ca.crt");
    fs.copyFileSync(server.caFile, caFile);
    chownToServerUser(caFile);
    primary.writePgbackrestConf(
      renderPgbackrestConf({
        stanza: STANZA,
        pgDataPath: primary.dataDir,
        pgPort: primary.port,
        pgSocketPath: primary.socketDir,
        spoolPath: primary.spoolDir,
        lockPath: primary.lockDir,
        // As stacks/platform.ts declares repo1 on the in-cluster MinIO, on loopback.
        repos: [
          {
            index: 1,
            storage: {
              type: "s3",
              endpoint: "127.0.0.1",
              port: server.port,
              bucket: "pgbackrest",
              region: "us-east-1",
              path: "/pgbackrest",
              uriStyle: "path",
              verifyTls: true,
              caFile,
            },
            retentionFullDays: 30,
            encrypted: true,
          },
        ],
        ...OUR_TUNING,
      }),
    );
    await primary.initdb();
    await primary.start();
  });

  afterAll(async () => {
    await sandbox?.cleanup();
  });

  it("creates the stanza, passes check and takes a full backup", async () => {
    const conf = fs.readFileSync(primary.pgbackrestConfPath, "utf8");
    expect(conf).toContain("repo1-type=s3");
    expect(conf).toContain(`repo1-storage-ca-file=`);
    expect(conf).not.toContain(keysOf("pgbackrest").secretKey);

    await primary.pgbackrest("stanza-create");
    const check = await primary.pgbackrest("check");
    expect(check.stdout).toMatch(/check command end: completed successfully/);
    await primary.psql("CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 10000) g");
    const backup = await primary.pgbackrest("backup", ["--type=full"]);
    expect(backup.stdout).toMatch(/backup command end: completed successfully/);

    const info = await primary.stanzaInfo();
    expect(info.status.code, info.status.message).toBe(0);
    expect(info.cipher).toBe("aes-256-cbc");
    expect(info.backup.map((b) => b.type)).toEqual(["full"]);
    expect(info.backup[0]!.error ?? false).toBe(false);
  });

  it("leaves the backup in the pgbackrest bucket, encrypted at rest by MinIO", async () => {
    const ls = await server.mc(["--json", "ls", "--recursive", "root/pgbackrest/pgbackrest/"]);
    const objects = ls.stdout
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { key: string }).key);
    const info = await primary.stanzaInfo();
    const label = info.backup[0]!.label;
    expect(objects).toContain(`archive/${STANZA}/archive.info`);
    expect(objects).toContain(`backup/${STANZA}/backup.info`);
    expect(objects).toContain(`backup/${STANZA}/${label}/backup.manifest`);
    expect(objects.some((k) => k.startsWith(`backup/${STANZA}/${label}/pg_data/`))).toBe(true);
    const wal = new RegExp(`^archive/${STANZA}/\\d+-\\d+/[0-9A-F]{16}/[0-9A-F]{24}-[0-9a-f]{40}\\.zst$`);
    expect(objects.filter((k) => wal.test(k)).length, objects.join("\n")).toBeGreaterThan(0);
    const stat = await server.mcJson<{ metadata: Record<string, string> }>(["stat", `root/pgbackrest/pgbackrest/backup/${STANZA}/backup.info`]);
    expect(stat.metadata["X-Amz-Server-Side-Encryption"]).toBe("AES256");
  });

  it("is refused with the API user's keys", async () => {
    const apiKeys = { PGBACKREST_REPO1_S3_KEY: keysOf("api").accessKey, PGBACKREST_REPO1_S3_KEY_SECRET: keysOf("api").secretKey };
    // `info` exits 0 and reports the failure in the stanza's status; a backup fails.
    const r = await primary.pgbackrest("info", ["--output=json"], { env: apiKeys });
    const [info] = JSON.parse(r.stdout) as Array<{ status: { code: number; message: string } }>;
    if (!info) throw new Error(`pgbackrest info lists no stanza: ${r.stdout}`);
    expect(info.status.code, r.stdout).not.toBe(0);
    expect(info.status.message).toBe("other"); // the details go to the backup's log, below
    const backup = await primary.pgbackrest("backup", ["--type=incr"], { env: apiKeys, allowFailure: true });
    expect(backup.code, backup.stdout).not.toBe(0);
    expect(backup.stdout + backup.stderr).toMatch(/AccessDenied/);
  });
});
