import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { runStack, stackConfig } from "../harness";
import { contextTag } from "../../components/images";
import { ecrLifecyclePolicy } from "../../components/aws/ecr";

const inputs = (r: { inputs: unknown }) => r.inputs as any;
const DIGEST = /@sha256:[a-f0-9]{64}$/;

describe("ECR repositories (staging and prod build their images)", () => {
  it.each(["staging", "prod"] as const)("%s: one repository per built image, immutable, scanned on push, KMS-encrypted", async (stack) => {
    const run = await runStack(stack);
    const repos = run.ofType("aws:ecr/repository:Repository").map(inputs);
    const namespace = stack === "prod" ? "blacklake" : "blacklake-staging";
    expect(repos.map((r) => r.name).sort()).toEqual([`${namespace}/backup-tools`, `${namespace}/postgres`]);
    for (const repo of repos) {
      expect(repo.imageTagMutability).toBe("IMMUTABLE");
      expect(repo.imageScanningConfiguration).toEqual({ scanOnPush: true });
      expect(repo.encryptionConfigurations).toEqual([{ encryptionType: "KMS" }]);
      expect(repo.forceDelete).toBe(false);
    }
    expect(inputs(run.one("pulumi:providers:aws", "ecr-eu-west-1")).region).toBe("eu-west-1");
  });

  it("expires untagged images after 7 days and keeps the newest 30", async () => {
    const run = await runStack("prod");
    const policies = run.ofType("aws:ecr/lifecyclePolicy:LifecyclePolicy").map((r) => JSON.parse(inputs(r).policy));
    expect(policies).toHaveLength(2);
    for (const { rules } of policies) {
      expect(rules[0]).toMatchObject({
        rulePriority: 1,
        selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
        action: { type: "expire" },
      });
      expect(rules[1]).toMatchObject({ rulePriority: 2, selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 30 }, action: { type: "expire" } });
    }
  });

  it("renders the lifecycle numbers it is given", () => {
    const { rules } = JSON.parse(ecrLifecyclePolicy(5, 2));
    expect(rules.map((r: any) => r.selection.countNumber)).toEqual([2, 5]);
  });
});

describe("image builds", () => {
  it("builds images/postgres and images/backup-tools for linux/amd64 and pushes them with ECR's short-lived login", async () => {
    const run = await runStack("prod");
    const images = Object.fromEntries(run.ofType("docker:index/image:Image").map((r) => [r.name, r]));
    expect(Object.keys(images).sort()).toEqual(["images-backupTools", "images-postgres"]);
    const postgresImage = images["images-postgres"]!; // the key list is checked just above
    const postgres = inputs(postgresImage);
    expect(postgres.build.context).toMatch(/\/images\/postgres$/);
    expect(postgres.build.dockerfile).toMatch(/\/images\/postgres\/Dockerfile$/);
    expect(postgres.build.platform).toBe("linux/amd64");
    expect(postgres.imageName).toMatch(/^111122223333\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/blacklake\/postgres:ctx-[a-f0-9]{16}$/);
    expect(postgres.skipPush).toBe(false);
    expect(postgres.registry).toMatchObject({ server: "https://111122223333.dkr.ecr.eu-west-1.amazonaws.com", username: "AWS" });
    expect(postgresImage.secretInputs).toContain("registry.password");
  });

  it("runs what it built, pinned by digest: the database, the drill, the backup jobs", async () => {
    const run = await runStack("prod");
    const postgresImage = inputs(run.one("kubernetes:apps/v1:StatefulSet", "postgres")).spec.template.spec.containers[0].image;
    expect(postgresImage).toMatch(/^111122223333\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/blacklake\/postgres@sha256:/);
    expect(postgresImage).toMatch(DIGEST);
    const cronJobImage = (name: string) => inputs(run.one("kubernetes:batch/v1:CronJob", name)).spec.jobTemplate.spec.template.spec.containers[0].image;
    expect(cronJobImage("postgres-restore-drill")).toBe(postgresImage);
    expect(cronJobImage("postgres-backup-repo1-full")).toMatch(/\/blacklake\/backup-tools@sha256:[a-f0-9]{64}$/);
  });

  it("dev builds nothing and runs the pinned public images from config", async () => {
    const run = await runStack("dev");
    expect(run.ofType("docker:index/image:Image")).toEqual([]);
    expect(run.ofType("aws:ecr/repository:Repository")).toEqual([]);
    const config = stackConfig("dev").values as any;
    const image = inputs(run.one("kubernetes:apps/v1:StatefulSet", "postgres")).spec.template.spec.containers[0].image;
    expect(image).toBe(config.images?.postgres ?? "ghcr.io/blacklake/postgres-pgbackrest:16.9-2.55.1");
  });

  it("pushes to an existing registry with the runner's own login when registry.kind is registry", async () => {
    const config = stackConfig("staging");
    const values = structuredClone(config.values) as any;
    values.imageBuild.registry = { kind: "registry", server: "registry.example.com:5000", repositoryPrefix: "platform" };
    const run = await runStack("staging", { ...config, values });
    expect(run.ofType("aws:ecr/repository:Repository")).toEqual([]);
    const image = inputs(run.one("docker:index/image:Image", "images-backupTools"));
    expect(image.imageName).toMatch(/^registry\.example\.com:5000\/platform\/backup-tools:ctx-[a-f0-9]{16}$/);
    expect(image.registry).toBeUndefined();
  });
});

describe("contextTag", () => {
  const context = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "context-"));
    fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM scratch\n");
    fs.mkdirSync(path.join(dir, "conf"));
    fs.writeFileSync(path.join(dir, "conf", "a.conf"), "a = 1\n");
    return dir;
  };

  it("is the same for the same content, wherever it lives", () => {
    expect(contextTag(context(), "linux/amd64")).toBe(contextTag(context(), "linux/amd64"));
  });

  it("changes when any file, a file name or the platform changes (ECR tags are immutable)", () => {
    const dir = context();
    const base = contextTag(dir, "linux/amd64");
    expect(contextTag(dir, "linux/arm64")).not.toBe(base);
    fs.writeFileSync(path.join(dir, "conf", "a.conf"), "a = 2\n");
    const edited = contextTag(dir, "linux/amd64");
    expect(edited).not.toBe(base);
    fs.renameSync(path.join(dir, "conf", "a.conf"), path.join(dir, "conf", "b.conf"));
    expect(contextTag(dir, "linux/amd64")).not.toBe(edited);
  });
});
