/** The web UI's schedule wording and next-run times (app/_lib/schedules.ts). */
import { describe, expect, test } from "vitest";
import { describeCron, describeSchedule, nextRunTime } from "../../app/_lib/schedules";
import { formatDuration } from "../../app/_lib/format";

const schedule = (over: Partial<Parameters<typeof describeSchedule>[0]>) => ({
  cron: null,
  intervalSeconds: null,
  anchorDate: null,
  timezone: "UTC",
  active: true,
  ...over,
});

describe("describeCron", () => {
  test.each([
    ["0 8 * * *", "every day at 08:00"],
    ["@daily", "every day at 00:00"],
    ["* * * * *", "every minute"],
    ["*/15 * * * *", "every 15 minutes"],
    ["0 * * * *", "every hour, on the hour"],
    ["5 * * * *", "every hour at minute 5"],
    ["0 */6 * * *", "every 6 hours"],
    ["30 2 * * 1", "every Monday at 02:30"],
    ["0 9 * * 1-5", "every weekday at 09:00"],
    ["0 9 * * MON,WED", "every Monday and Wednesday at 09:00"],
    ["0 0 1 * *", "on the 1st of every month at 00:00"],
    ["0 12 25 12 *", "every year on December 25 at 12:00"],
  ])("%s → %s", (cron, words) => {
    expect(describeCron(cron)).toBe(words);
  });

  test("shapes it does not know are left to the caller", () => {
    expect(describeCron("0 8 * * 1#2")).toBeUndefined();
    expect(describeCron("0 0 8 * * *")).toBeUndefined();
  });
});

describe("describeSchedule", () => {
  test("names the timezone", () => {
    expect(describeSchedule(schedule({ cron: "0 8 * * *", timezone: "Asia/Phnom_Penh" }))).toBe(
      "every day at 08:00 Asia/Phnom_Penh",
    );
    expect(describeSchedule(schedule({ cron: "0 8 * * 1#2" }))).toBe('cron "0 8 * * 1#2" UTC');
  });
  test("intervals in the largest whole unit", () => {
    expect(describeSchedule(schedule({ intervalSeconds: 3600 }))).toBe("every hour");
    expect(describeSchedule(schedule({ intervalSeconds: 5400 }))).toBe("every 90 minutes");
  });
});

describe("nextRunTime", () => {
  const now = new Date("2026-11-24T12:00:00Z");
  test("cron in its timezone", () => {
    // 08:00 in Phnom Penh (UTC+7) is 01:00 UTC, so the next one is tomorrow.
    expect(nextRunTime(schedule({ cron: "0 8 * * *", timezone: "Asia/Phnom_Penh" }), now)?.toISOString()).toBe(
      "2026-11-25T01:00:00.000Z",
    );
  });
  test("interval from its anchor", () => {
    const s = schedule({ intervalSeconds: 3600, anchorDate: "2026-11-24T10:30:00Z" });
    expect(nextRunTime(s, now)?.toISOString()).toBe("2026-11-24T12:30:00.000Z");
  });
  test("inactive or invalid schedules never run", () => {
    expect(nextRunTime(schedule({ cron: "0 8 * * *", active: false }), now)).toBeNull();
    expect(nextRunTime(schedule({ cron: "not cron" }), now)).toBeNull();
  });
});

test("formatDuration", () => {
  expect(formatDuration(0.42)).toBe("0.4s");
  expect(formatDuration(75)).toBe("1m 15s");
  expect(formatDuration(7260)).toBe("2h 1m");
});
