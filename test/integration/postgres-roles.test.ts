import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, ensurePostgresInstalled, Sandbox } from "./support";
import { ROOT } from "../harness";

// The SQL the StatefulSet's first start (bootstrap.sql) and the per-service Jobs
// (provision-database.sql) run, against a real PostgreSQL: roles get exactly the
// privileges the operations guide allows, and provisioning can run again safely.

const SCRIPTS = path.join(ROOT, "components/postgres/scripts");
let sandbox: Sandbox;
let pg: Cluster;

function psqlFile(file: string, vars: Record<string, string>, env: Record<string, string>) {
  return pg.psqlFile(path.join(SCRIPTS, file), vars, "postgres", env);
}

/** Runs SQL over TCP as a password user, returning stdout or the error text. */
async function asUser(user: string, password: string, db: string, sql: string): Promise<string> {
  const r = await pg.runAs(
    path.join(sandbox.pgBin, "psql"),
    ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(pg.port), "-U", user, "-d", db, "-c", sql],
    {
      env: { PGPASSWORD: password },
      allowFailure: true,
    },
  );
  return `${r.stdout}${r.stderr}`.trim();
}

beforeAll(async () => {
  sandbox = new Sandbox(ensurePostgresInstalled(), "blacklake-roles-");
  pg = await sandbox.cluster("roles", sandbox.newRepo());
  await pg.initdb();
  await pg.start();
  await psqlFile(
    "bootstrap.sql",
    { app_database: "blacklake", app_user: "blacklake_app", replication_user: "replicator", exporter_user: "metrics" },
    { APP_PASSWORD: "app-secret", REPLICATION_PASSWORD: "repl-secret", EXPORTER_PASSWORD: "metrics-secret" },
  );
  await pg.psql("CREATE TABLE items (id bigserial PRIMARY KEY, name text)", { db: "blacklake" });
});

afterAll(async () => {
  await sandbox?.cleanup();
});

describe("bootstrap.sql", () => {
  it("makes the application role a least-privilege, non-superuser login", async () => {
    expect(await pg.psql("SELECT rolsuper || ',' || rolcreatedb || ',' || rolcreaterole || ',' || rolreplication FROM pg_roles WHERE rolname = 'blacklake_app'")).toBe(
      "false,false,false,false",
    );
  });

  it("lets the application change rows and use sequences, not the schema", async () => {
    expect(await asUser("blacklake_app", "app-secret", "blacklake", "INSERT INTO items (name) VALUES ('a') RETURNING id")).toBe("1");
    expect(await asUser("blacklake_app", "app-secret", "blacklake", "UPDATE items SET name = 'b' WHERE id = 1")).toBe("");
    expect(await asUser("blacklake_app", "app-secret", "blacklake", "SELECT name FROM items")).toBe("b");
    expect(await asUser("blacklake_app", "app-secret", "blacklake", "DELETE FROM items")).toBe("");
    expect(await asUser("blacklake_app", "app-secret", "blacklake", "CREATE TABLE sneaky (x int)")).toMatch(/permission denied for schema public/);
    expect(await asUser("blacklake_app", "app-secret", "blacklake", "DROP TABLE items")).toMatch(/must be owner/);
    expect(await asUser("blacklake_app", "app-secret", "postgres", "SELECT 1")).toMatch(/permission denied for database|not permitted/);
  });

  it("enables pg_stat_statements and pg_trgm in the application database", async () => {
    expect(await pg.psql("SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension WHERE extname IN ('pg_stat_statements','pg_trgm')", { db: "blacklake" })).toBe(
      "pg_stat_statements,pg_trgm",
    );
    expect(await asUser("blacklake_app", "app-secret", "blacklake", "SELECT similarity('blacklake', 'blaklake') > 0.3")).toBe("t");
  });

  it("lets the exporter read statistics but not data", async () => {
    expect(Number(await asUser("metrics", "metrics-secret", "blacklake", "SELECT count(*) FROM pg_stat_statements"))).toBeGreaterThanOrEqual(0);
    expect(await asUser("metrics", "metrics-secret", "blacklake", "SELECT * FROM items")).toMatch(/permission denied for table items/);
  });

  it("gives the replication role replication and nothing else", async () => {
    expect(await pg.psql("SELECT rolreplication || ',' || rolsuper FROM pg_roles WHERE rolname = 'replicator'")).toBe("true,false");
  });
});

describe("provision-database.sql", () => {
  const vars = { owner: "keycloak", database: "keycloak" };

  it("creates the service's database and owner, and can run again with a new password", async () => {
    await psqlFile("provision-database.sql", vars, { OWNER_PASSWORD: "kc-secret-1" });
    await psqlFile("provision-database.sql", vars, { OWNER_PASSWORD: "kc-secret-2" });
    expect(await pg.psql("SELECT rolsuper || ',' || rolcreatedb || ',' || rolcreaterole FROM pg_roles WHERE rolname = 'keycloak'")).toBe("false,false,false");
    expect(await pg.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'keycloak'")).toBe("keycloak");
    expect(await asUser("keycloak", "kc-secret-1", "keycloak", "SELECT 1")).toMatch(/password authentication failed/);
    expect(await asUser("keycloak", "kc-secret-2", "keycloak", "CREATE TABLE realm (id text PRIMARY KEY); SELECT count(*) FROM realm")).toBe("0");
  });

  it("keeps the service out of the application's database", async () => {
    expect(await asUser("keycloak", "kc-secret-2", "blacklake", "SELECT 1")).toMatch(/permission denied for database/);
  });
});
