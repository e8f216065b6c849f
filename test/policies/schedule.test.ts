import { describe, expect, it } from "vitest";
import { longestIntervalMinutes } from "../../components/lib/cron";
import { longestGapHours } from "../../policies/schedule";

// The pack reads CronJob schedules with its own parser (it cannot import the program's);
// the two readings must agree, or a schedule the program accepts would be judged on
// another meaning.

const SCHEDULES = [
  "0 2 * * *",
  "0 */4 * * *",
  "30 2 * * 0",
  "0 5 * * 0",
  "0 2 1 * *",
  "15 1,13 * * *",
  "0 0 * * mon-fri",
  "0 3 1-7 * sun",
  "@daily",
  "@hourly",
  "@weekly",
  "*/20 * * * *",
];

describe("the pack's cron reader", () => {
  for (const schedule of SCHEDULES) {
    it(`${schedule}: the same longest gap as the program's`, () => {
      expect(longestGapHours(schedule)).toBe(longestIntervalMinutes(schedule) / 60);
    });
  }

  it("a schedule that does not parse has no gap it could meet", () => {
    for (const bad of ["61 * * * *", "* * *", "0 2 * * 8", "a b c d e"]) expect(longestGapHours(bad), bad).toBe(Infinity);
  });
});
