import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { isAlertRule } from "../../components/lib/mixin";
import { DISK_USAGE_CRITICAL, DISK_USAGE_WARNING, minioMixin, MINIO_CLUSTER_METRICS_PATH } from "../../components/minio/mixin";
import {
  BUCKET_NAMES,
  consumerPolicy,
  credentialFiles,
  lifecycleConfiguration,
  platformBuckets,
  platformConsumers,
  type PolicyDocument,
  policyName,
  prometheusBearerToken,
  prometheusPolicy,
  PROMETHEUS_CONSUMER,
  renderBootstrapFiles,
  SEVEN_YEARS_DAYS,
} from "../../components/minio/policies";
import { createHmac } from "node:crypto";
import { ROOT } from "../harness";

const buckets = platformBuckets();
const consumers = platformConsumers(buckets);
const byName = (name: string) => consumers.find((c) => c.name === name)!;

function statements(doc: PolicyDocument) {
  return doc.Statement;
}

describe("MinIO consumer policies", () => {
  for (const c of consumers) {
    it(`${c.name}: no wildcard action, no wildcard resource, only its own buckets`, () => {
      const doc = consumerPolicy(c);
      expect(doc.Version).toBe("2012-10-17");
      for (const s of statements(doc)) {
        expect(["Allow", "Deny"]).toContain(s.Effect);
        for (const a of s.Action) {
          expect(a).not.toContain("*");
          expect(a).toMatch(/^s3:[A-Za-z]+$/);
        }
        expect(s.Resource?.length, `${s.Sid} names its resources`).toBeGreaterThan(0);
        for (const r of s.Resource ?? []) {
          expect(r).not.toBe("*");
          expect(r).not.toBe("arn:aws:s3:::*");
          const bucket = /^arn:aws:s3:::([^/*]+)(\/\*)?$/.exec(r);
          expect(bucket, r).not.toBeNull();
          expect(c.buckets).toContain(bucket![1]);
        }
      }
      // Nothing that changes a bucket's configuration or the server's.
      const actions = statements(doc)
        .filter((s) => s.Effect === "Allow")
        .flatMap((s) => s.Action);
      expect(actions.filter((a) => /Bucket(Policy|Versioning|Lifecycle|Encryption)|CreateBucket|DeleteBucket|admin:/.test(a))).toEqual([]);
    });
  }

  it("pgbackrest touches only arn:aws:s3:::pgbackrest and arn:aws:s3:::pgbackrest/*", () => {
    const doc = consumerPolicy(byName("pgbackrest"));
    expect(new Set(statements(doc).flatMap((s) => s.Resource ?? []))).toEqual(new Set(["arn:aws:s3:::pgbackrest", "arn:aws:s3:::pgbackrest/*"]));
    const bucketLevel = statements(doc).find((s) => s.Resource?.includes("arn:aws:s3:::pgbackrest"))!;
    expect(bucketLevel.Resource).toEqual(["arn:aws:s3:::pgbackrest"]);
    expect(new Set(bucketLevel.Action)).toEqual(new Set(["s3:ListBucket", "s3:GetBucketLocation"]));
    const objectLevel = statements(doc).find((s) => s.Effect === "Allow" && s.Resource?.includes("arn:aws:s3:::pgbackrest/*"))!;
    expect(objectLevel.Resource).toEqual(["arn:aws:s3:::pgbackrest/*"]);
    expect(new Set(objectLevel.Action)).toEqual(new Set(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]));
    expect(
      statements(doc)
        .filter((s) => s.Effect === "Allow")
        .flatMap((s) => s.Action)
        .sort(),
    ).toEqual(["s3:DeleteObject", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:PutObject"]);
  });

  it("denies destroying old versions explicitly (MinIO lets s3:DeleteObject delete a version otherwise)", () => {
    for (const c of consumers) {
      const deny = statements(consumerPolicy(c)).filter((s) => s.Effect === "Deny");
      expect(deny).toEqual([{ Sid: "KeepOldVersions", Effect: "Deny", Action: ["s3:DeleteObjectVersion"], Resource: [...c.buckets].sort().map((b) => `arn:aws:s3:::${b}/*`) }]);
      const allowed = statements(consumerPolicy(c))
        .filter((s) => s.Effect === "Allow")
        .flatMap((s) => s.Action);
      expect(allowed.filter((a) => /Version/.test(a))).toEqual([]);
    }
  });

  it("the API gets blacklake-data and blacklake-exports, never pgbackrest", () => {
    const resources = statements(consumerPolicy(byName("api"))).flatMap((s) => s.Resource ?? []);
    expect(new Set(resources)).toEqual(
      new Set(["arn:aws:s3:::blacklake-data", "arn:aws:s3:::blacklake-data/*", "arn:aws:s3:::blacklake-exports", "arn:aws:s3:::blacklake-exports/*"]),
    );
    expect(resources.some((r) => r.includes("pgbackrest"))).toBe(false);
  });

  it("renders actions and resources sorted, as MinIO prints them (the bootstrap compares text)", () => {
    for (const c of consumers) {
      for (const s of statements(consumerPolicy(c))) {
        expect(s.Action).toEqual([...s.Action].sort());
        expect(s.Resource).toEqual([...(s.Resource ?? [])].sort());
      }
    }
  });

  it("refuses consumers without buckets or with bad names", () => {
    expect(() => consumerPolicy({ name: "x", buckets: [] })).toThrow(/no buckets/);
    expect(() => consumerPolicy({ name: "Bad Name", buckets: ["pgbackrest"] })).toThrow(/lower-case/);
    expect(() => consumerPolicy({ name: "x", buckets: ["*"] })).toThrow(/not a bucket name/);
  });
});

describe("MinIO buckets and lifecycle", () => {
  it("has the data, pgbackrest and exports buckets, each versioned and SSE-S3 encrypted", () => {
    expect(buckets.map((b) => [b.purpose, b.name])).toEqual([
      ["data", BUCKET_NAMES.data],
      ["pgbackrest", "pgbackrest"],
      ["exports", BUCKET_NAMES.exports],
    ]);
    for (const b of buckets) {
      expect(b.versioning, b.name).toBe("Enabled");
      expect(b.encryption, b.name).toBe("sse-s3");
    }
  });

  it("expires noncurrent versions after N days on every bucket", () => {
    for (const b of buckets) {
      const rules = lifecycleConfiguration(b).Rules;
      expect(rules.find((r) => r.NoncurrentVersionExpiration)?.NoncurrentVersionExpiration, b.name).toEqual({ NoncurrentDays: 30 });
      expect(rules.every((r) => r.Status === "Enabled")).toBe(true);
    }
    for (const b of platformBuckets({ noncurrentVersionExpirationDays: 14 })) {
      expect(lifecycleConfiguration(b).Rules[0]!.NoncurrentVersionExpiration).toEqual({ NoncurrentDays: 14 });
    }
  });

  it("expires data after 7 years (2555 days), exports only where configured, pgbackrest never", () => {
    expect(SEVEN_YEARS_DAYS).toBe(2555);
    const expiration = (bs = buckets) => Object.fromEntries(bs.map((b) => [b.purpose, lifecycleConfiguration(b).Rules.find((r) => r.Expiration)?.Expiration]));
    expect(expiration()).toEqual({ data: { Days: 2555 }, pgbackrest: undefined, exports: undefined });
    expect(expiration(platformBuckets({ expirationDays: { exports: 2555, data: 3650 } }))).toEqual({
      data: { Days: 3650 },
      pgbackrest: undefined,
      exports: { Days: 2555 },
    });
  });

  it("refuses an expiration rule on the pgBackRest bucket and nonsense day counts", () => {
    const pg = buckets.find((b) => b.purpose === "pgbackrest")!;
    expect(() => lifecycleConfiguration({ ...pg, lifecycle: { ...pg.lifecycle, expirationDays: 30 } })).toThrow(/pgBackRest expires its own backups/);
    expect(() => platformBuckets({ noncurrentVersionExpirationDays: 0 })).toThrow(/whole number of days/);
    expect(() => platformBuckets({ expirationDays: { data: 1.5 } })).toThrow(/whole number of days/);
  });

  it("renders lifecycle JSON in mc's import/export shape", () => {
    const data = buckets.find((b) => b.purpose === "data")!;
    expect(JSON.parse(renderBootstrapFiles(buckets, consumers)[`lifecycle.${data.name}.json`]!)).toEqual({
      Rules: [
        { ID: "expire-noncurrent-versions", NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: "Enabled" },
        { Expiration: { Days: 2555 }, ID: "expire-current-objects", Status: "Enabled" },
      ],
    });
  });
});

describe("the bootstrap input files", () => {
  const files = renderBootstrapFiles(buckets, consumers);

  it("lists every bucket with a lifecycle, every consumer with its policy", () => {
    expect(files.buckets).toBe("blacklake-data\npgbackrest\nblacklake-exports\n");
    expect(files.users).toBe("pgbackrest blacklake-pgbackrest\napi blacklake-api\n");
    expect(Object.keys(files).sort()).toEqual(
      [
        "buckets",
        "users",
        "lifecycle.blacklake-data.json",
        "lifecycle.pgbackrest.json",
        "lifecycle.blacklake-exports.json",
        "policy.blacklake-pgbackrest.json",
        "policy.blacklake-api.json",
      ].sort(),
    );
    for (const c of consumers) expect(JSON.parse(files[`policy.${policyName(c)}.json`]!)).toEqual(consumerPolicy(c));
  });

  it("holds no credentials: those come from the consumers' Secrets under fixed names", () => {
    expect(Object.keys(files).some((f) => f.startsWith("user."))).toBe(false);
    expect(credentialFiles("pgbackrest")).toEqual({ accessKey: "user.pgbackrest.access-key", secretKey: "user.pgbackrest.secret-key" });
  });

  it("refuses a consumer of a bucket the bootstrap does not create, and duplicates", () => {
    expect(() => renderBootstrapFiles(buckets, [...consumers, { name: "x", buckets: ["elsewhere"] }])).toThrow(/not created by the bootstrap/);
    expect(() => renderBootstrapFiles([...buckets, buckets[0]!], consumers)).toThrow(/unique/);
    expect(() => renderBootstrapFiles(buckets, [...consumers, consumers[0]!])).toThrow(/unique/);
  });

  it("the bootstrap script is bash with set -euo pipefail and reads the same file names", () => {
    const script = fs.readFileSync(path.join(ROOT, "components/minio/bootstrap.sh"), "utf8");
    expect(script.split("\n")[0]).toBe("#!/usr/bin/env bash");
    expect(script).toMatch(/^set -euo pipefail$/m);
    for (const name of ["buckets", "users", "lifecycle.$b.json", "policy.$name.json", "user.$consumer.access-key", "user.$consumer.secret-key"]) {
      expect(script).toContain(name);
    }
    expect(script).not.toMatch(/set -x|xtrace/);
  });
});

describe("the Prometheus scrape user", () => {
  it("may scrape metrics and nothing else", () => {
    expect(prometheusPolicy()).toEqual({
      Version: "2012-10-17",
      Statement: [{ Sid: "ScrapeMetrics", Effect: "Allow", Action: ["admin:Prometheus"] }],
    });
  });

  it("is in the bootstrap files only when asked for", () => {
    expect(renderBootstrapFiles(buckets, consumers).users).not.toContain(PROMETHEUS_CONSUMER);
    const files = renderBootstrapFiles(buckets, consumers, { prometheusUser: true });
    expect(files.users!.split("\n")).toContain("prometheus blacklake-prometheus");
    expect(JSON.parse(files["policy.blacklake-prometheus.json"]!)).toEqual(prometheusPolicy());
  });

  it("signs the bearer token as mc does: HS512 over iss, sub and exp with the secret key", () => {
    const token = prometheusBearerToken("scraper", "s3cr3t-key", new Date("2126-01-01T00:00:00Z"));
    const [header, payload, signature] = token.split(".");
    const json = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as unknown;
    expect(json(header!)).toEqual({ alg: "HS512", typ: "JWT" });
    expect(json(payload!)).toEqual({ iss: "prometheus", sub: "scraper", exp: Date.UTC(2126, 0, 1) / 1000 });
    expect(signature).toBe(createHmac("sha512", "s3cr3t-key").update(`${header}.${payload}`).digest("base64url"));
  });
});

describe("the MinIO monitoring mixin", () => {
  const mixin = minioMixin({ namespace: "blacklake", podSelector: { "app.kubernetes.io/name": "minio" }, mirror: { rpoSeconds: 3600 } });
  const alerts = mixin.ruleGroups.flatMap((g) => g.rules).filter(isAlertRule);
  const alert = (name: string) => alerts.find((a) => a.alert === name)!;

  it("scrapes the cluster metrics on the api port with a bearer token, not publicly", () => {
    const cluster = mixin.scrapeTargets.find((t) => t.path === MINIO_CLUSTER_METRICS_PATH)!;
    expect(cluster).toMatchObject({ portName: "api", namespace: "blacklake", scheme: "https", podSelector: { "app.kubernetes.io/name": "minio" } });
    for (const t of mixin.scrapeTargets) {
      expect(t.portName).toBe("api");
      expect(t.bearerTokenSecret.name).toBeTruthy();
      expect(t.bearerTokenSecret.key).toBeTruthy();
    }
  });

  it("has node/drive down, disk usage 80%/90%, S3 error and off-site mirror alerts", () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual(
      [
        "MinioDiskUsageCritical",
        "MinioDiskUsageHigh",
        "MinioDriveOffline",
        "MinioNodeDown",
        "MinioS3ErrorsHigh",
        "MinioTargetDown",
        "ObjectStorageMirrorFailed",
        "ObjectStorageMirrorStale",
      ].sort(),
    );
    expect(DISK_USAGE_WARNING).toBe(0.8);
    expect(DISK_USAGE_CRITICAL).toBe(0.9);
    expect(alert("MinioDiskUsageHigh")).toMatchObject({ labels: { severity: "warning" } });
    expect(alert("MinioDiskUsageHigh").expr).toMatch(/> 0\.8$/);
    expect(alert("MinioDiskUsageCritical")).toMatchObject({ labels: { severity: "critical" } });
    expect(alert("MinioDiskUsageCritical").expr).toMatch(/> 0\.9$/);
    expect(alert("MinioNodeDown").labels.severity).toBe("critical");
    expect(alert("MinioDriveOffline").labels.severity).toBe("critical");
    expect(alert("MinioS3ErrorsHigh").expr).toContain("blacklake:minio_s3_5xx_errors:ratio_rate5m");
  });

  it("records every series its alerts read", () => {
    const recorded = new Set(mixin.ruleGroups.flatMap((g) => g.rules).flatMap((r) => ("record" in r ? [r.record] : [])));
    for (const a of alerts) {
      for (const m of a.expr.matchAll(/(blacklake:[a-z0-9_:]+)/g)) expect(recorded.has(m[1]!), `${a.alert}: ${m[1]}`).toBe(true);
    }
  });
});
