import * as fs from "node:fs";
import { configFromStackFile, validateConfig } from "../stacks/config";

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
  let result;
  try {
    result = validateConfig(configFromStackFile(file));
  } catch (error) {
    result = { ok: false as const, problems: [`(file): found unreadable YAML; expected a Pulumi stack file (${(error as Error).message.split("\n")[0]})`] };
  }
  if (result.ok) {
    console.log(`${file}: valid (${result.config.environment})`);
  } else {
    failed = true;
    console.error(`${file}: ${result.problems.length} problem${result.problems.length === 1 ? "" : "s"}`);
    for (const problem of result.problems) console.error(problem);
  }
}
process.exit(failed ? 1 : 0);
