import * as fs from "node:fs";
import * as path from "node:path";

// What a real exporter says: its /metrics text (Prometheus' exposition format) read into
// series, and the recorded fixtures under test/fixtures/metrics that keep the series'
// names and label sets (not their values, which change every scrape).

export interface Series {
  name: string;
  labels: Record<string, string>;
}

export const METRICS_FIXTURES = path.resolve(__dirname, "../fixtures/metrics");
/** Label sets transcribed from upstream documentation, for exporters that cannot be recorded here: same format, not recordings. */
export const EXPORTER_CONTRACTS = path.resolve(__dirname, "../fixtures/exporter-contracts");

/** The series of an exposition text; comments, HELP and TYPE lines are skipped. */
export function parseExposition(text: string): Series[] {
  const series: Series[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+\S+/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    series.push({ name: match[1]!, labels: parseLabels(match[3] ?? "") });
  }
  return series;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const pair = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/y;
  let end = 0;
  for (let match = pair.exec(text); match !== null; match = pair.exec(text)) {
    labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    end = pair.lastIndex;
  }
  if (text.slice(end).trim() !== "") throw new Error(`unreadable labels: {${text}}`);
  return labels;
}

/** The `# TYPE <family> <type>` lines of an exposition text (or a fixture), by family name. */
export function parseTypes(text: string): Record<string, string> {
  const types: Record<string, string> = {};
  for (const m of text.matchAll(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/gm)) types[m[1]!] = m[2]!;
  return types;
}

/**
 * The family whose TYPE line a series falls under: its own name; for a histogram's or
 * summary's _bucket, _count and _sum series the name without them; for a counter written
 * the OpenMetrics way (Keycloak's Micrometer) the name without _total.
 */
export function familyOf(types: Record<string, string>, name: string): string | undefined {
  return [name, name.replace(/_(bucket|count|sum)$/, ""), name.replace(/_total$/, "")].find((f) => types[f] !== undefined);
}

/** A series' type, by its family. */
export function seriesType(types: Record<string, string>, name: string): string | undefined {
  const family = familyOf(types, name);
  return family === undefined ? undefined : types[family];
}

/** A fixture's TYPE lines. */
export function readFixtureTypes(exporter: string, dir: string = METRICS_FIXTURES): Record<string, string> {
  return parseTypes(fs.readFileSync(path.join(dir, `${exporter}.txt`), "utf8"));
}

/** One line per series: `name{label="value",...}`, labels sorted, for a fixture file. */
export function seriesLine(s: Series): string {
  const labels = Object.keys(s.labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(s.labels[k])}`);
  return labels.length ? `${s.name}{${labels.join(",")}}` : s.name;
}

/** A recorded fixture's series (the file holds seriesLine lines, with a comment header). */
export function readFixture(exporter: string, dir: string = METRICS_FIXTURES): Series[] {
  const text = fs.readFileSync(path.join(dir, `${exporter}.txt`), "utf8");
  return parseExposition(
    text
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("#"))
      .map((l) => `${l} 0`)
      .join("\n"),
  );
}

/** The exporters whose real output is recorded, by fixture name. */
export function recordedExporters(): string[] {
  return fs
    .readdirSync(METRICS_FIXTURES)
    .filter((f) => f.endsWith(".txt"))
    .map((f) => f.replace(/\.txt$/, ""))
    .sort();
}
