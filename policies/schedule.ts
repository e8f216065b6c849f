// CronJob schedules as the pack reads them. The pack is loaded on its own by the policy
// runner (scripts/engine/policy-pack-build.cjs transpiles policies/ only), so it cannot
// import the program's parser; it is also a second reading of the schedule, which is
// what a judge should be.

const MACRO: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};
const NAMES: Record<string, number> = {
  sun: 0,
  mon: 1,
  tue: 2,
  wed: 3,
  thu: 4,
  fri: 5,
  sat: 6,
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};

/** The values one cron field allows, or undefined when it does not parse. */
function field(text: string, min: number, max: number): Set<number> | undefined {
  const values = new Set<number>();
  const value = (v: string) => (v.toLowerCase() in NAMES ? NAMES[v.toLowerCase()] : /^\d+$/.test(v) ? Number(v) : Number.NaN);
  for (const part of text.split(",")) {
    const [range = "", stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    const [from, to] = range === "*" || range === "?" ? [min, max] : range.includes("-") ? range.split("-").map(value) : [value(range), stepText ? max : value(range)];
    if (!Number.isInteger(step) || step < 1 || !Number.isInteger(from) || !Number.isInteger(to) || from! < min || to! > max || from! > to!) return undefined;
    for (let v = from!; v <= to!; v += step) values.add(v);
  }
  return values;
}

/**
 * The longest gap, in hours, between two runs of a five-field schedule (Kubernetes' cron:
 * day of month and day of week combine with OR when both are restricted), over two
 * years from 2024-01-01 UTC; Infinity when it does not parse or runs once or never.
 */
export function longestGapHours(schedule: string): number {
  const fields = (MACRO[schedule.trim()] ?? schedule).trim().split(/\s+/);
  if (fields.length !== 5) return Infinity;
  const [minutes, hours, days, months, weekdays] = [
    field(fields[0]!, 0, 59),
    field(fields[1]!, 0, 23),
    field(fields[2]!, 1, 31),
    field(fields[3]!, 1, 12),
    field(fields[4]!, 0, 7),
  ];
  if (!minutes || !hours || !days || !months || !weekdays) return Infinity;
  if (weekdays.has(7)) weekdays.add(0);
  const times = [...hours].flatMap((h) => [...minutes].map((m) => h * 60 + m)).sort((a, b) => a - b);
  const dayRestricted = fields[2] !== "*" && fields[2] !== "?";
  const weekdayRestricted = fields[4] !== "*" && fields[4] !== "?";
  let previous: number | undefined;
  let longest = 0;
  for (let d = 0; d < 731; d++) {
    const date = new Date(Date.UTC(2024, 0, 1 + d));
    if (!months.has(date.getUTCMonth() + 1)) continue;
    const dom = days.has(date.getUTCDate());
    const dow = weekdays.has(date.getUTCDay());
    if (!(dayRestricted && weekdayRestricted ? dom || dow : dayRestricted ? dom : weekdayRestricted ? dow : true)) continue;
    for (const t of times) {
      const at = d * 1440 + t;
      if (previous !== undefined) longest = Math.max(longest, at - previous);
      previous = at;
    }
  }
  return longest === 0 ? Infinity : longest / 60;
}
