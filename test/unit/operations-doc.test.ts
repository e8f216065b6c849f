import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../harness";
import { bashCommands, invocations, operationsDocProblems, schemaConfigKeys, stackView, type World } from "../harness/docCommands";

// docs/operations.md must stay true to the code: test/harness/docCommands.ts checks every
// command it gives against the stacks.

const DOC = "docs/operations.md";

describe(DOC, () => {
  let world: World;
  const markdown = fs.readFileSync(path.join(ROOT, DOC), "utf8");
  const fence = (...lines: string[]) => ["```bash", ...lines, "```", ""].join("\n");

  beforeAll(async () => {
    world = {
      stacks: [await stackView("prod"), await stackView("staging")],
      configKeys: schemaConfigKeys(),
      // The restore procedure runs pgBackRest in a pod made from the restore drill's template.
      adHocPods: { "postgres-restore": "CronJob/postgres-restore-drill" },
    };
  });

  it("names the namespaces the checker maps to stacks", () => {
    expect(world.stacks.map((s) => [s.stack, s.namespace])).toEqual([
      ["prod", "blacklake"],
      ["staging", "blacklake-staging"],
    ]);
  });

  it("has commands for both stacks, every kubectl command naming a namespace", () => {
    const { commands } = bashCommands(markdown);
    const kubectl = commands.flatMap((c) => invocations(c, "kubectl"));
    expect(commands.length).toBeGreaterThan(100);
    expect(kubectl.filter((w) => w.includes("blacklake")).length).toBeGreaterThan(50);
    expect(kubectl.filter((w) => w.includes("blacklake-staging")).length).toBeGreaterThan(10);
  });

  it("every command is true to what the stacks declare", () => {
    expect(operationsDocProblems(markdown, world)).toEqual([]);
  });

  it("links only to files and headings that exist", () => {
    // GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes.
    const anchors = (md: string) =>
      [...md.matchAll(/^#+ (.*)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, "")
          .replace(/ /g, "-"),
      );
    const broken = [...markdown.matchAll(/\]\(([^)#\s]*)(?:#([^)]*))?\)/g)].flatMap(([link, file, anchor]) => {
      const target = file ? path.join(ROOT, "docs", file) : path.join(ROOT, DOC);
      if (!fs.existsSync(target)) return [link];
      return anchor && !anchors(fs.readFileSync(target, "utf8")).includes(anchor) ? [link] : [];
    });
    expect(broken).toEqual([]);
  });

  it.each([
    ["kubectl -n blacklake rollout restart statefulset/nosuch", "statefulset/nosuch does not exist in the prod stack"],
    ["kubectl -n blacklake rollout restart statefulset nosuch", "statefulset/nosuch does not exist"],
    ["kubectl get pods", "without -n"],
    ["kubectl -n blacklake-dev get pods", "namespace blacklake-dev is no stack's namespace"],
    ["kubectl -n blacklake exec postgres-3 -c postgres -- true", "pod/postgres-3 does not exist"],
    ["kubectl -n blacklake-staging exec redis-0 -c sentinel -- redis-cli -p 26379 PING", "-c sentinel"],
    ["kubectl -n blacklake-staging create job --from=cronjob/postgres-backup-repo2-full x", "cronjob/postgres-backup-repo2-full does not exist in the staging stack"],
    ["X=$(kubectl -n blacklake get secret postgres-app -o jsonpath='{.data.pasword}' | base64 -d)", "has no key pasword"],
    ["kubectl -n blacklake port-forward svc/prometheus 9091:9091", "port 9091"],
    ["kubectl -n blacklake patch pvc data-postgres-4 -p '{}'", "pvc/data-postgres-4"],
    ["kubectl -n blacklake rollout restart deployment/<name>", "placeholder"],
    ["pulumi config set --stack prod --path 'blacklake:postgres.replicas' 3", "blacklake:postgres.replicas is not a key"],
    ["pulumi config set --stack prod 'blacklake:postgres.instances' 3", "needs --path"],
    ["pulumi preview --diff", "without --stack"],
    [
      "pulumi up --stack prod --replace 'urn:pulumi:prod::blacklake::blacklake:postgres:PostgresCluster$random:index/randomPassword:RandomPassword::postgres-nosuch'",
      "postgres-nosuch is not a resource of the prod stack",
    ],
  ])("the checker catches %s", (command, expected) => {
    const problems = operationsDocProblems(fence(command), world);
    expect(problems.join("\n")).toContain(expected);
    expect(problems.every((p) => p.includes(command))).toBe(true);
  });

  it("the checker reads fences indented under a list item", () => {
    const problems = operationsDocProblems(["1. Restart:", "   ```bash", "   kubectl -n blacklake rollout restart statefulset/nosuch", "   ```", ""].join("\n"), world);
    expect(problems).toEqual(["`kubectl -n blacklake rollout restart statefulset/nosuch`: statefulset/nosuch does not exist in the prod stack (namespace blacklake)"]);
  });

  it("the checker passes commands that are right, in every form it reads", () => {
    const problems = operationsDocProblems(
      fence(
        "kubectl -n blacklake exec postgres-2 -c postgres -- psql -U postgres -c 'SELECT 1'   # a comment",
        "kubectl -n blacklake-staging logs deployment/api -c api --tail=20 \\",
        "  --since=1h",
        "kubectl -n blacklake get secret minio-consumers -o jsonpath='{.data.user\\.api\\.secret-key}'",
        "kubectl -n blacklake delete pod minio-0 minio-3",
        "kubectl -n blacklake get pods,pvc -l app.kubernetes.io/name=postgres",
        "kubectl -n blacklake exec -i postgres-0 -c postgres -- psql -U postgres <<'SQL'",
        "kubectl -n nosuch this line is a here-document body",
        "SQL",
      ),
      world,
    );
    expect(problems).toEqual([]);
  });
});
