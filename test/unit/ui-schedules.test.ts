/** The web UI's next-run times (app/_lib/schedules.ts); the wording is test/unit/schedule-description.test.ts. */
import { describe, expect, test } from "vitest";
import { nextRunTime } from "../../app/_lib/schedules";
import { formatDuration } from "../../app/_lib/format";

const schedule = (over: Partial<Parameters<typeof nextRunTime>[0]>) => ({
  cron: null,
  intervalSeconds: null,
  anchorDate: null,
  timezone: "UTC",
  active: true,
  ...over,
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
