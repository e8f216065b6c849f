import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { POSTGRES_CLIENT_TLS, POSTGRES_CLIENT_TLS_QUERY } from "../../components/postgres/files";
import { chownToServerUser, type Cluster, ensurePostgresInstalled, ROOT, Sandbox } from "./support";
import { ensureKeycloakInstalled } from "./support/keycloak";
import { ensureMinioInstalled, MinioServer, runLocal } from "./support/minio";
import { makePki } from "./support/pki";

// TLS as the platform renders it, on the real servers: PostgreSQL with our postgresql.conf
// (ssl = on, cert-manager's file names) and pg_hba.conf (hostssl only), MinIO with its
// certificate directory. A CA made by the test plays cert-manager's CA issuer. Each server
// must refuse a plain connection, accept a client that verifies it the way our clients do
// (libpq's sslmode=verify-full, curl and Go's verifier with the CA), and fail a client that
// trusts another CA or expects another name.

let sandbox: Sandbox;
let pg: Cluster;
let otherCa: string;
const APP_PASSWORD = "tls-test-password";

beforeAll(async () => {
  sandbox = new Sandbox(ensurePostgresInstalled(), "blacklake-tls-");
  pg = await sandbox.cluster("tls", sandbox.newRepo());
  await pg.initdb();
  await pg.start();
  await pg.psql(`CREATE ROLE app LOGIN PASSWORD '${APP_PASSWORD}'; CREATE ROLE replicator LOGIN REPLICATION PASSWORD '${APP_PASSWORD}'`);
  // Inside the sandbox: psql runs as the server user.
  const otherDir = sandbox.dir("other-ca");
  otherCa = makePki(otherDir).caFile;
  chownToServerUser(otherDir);
});

afterAll(async () => {
  await sandbox?.cleanup();
});

/**
 * psql over TCP to `host` (at 127.0.0.1) with a libpq connection string (it beats the PG*
 * environment): what the session reports of its own TLS, or the error.
 */
async function connect(conninfo: string, host = "127.0.0.1"): Promise<{ code: number | null; out: string }> {
  const r = await pg.runAs(
    path.join(pg.pgBin, "psql"),
    [
      "-X",
      "-A",
      "-t",
      "-q",
      `host=${host} hostaddr=127.0.0.1 port=${pg.port} dbname=postgres ${conninfo}`,
      "-c",
      "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    ],
    { env: { PGPASSWORD: APP_PASSWORD }, allowFailure: true, timeoutMs: 30_000 },
  );
  return { code: r.code, out: `${r.stdout}${r.stderr}`.trim() };
}

/** Our clients' settings (POSTGRES_CLIENT_TLS), the CA path pointed at the test's. */
const ourClient = `sslmode=${POSTGRES_CLIENT_TLS.sslmode} sslrootcert=${"CA"}`;

describe("PostgreSQL with the rendered TLS settings", () => {
  it("refuses a plain connection: pg_hba.conf has no line for it", async () => {
    const plain = await connect("user=app sslmode=disable");
    expect(plain.code, plain.out).not.toBe(0);
    expect(plain.out).toMatch(/no pg_hba\.conf entry for host "127\.0\.0\.1", user "app", database "postgres", no encryption/);
  });

  it("refuses a plain replication connection too", async () => {
    const plain = await connect("user=replicator replication=true sslmode=disable");
    expect(plain.code, plain.out).not.toBe(0);
    expect(plain.out).toMatch(/no pg_hba\.conf entry for replication connection from host "127\.0\.0\.1", user "replicator", no encryption/);
  });

  it("accepts our clients' verify-full with the CA, over TLS", async () => {
    const verified = await connect(`user=app ${ourClient.replace("CA", sandbox.tls.caFile)}`);
    expect(verified.code, verified.out).toBe(0);
    expect(verified.out).toMatch(/^t\|TLSv1\.[23]$/);
  });

  it("fails a client that trusts another CA", async () => {
    const untrusted = await connect(`user=app ${ourClient.replace("CA", otherCa)}`);
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.out).toMatch(/certificate verify failed/);
  });

  it("fails a client that expects a name the certificate does not carry", async () => {
    const wrongName = await connect(`user=app ${ourClient.replace("CA", sandbox.tls.caFile)}`, "postgres-rw.elsewhere.svc");
    expect(wrongName.code).not.toBe(0);
    expect(wrongName.out).toMatch(/server certificate for "127\.0\.0\.1" \(and \d+ other names?\) does not match host name "postgres-rw\.elsewhere\.svc"/);
  });
});

describe("Keycloak's JDBC URL, with the PostgreSQL driver Keycloak ships", () => {
  // support/JdbcProbe.java, run by the JDK from source with Keycloak's own pgjdbc jar.
  const jdbc = (query: string) => {
    const jar = fs.readdirSync(path.join(ensureKeycloakInstalled(), "lib/lib/main")).find((f) => /^org\.postgresql\.postgresql-.*\.jar$/.test(f));
    expect(jar, "Keycloak's distribution ships pgjdbc").toBeDefined();
    const r = spawnSync(
      "java",
      [
        "-cp",
        path.join(ensureKeycloakInstalled(), "lib/lib/main", jar!),
        path.join(ROOT, "test/integration/support/JdbcProbe.java"),
        `jdbc:postgresql://127.0.0.1:${pg.port}/postgres?${query}`,
        "app",
        APP_PASSWORD,
      ],
      { encoding: "utf8", timeout: 120_000 },
    );
    return { code: r.status, out: `${r.stdout}${r.stderr}`.trim() };
  };

  it("connects over TLS with the jdbcUrl's own parameters (verify-full, the PEM CA)", () => {
    const ours = jdbc(POSTGRES_CLIENT_TLS_QUERY.replace(POSTGRES_CLIENT_TLS.sslrootcert, sandbox.tls.caFile));
    expect(ours.code, ours.out).toBe(0);
    expect(ours.out).toMatch(/^true\|TLSv1\.[23]$/m);
  });

  it("is refused with another CA, and without TLS", () => {
    const untrusted = jdbc(POSTGRES_CLIENT_TLS_QUERY.replace(POSTGRES_CLIENT_TLS.sslrootcert, otherCa));
    expect(untrusted.code).toBe(1);
    expect(untrusted.out).toMatch(/refused: .*(SSL error|PKIX|certificate)/i);
    const plain = jdbc("sslmode=disable");
    expect(plain.code).toBe(1);
    expect(plain.out).toMatch(/no pg_hba\.conf entry .*no encryption/);
  });
});

describe("MinIO with its certificate", () => {
  let minio: MinioServer;
  beforeAll(async () => {
    minio = await MinioServer.start({ bins: ensureMinioInstalled(), drives: 1 });
  });
  afterAll(async () => {
    await minio?.stop();
  });

  const curl = (...args: string[]) => runLocal("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", ...args], { allowFailure: true });
  const health = () => `127.0.0.1:${minio.port}/minio/health/live`;

  it("answers a plain HTTP request on its port with an error, never with data", async () => {
    const plain = await curl(`http://${health()}`);
    expect(plain.stdout).toBe("400");
  });

  it("is reached over https by a client that verifies it with the CA, and not by one that trusts another", async () => {
    expect((await curl("--cacert", minio.caFile, `https://${health()}`)).stdout).toBe("200");
    const untrusted = await curl("--cacert", otherCa, `https://${health()}`);
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toMatch(/SSL certificate problem|certificate verify failed/);
  });
});
