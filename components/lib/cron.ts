// Five-field cron schedules as Kubernetes CronJobs accept them, plus the @-macros.
// Parsing here lets the config schema reject a malformed schedule and compute the
// longest gap between two runs, which retention must cover.

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

interface FieldSpec {
  label: string;
  min: number;
  max: number;
  names?: string[];
  namesStartAt?: number;
}

const FIELDS = {
  minute: { label: "minute", min: 0, max: 59 },
  hour: { label: "hour", min: 0, max: 23 },
  dayOfMonth: { label: "day of month", min: 1, max: 31 },
  month: { label: "month", min: 1, max: 12, names: MONTH_NAMES, namesStartAt: 1 },
  dayOfWeek: { label: "day of week", min: 0, max: 7, names: DAY_NAMES, namesStartAt: 0 },
} satisfies Record<string, FieldSpec>;

export interface CronSchedule {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number>;
  months: Set<number>;
  /** 0 = Sunday; 7 is folded into 0. */
  daysOfWeek: Set<number>;
  /** Cron's rule: when both day fields are restricted, a day matches if EITHER matches. */
  dayOfMonthRestricted: boolean;
  dayOfWeekRestricted: boolean;
}

export class CronSyntaxError extends Error {}

function parseValue(text: string, spec: FieldSpec): number {
  const lower = text.toLowerCase();
  const nameIndex = spec.names?.indexOf(lower) ?? -1;
  if (nameIndex >= 0) return nameIndex + (spec.namesStartAt ?? 0);
  if (!/^[0-9]+$/.test(text)) throw new CronSyntaxError(`${spec.label} "${text}" is not a number`);
  const value = Number(text);
  if (value < spec.min || value > spec.max) {
    throw new CronSyntaxError(`${spec.label} ${value} is outside ${spec.min}-${spec.max}`);
  }
  return value;
}

function parseField(text: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(",")) {
    const [range = "", stepText, extra] = part.split("/");
    if (extra !== undefined || range === "") throw new CronSyntaxError(`${spec.label} "${part}" is malformed`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^[0-9]+$/.test(stepText) || Number(stepText) === 0) {
        throw new CronSyntaxError(`${spec.label} step "${stepText}" must be a positive number`);
      }
      step = Number(stepText);
    }
    let low: number;
    let high: number;
    if (range === "*" || range === "?") {
      low = spec.min;
      high = spec.max;
    } else if (range.includes("-")) {
      const [lowText = "", highText = ""] = range.split("-");
      low = parseValue(lowText, spec);
      high = parseValue(highText, spec);
      if (low > high) throw new CronSyntaxError(`${spec.label} range "${range}" runs backwards`);
    } else {
      low = parseValue(range, spec);
      high = stepText === undefined ? low : spec.max;
    }
    for (let v = low; v <= high; v += step) values.add(v);
  }
  return values;
}

/** Parses a schedule or throws CronSyntaxError saying which field is wrong. */
export function parseCron(schedule: string): CronSchedule {
  const expanded = MACROS[schedule.trim().toLowerCase()] ?? schedule.trim();
  const parts = expanded.split(/\s+/);
  const [minute, hour, dayOfMonth, month, dayOfWeek, ...extra] = parts;
  if (minute === undefined || hour === undefined || dayOfMonth === undefined || month === undefined || dayOfWeek === undefined || extra.length > 0) {
    throw new CronSyntaxError(`has ${parts.length} fields, a schedule needs 5 (minute hour day-of-month month day-of-week)`);
  }
  return {
    minutes: parseField(minute, FIELDS.minute),
    hours: parseField(hour, FIELDS.hour),
    daysOfMonth: parseField(dayOfMonth, FIELDS.dayOfMonth),
    months: parseField(month, FIELDS.month),
    daysOfWeek: new Set([...parseField(dayOfWeek, FIELDS.dayOfWeek)].map((d) => d % 7)),
    dayOfMonthRestricted: !["*", "?"].includes(dayOfMonth),
    dayOfWeekRestricted: !["*", "?"].includes(dayOfWeek),
  };
}

export function isValidCron(schedule: string): boolean {
  try {
    parseCron(schedule);
    return true;
  } catch {
    return false;
  }
}

function dayMatches(cron: CronSchedule, date: Date): boolean {
  if (!cron.months.has(date.getUTCMonth() + 1)) return false;
  const domMatch = cron.daysOfMonth.has(date.getUTCDate());
  const dowMatch = cron.daysOfWeek.has(date.getUTCDay());
  if (cron.dayOfMonthRestricted && cron.dayOfWeekRestricted) return domMatch || dowMatch;
  if (cron.dayOfMonthRestricted) return domMatch;
  if (cron.dayOfWeekRestricted) return dowMatch;
  return true;
}

const MINUTES_PER_DAY = 24 * 60;
/** Eight years cover every leap-day and weekday alignment a schedule can depend on. */
const HORIZON_DAYS = 8 * 366;

/**
 * The longest time, in minutes, between two consecutive runs of the schedule, or
 * Infinity if it never runs (for example "0 0 31 2 *").
 */
export function longestIntervalMinutes(schedule: string): number {
  const cron = parseCron(schedule);
  const timesOfDay = [...cron.hours].flatMap((h) => [...cron.minutes].map((m) => h * 60 + m)).sort((a, b) => a - b);
  const earliest = timesOfDay[0];
  const latest = timesOfDay[timesOfDay.length - 1];
  if (earliest === undefined || latest === undefined) return Infinity; // a parsed schedule has at least one time
  let longest = 0;
  timesOfDay.forEach((t, i) => {
    if (i > 0) longest = Math.max(longest, t - (timesOfDay[i - 1] ?? t));
  });

  const start = Date.UTC(2024, 0, 1);
  let previousDay: number | undefined;
  let firstDay: number | undefined;
  for (let day = 0; day < HORIZON_DAYS; day++) {
    if (!dayMatches(cron, new Date(start + day * MINUTES_PER_DAY * 60_000))) continue;
    if (previousDay !== undefined) {
      const gap = (day - previousDay) * MINUTES_PER_DAY - latest + earliest;
      longest = Math.max(longest, gap);
    }
    firstDay ??= day;
    previousDay = day;
  }
  if (firstDay === undefined || firstDay === previousDay) return Infinity;
  return longest;
}
