import { describe, expect, it } from "vitest";
import { runStack } from "../harness";

describe("the MinIO component", () => {
  it("runs 4 distributed pods over TLS in prod, console off, metrics behind auth", async () => {
    const run = await runStack("prod");
    const sts = (run.one("kubernetes:apps/v1:StatefulSet", "minio").inputs as any).spec;
    expect(sts.replicas).toBe(4);
    expect(sts.podManagementPolicy).toBe("Parallel");
    const c = sts.template.spec.containers[0];
    expect(c.args).toEqual(["server", "--certs-dir", "/etc/minio/certs", "--address", ":9000", "https://minio-{0...3}.minio-pods.blacklake.svc/data0"]);
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
    expect(env).toEqual({ MINIO_BROWSER: "off", MINIO_PROMETHEUS_AUTH_TYPE: "jwt" });
    expect(run.has("kubernetes:core/v1:Service", "minio-console")).toBe(false);
    const certs = sts.template.spec.volumes.find((v: any) => v.name === "certs").secret;
    expect(certs.secretName).toBe("minio-tls");
    expect(sts.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: "fast-ssd", resources: { requests: { storage: "500Gi" } } });
  });

  it("runs one standalone pod in staging", async () => {
    const run = await runStack("staging");
    const c = (run.one("kubernetes:apps/v1:StatefulSet", "minio").inputs as any).spec.template.spec.containers[0];
    expect(c.args.at(-1)).toBe("/data0");
  });

  it("bootstraps buckets with the same keys pgBackRest uses", async () => {
    const run = await runStack("prod");
    const consumers = run.one("kubernetes:core/v1:Secret", "minio-consumers");
    expect(consumers.secretInputs).toContain("stringData");
    const files = (consumers.inputs as any).stringData;
    expect(files["user.pgbackrest.access-key"]).toBe("mock-random-postgres-repo1-access-key");
    expect(files["user.pgbackrest.secret-key"]).toBe("mock-random-postgres-repo1-secret-key");
    const pgbackrestEnv = (run.one("kubernetes:core/v1:Secret", "postgres-pgbackrest").inputs as any).stringData;
    expect(pgbackrestEnv.PGBACKREST_REPO1_S3_KEY).toBe(files["user.pgbackrest.access-key"]);
    const bootstrap = (run.one("kubernetes:core/v1:ConfigMap", "minio-bootstrap").inputs as any).data;
    expect(bootstrap.buckets.trim().split("\n")).toEqual(["blacklake-data", "pgbackrest", "blacklake-exports"]);
    expect(bootstrap["bootstrap.sh"]).toContain("set -euo pipefail");
    const job = (run.one("kubernetes:batch/v1:Job", "minio-bootstrap").inputs as any).spec.template.spec;
    expect(job.containers[0].command).toEqual(["bash", "/bootstrap/bootstrap.sh"]);
  });

  it("mirrors the application buckets off-site hourly in prod only", async () => {
    const prod = await runStack("prod");
    const mirror = (prod.one("kubernetes:batch/v1:CronJob", "minio-mirror").inputs as any).spec;
    expect(mirror.schedule).toBe("0 * * * *");
    expect(mirror.concurrencyPolicy).toBe("Forbid");
    expect(mirror.jobTemplate.spec.template.spec.containers[0].command.at(-1)).toContain(
      "mc mirror --overwrite --preserve 'src/blacklake-data' 'dst/blacklake-offsite-backups/minio/blacklake-data'",
    );
    expect((await runStack("staging")).has("kubernetes:batch/v1:CronJob", "minio-mirror")).toBe(false);
  });

  it("mirrors as its own read-only MinIO user, never as root", async () => {
    const prod = await runStack("prod");
    const env = (prod.one("kubernetes:batch/v1:CronJob", "minio-mirror").inputs as any).spec.jobTemplate.spec.template.spec.containers[0].env;
    const source = env.filter((e: any) => e.name.startsWith("SRC_")).map((e: any) => e.valueFrom.secretKeyRef);
    expect(source).toEqual([
      { name: "minio-mirror-credentials", key: "accessKey" },
      { name: "minio-mirror-credentials", key: "secretKey" },
    ]);
    expect(JSON.stringify(env)).not.toContain("MINIO_ROOT");
    const bootstrap = (prod.one("kubernetes:core/v1:ConfigMap", "minio-bootstrap").inputs as any).data;
    expect(bootstrap.users).toContain("mirror blacklake-mirror\n");
    expect(
      JSON.parse(bootstrap["policy.blacklake-mirror.json"])
        .Statement.flatMap((s: any) => s.Action)
        .sort(),
    ).toEqual(["s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket"]);
    const staging = (await runStack("staging")).one("kubernetes:core/v1:ConfigMap", "minio-bootstrap").inputs as any;
    expect(staging.data.users).not.toContain("mirror");
  });

  it("points pgBackRest's repo1 at MinIO with its CA", async () => {
    const run = await runStack("prod");
    const conf = (run.one("kubernetes:core/v1:ConfigMap", "postgres-config").inputs as any).data["pgbackrest.conf"];
    expect(conf).toContain("repo1-s3-endpoint=minio.blacklake.svc\n");
    expect(conf).toContain("repo1-storage-ca-file=/etc/pgbackrest/ca/repo1.crt\n");
    const pod = (run.one("kubernetes:apps/v1:StatefulSet", "postgres").inputs as any).spec.template.spec;
    expect(pod.volumes.find((v: any) => v.name === "repo-ca").projected.sources[0].secret).toEqual({ name: "minio-tls", items: [{ key: "ca.crt", path: "repo1.crt" }] });
  });
});
