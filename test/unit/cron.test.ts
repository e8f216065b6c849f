import { describe, expect, it } from "vitest";
import { CronSyntaxError, longestIntervalMinutes, parseCron } from "../../components/lib/cron";

const DAY = 24 * 60;

describe("cron schedules", () => {
  it.each([
    ["0 2 * * *", DAY],
    ["0 */4 * * *", 4 * 60],
    ["*/15 * * * *", 15],
    ["0 2 * * 0", 7 * DAY],
    ["0 2 * * sun", 7 * DAY],
    ["@weekly", 7 * DAY],
    ["@hourly", 60],
    ["0 2,14 * * *", 12 * 60],
    ["0 1-5 * * *", 20 * 60],
    ["0 3 1 * *", 31 * DAY],
    ["0 0 1 1 *", 366 * DAY],
    ["0 2 * * 1-5", 3 * DAY],
  ])("%s runs at least every %i minutes", (schedule, minutes) => {
    expect(longestIntervalMinutes(schedule)).toBe(minutes);
  });

  it("knows a leap-day schedule waits four years", () => {
    expect(longestIntervalMinutes("0 0 29 2 *")).toBe((365 * 4 + 1) * DAY);
  });

  it("knows a schedule that never runs", () => {
    expect(longestIntervalMinutes("0 0 30 2 *")).toBe(Infinity);
  });

  it("applies cron's OR rule when both day fields are restricted", () => {
    const cron = parseCron("0 0 1 * 1");
    expect(cron.dayOfMonthRestricted && cron.dayOfWeekRestricted).toBe(true);
    expect(longestIntervalMinutes("0 0 1 * 1")).toBeLessThanOrEqual(7 * DAY);
  });

  it.each([
    ["0 2 * *", "has 4 fields"],
    ["x 2 * * *", 'minute "x" is not a number'],
    ["0 2 * 13 *", "month 13 is outside 1-12"],
    ["0 5-2 * * *", 'hour range "5-2" runs backwards'],
    ["0 2 * * 8", "day of week 8 is outside 0-7"],
  ])("rejects %s (%s)", (schedule, reason) => {
    expect(() => parseCron(schedule)).toThrow(CronSyntaxError);
    expect(() => parseCron(schedule)).toThrow(reason);
  });
});
