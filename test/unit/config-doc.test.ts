import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_DOC, configDoc } from "../../scripts/docs/config";
import { ROOT } from "../harness";

describe("docs/config.md", () => {
  it("is the config reference exactly as the schema generates it (run `npm run docs:config`)", () => {
    expect(fs.readFileSync(path.join(ROOT, CONFIG_DOC), "utf8")).toBe(configDoc());
  });

  it("lists every top-level config section, and the README links it", () => {
    const doc = fs.readFileSync(path.join(ROOT, CONFIG_DOC), "utf8");
    for (const key of ["environment", "namespace", "kubernetes.renderYamlToDirectory", "postgres.backups.pgbackrest.repos[].schedules.full", "aws.offsite.enabled"]) {
      expect(doc).toContain(`| \`${key}\` |`);
    }
    expect(fs.readFileSync(path.join(ROOT, "README.md"), "utf8")).toContain("[docs/config.md](docs/config.md)");
  });
});
