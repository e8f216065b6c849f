import * as fs from "node:fs";
import { configFromStackFile, offlineProblems } from "../stacks/config";

// npm run config:check -- Pulumi.<stack>.yaml [...]
// Validates stack files offline with the same schema and messages as `pulumi up`.
// Exit 0 when every file is valid, 1 with one line per problem when not, 2 on misuse.

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: npm run config:check -- Pulumi.<stack>.yaml [more files]");
  process.exit(2);
}

let failed = false;
for (const file of files) {
  if (!fs.existsSync(file)) {
    console.error(`${file}: no such file`);
    process.exit(2);
  }
  let problems: string[];
  let environment: unknown;
  try {
    const raw = configFromStackFile(file);
    environment = raw.values.environment;
    problems = offlineProblems(raw);
  } catch (error) {
    problems = [`(file): found unreadable YAML; expected a Pulumi stack file (${(error as Error).message.split("\n")[0]})`];
  }
  if (problems.length === 0) {
    console.log(`${file}: valid (${String(environment)})`);
  } else {
    failed = true;
    console.error(`${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"}`);
    for (const problem of problems) console.error(problem);
  }
}
process.exit(failed ? 1 : 0);
