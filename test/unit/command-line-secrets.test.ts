import { describe, expect, it } from "vitest";
import { podTemplateOf, runStack, STACKS } from "../harness";

// A process's arguments are world-readable (ps, /proc/<pid>/cmdline, a node's process
// list): no container may take a password there. Clients read it from the environment
// instead (REDISCLI_AUTH, PGPASSWORD, psql's \getenv). This reads what every stack
// renders: the containers' commands and arguments, and the scripts their ConfigMaps ship.

const PASSWORD_ARGUMENT = /--pass\b|--password[= ]|--set[= ]?\w*password|\bpassword=|redis-cli\b.*\s-a\s/i;

describe.each(STACKS)("the %s stack", (stack) => {
  it("puts no password on a command line", async () => {
    const run = await runStack(stack);
    const found: string[] = [];
    for (const o of run.kubernetesObjects()) {
      const pod = podTemplateOf(o)?.spec;
      for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
        const line = [...(c.command ?? []), ...(c.args ?? [])].join(" ");
        if (PASSWORD_ARGUMENT.test(line)) found.push(`${o.name}/${c.name}: ${line.match(PASSWORD_ARGUMENT)![0]}`);
      }
      if (o.type === "kubernetes:core/v1:ConfigMap") {
        for (const [file, text] of Object.entries(((o.inputs as any).data ?? {}) as Record<string, string>)) {
          if (!/\.(sh|sql)$/.test(file)) continue;
          const comment = file.endsWith(".sql") ? "--" : "#";
          for (const l of text.split("\n").filter((l) => !l.trim().startsWith(comment))) {
            if (PASSWORD_ARGUMENT.test(l)) found.push(`${o.name}/${file}: ${l.trim()}`);
          }
        }
      }
    }
    expect(found).toEqual([]);
  });
});
