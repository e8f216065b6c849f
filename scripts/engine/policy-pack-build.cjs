// Transpiles the policy pack (policies/*.ts) to CommonJS once per content, into
// node_modules/.cache/blacklake-policy-pack/<hash>/, and prints that directory.
//
// Why: the SDK's policy-pack runner loads a TypeScript pack through ts-node with
// type-checking on, which costs seconds on every preview; `npm test` type-checks the
// pack already (tsc over policies/), so the engine needs only the JavaScript.
// Plain CommonJS because it runs before anything that could load TypeScript.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const pack = path.resolve(process.argv[2] || path.join(__dirname, "../../policies"));
const repo = path.resolve(pack, "..");
const typescript = require.resolve("typescript", { paths: [repo] });
const typescriptVersion = JSON.parse(fs.readFileSync(path.join(path.dirname(typescript), "../package.json"), "utf8")).version;

const sources = fs.readdirSync(pack).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).sort();
const hash = crypto.createHash("sha256").update(typescriptVersion);
for (const f of [...sources, "package.json", "PulumiPolicy.yaml"]) hash.update(f).update(fs.readFileSync(path.join(pack, f)));
const out = path.join(repo, "node_modules/.cache/blacklake-policy-pack", hash.digest("hex").slice(0, 16));

if (!fs.existsSync(path.join(out, "package.json"))) {
  const ts = require(typescript); // only when there is something to transpile: it takes a while to load
  const tmp = `${out}.tmp-${process.pid}`;
  fs.mkdirSync(tmp, { recursive: true });
  const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false };
  for (const f of sources) {
    const { outputText } = ts.transpileModule(fs.readFileSync(path.join(pack, f), "utf8"), { compilerOptions, fileName: f });
    fs.writeFileSync(path.join(tmp, f.replace(/\.ts$/, ".js")), outputText);
  }
  fs.copyFileSync(path.join(pack, "PulumiPolicy.yaml"), path.join(tmp, "PulumiPolicy.yaml"));
  // The pack's own package.json (PolicyPack reads its name and version), pointing at the JavaScript.
  const manifest = JSON.parse(fs.readFileSync(path.join(pack, "package.json"), "utf8"));
  fs.writeFileSync(path.join(tmp, "package.json"), JSON.stringify({ ...manifest, main: "index.js" }, null, 2));
  fs.rmSync(out, { recursive: true, force: true });
  fs.renameSync(tmp, out);
}
process.stdout.write(out);
