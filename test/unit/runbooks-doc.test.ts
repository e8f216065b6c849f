import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../harness";
import { bashCommands, operationsDocProblems, schemaConfigKeys, stackView, type World } from "../harness/docCommands";

// Every runbook's commands, checked like docs/operations.md's (test/harness/docCommands.ts)
// against what the prod and staging stacks declare: object kinds and names, containers,
// ports, Secret keys, config keys. A runbook is pasted during an incident; a name that
// does not exist is found then, not here.

const RUNBOOKS = path.join(ROOT, "docs/runbooks");
const runbooks = fs
  .readdirSync(RUNBOOKS)
  .filter((f) => f.endsWith(".md") && f !== "README.md")
  .sort();

let world: World;

beforeAll(async () => {
  world = {
    stacks: [await stackView("prod"), await stackView("staging")],
    configKeys: schemaConfigKeys(),
    adHocPods: { "postgres-restore": "CronJob/postgres-restore-drill" },
    foreignNamespaces: ["cert-manager", "ingress-nginx", "kube-system"],
  };
});

describe("docs/runbooks", () => {
  it("has runbooks with commands", () => {
    const withCommands = runbooks.filter((f) => bashCommands(fs.readFileSync(path.join(RUNBOOKS, f), "utf8")).commands.length > 0);
    expect(withCommands.length).toBeGreaterThan(15);
  });

  it("the checker reads what runbooks write: variables, aliases, and a claim that cannot shrink", () => {
    const doc = (...lines: string[]) => ["```sh", ...lines, "```", ""].join("\n");
    // platform-disk.md's old text: prod's postgres volumes are 200Gi, so 100Gi asks for a shrink.
    const shrink = doc(
      "NS=blacklake",
      "PVC=data-postgres-0",
      "NEW=100Gi",
      'kubectl -n $NS patch pvc $PVC -p "{\\"spec\\":{\\"resources\\":{\\"requests\\":{\\"storage\\":\\"$NEW\\"}}}}"',
    );
    expect(operationsDocProblems(shrink, world)).toEqual([expect.stringContaining("100Gi is not larger than pvc/data-postgres-0's 200Gi: a claim cannot shrink")]);
    expect(operationsDocProblems(shrink.replace("NEW=100Gi", "NEW=300Gi"), world)).toEqual([]);
    // An alias and a variable resolve to a name the stack does not have.
    const missing = doc("NS=blacklake", 'alias k="kubectl --namespace $NS"', "POD=api-0   # the alert's pod", "k logs $POD --tail=20");
    expect(operationsDocProblems(missing, world)).toEqual([expect.stringContaining("pod/api-0 does not exist in the prod stack")]);
  });

  it.each(runbooks)("%s: every command is true to what the stacks declare", (file) => {
    expect(operationsDocProblems(fs.readFileSync(path.join(RUNBOOKS, file), "utf8"), world)).toEqual([]);
  });
});
