import { parse, type ScalarTag, type Tags } from "yaml";

// A Pulumi.<stack>.yaml read as the Pulumi CLI reads it. The CLI decodes stack files with
// go-yaml v3, which resolves some plain scalars differently from YAML 1.2's core schema
// (what the `yaml` package reads by default): `0644` and `0o644` are octal, `0b101` is
// binary, `1_000` is a thousand, and an unquoted date is a timestamp that reaches the
// program as Go prints it ("2026-01-01 00:00:00 +0000 UTC"). config:check reads the file
// through here so that it judges the values the program will be given; the engine tier
// compares this reading with the real CLI's on every bad-config file.

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** Go's strconv.ParseInt/ParseUint with base 0 (prefixes 0x, 0o, 0b, and 0 for octal). */
function goInteger(text: string): bigint | undefined {
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return undefined;
  const body = m[2]!;
  const digits = /^0[0-7]+$/.test(body) ? `0o${body.slice(1)}` : body.toLowerCase();
  const value = BigInt(digits) * (m[1] === "-" ? -1n : 1n);
  return value >= INT64_MIN && value <= UINT64_MAX ? value : undefined;
}

/** go-yaml v3's float syntax for plain scalars. */
const GO_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** A plain scalar that starts like a number: go-yaml drops every `_`, then tries int, float. */
const goNumber: ScalarTag = {
  tag: "tag:yaml.org,2002:int",
  default: true,
  test: /^[-+]?[0-9_]*[0-9][0-9A-Za-z_.+-]*$/,
  resolve: (text) => {
    if (!/^[-+0-9]/.test(text)) return text;
    const plain = text.replaceAll("_", "");
    const integer = goInteger(plain);
    if (integer !== undefined) return Number(integer);
    if (GO_FLOAT.test(plain)) return Number(plain);
    return text;
  },
};

const pad = (n: number | string, width = 2) => String(n).padStart(width, "0");

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * go-yaml v3's timestamps (a four-digit year, then one of its layouts), printed as Go's
 * time.Time prints them. An offset of zero is UTC (the CLI's local zone on a CI runner);
 * another offset prints as a nameless fixed zone, "+0200 +0200".
 */
const goTimestamp: ScalarTag = {
  tag: "tag:yaml.org,2002:timestamp",
  default: true,
  test: /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})?)?$/,
  resolve: (text) => {
    const m = /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:([Tt ])([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})?)?$/.exec(text);
    if (!m) return text;
    const [, y, mo, d, sep, h = "0", mi = "0", s = "0", fraction, zone] = m;
    // A space-separated time has no zone in go-yaml's layouts; a T-separated one needs one.
    if (sep === " " ? zone !== undefined : sep !== undefined && zone === undefined) return text;
    const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as number[];
    if (month! < 1 || month! > 12 || day! < 1 || day! > daysIn(year!, month!) || hour! > 23 || minute! > 59 || second! > 59) return text;
    const digits = fraction?.replace(/0+$/, "");
    const frac = digits ? `.${digits}` : "";
    const numericZone = zone?.replace(":", "");
    const offset = !zone || zone === "Z" || /^[+-]00:00$/.test(zone) ? "+0000 UTC" : `${numericZone} ${numericZone}`;
    return `${y}-${pad(month!)}-${pad(day!)} ${pad(hour!)}:${pad(minute!)}:${pad(second!)}${frac} ${offset}`;
  },
};

/** YAML 1.2 core without its int and float tags (but with .inf and .nan), then go-yaml's. */
function goYamlTags(core: Tags): Tags {
  const kept = core.filter((t) => {
    if (typeof t !== "object") return true;
    if (t.tag === "tag:yaml.org,2002:int") return false;
    if (t.tag === "tag:yaml.org,2002:float") return "test" in t && String(t.test).includes("inf");
    return true;
  });
  return [goTimestamp, goNumber, ...kept];
}

/** The document of a stack file, its plain scalars resolved as the Pulumi CLI resolves them. */
export function parseStackYaml(text: string): unknown {
  return parse(text, { customTags: goYamlTags });
}
