import { describe, expect, it } from "vitest";
import { parse, parseDocument } from "yaml";
import { configPath, StackFileEdit, withoutCloud } from "../../scripts/engine/pulumi";

// What the engine driver writes into its copy of a stack file: --set and --no-cloud.

const stackFile = (repos: string) => parseDocument(`config:\n  blacklake:postgres:\n    backups:\n      pgbackrest:\n        repos:\n${repos}`);
const repos = (doc: ReturnType<typeof parseDocument>) =>
  (parse(doc.toString()) as { config: { "blacklake:postgres": { backups: { pgbackrest: { repos: unknown[] } } } } }).config["blacklake:postgres"].backups.pgbackrest.repos;

describe("the engine driver's stack file edits", () => {
  it("reads config paths with list indexes", () => {
    expect(configPath("postgres.backups.pgbackrest.repos[1].storage")).toEqual(["postgres", "backups", "pgbackrest", "repos", 1, "storage"]);
    expect(() => configPath("postgres..instances")).toThrow(/--set: found the key "postgres\.\.instances"; expected a config path/);
  });

  it("writes a value as the file would hold it", () => {
    const doc = parseDocument("config: {}\n");
    const edit = new StackFileEdit(doc);
    edit.set("postgres.instances", "0");
    edit.set("kubernetes.skipAwait", "true");
    edit.set("postgres.backups.pgbackrest.repos[0].schedules.full", "*/5 * * * *");
    const config = (parse(doc.toString()) as { config: Record<string, any> }).config;
    expect(config["blacklake:postgres"].instances).toBe(0);
    expect(config["blacklake:kubernetes"].skipAwait).toBe(true);
    expect(config["blacklake:postgres"].backups.pgbackrest.repos[0].schedules.full).toBe("*/5 * * * *");
  });

  it("drops AWS repositories under --no-cloud and renumbers the rest", () => {
    const doc = stackFile("          - {name: repo1, storage: aws}\n          - {name: repo2, storage: minio}\n");
    withoutCloud(new StackFileEdit(doc));
    expect(repos(doc)).toEqual([{ name: "repo1", storage: "minio" }]);
    const config = (parse(doc.toString()) as { config: Record<string, any> }).config;
    expect(config["blacklake:aws"]).toEqual({ ciAccess: { enabled: false }, offsite: { enabled: false } });
    expect(config["blacklake:imageBuild"]).toEqual({ enabled: false });
  });
});
