import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "vitest";
import { familyOf, METRICS_FIXTURES, parseExposition, parseTypes, readFixture, readFixtureTypes, type Series, seriesLine } from "../../harness/exposition";

// The recordings in test/fixtures/metrics: what a real exporter or server said, kept as
// series names and label sets. RECORD_METRICS=1 (npm run fixtures:metrics) rewrites them;
// otherwise a test compares what the real thing says now with its recording.

const RECORD = process.env.RECORD_METRICS === "1";
/** The client library's own families (Go runtime, process, the handler): no rule selects them. */
const RUNTIME_FAMILIES = /^(go|process|promhttp)_/;

/** The shape of a set of series: one `name{label names}` per distinct shape. */
function shapes(series: Series[]): string[] {
  return [...new Set(series.map((s) => `${s.name}{${Object.keys(s.labels).sort().join(",")}}`))].sort();
}

/** The TYPE lines of the families the series fall under, sorted. */
function typeLines(series: Series[], types: Record<string, string>): string[] {
  const families = new Set(series.flatMap((s) => familyOf(types, s.name) ?? []));
  return [...families].sort().map((f) => `# TYPE ${f} ${types[f]}`);
}

/**
 * Records or compares `source`'s exposition text: the series' names and label sets, and
 * their families' types (which the PromQL lint reads: rate over counters only). `keep` narrows both to some metric
 * names, for servers whose full output depends on their history (Prometheus' own metrics
 * grow with every handler used); exporters keep every non-runtime family.
 */
export function recordOrCompare(source: string, text: string, header: string[], keep: (name: string) => boolean = (n) => !RUNTIME_FAMILIES.test(n)): void {
  const real = parseExposition(text).filter((s) => keep(s.name));
  const types = parseTypes(text);
  const file = path.join(METRICS_FIXTURES, `${source}.txt`);
  if (RECORD) {
    const lines = [...new Set(real.map(seriesLine))].sort();
    fs.mkdirSync(METRICS_FIXTURES, { recursive: true });
    fs.writeFileSync(file, `${header.map((h) => `# ${h}`).join("\n")}\n${typeLines(real, types).join("\n")}\n${lines.join("\n")}\n`);
  }
  const recorded = readFixture(source).filter((s) => keep(s.name));
  const stale = `${file} is not what ${source} produces now; re-record with RECORD_METRICS=1`;
  expect(shapes(recorded), stale).toEqual(shapes(real));
  expect(typeLines(recorded, readFixtureTypes(source)), stale).toEqual(typeLines(real, types));
}
