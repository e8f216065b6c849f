import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { README, readmeWithReference } from "../../scripts/configReference";
import { ROOT } from "../harness";

describe("README", () => {
  it("holds the config reference exactly as the schema generates it (run `npm run docs:config`)", () => {
    const readme = fs.readFileSync(path.join(ROOT, README), "utf8");
    expect(readme).toBe(readmeWithReference(readme));
  });

  it("lists every top-level config section in the reference", () => {
    const readme = fs.readFileSync(path.join(ROOT, README), "utf8");
    for (const key of ["environment", "namespace", "kubernetes.renderYamlToDirectory", "postgres.backups.pgbackrest.repos[].schedules.full", "aws.offsite.enabled"]) {
      expect(readme).toContain(`| \`${key}\` |`);
    }
  });
});
