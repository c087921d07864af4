/** The one schedule wording (common/schedule-description.ts), shown by the CLI and the web UI. */
import { describe, expect, test } from "vitest";
import { describeCron, describeInterval, describeSchedule } from "../../common/schedule-description";

const schedule = (over: Partial<Parameters<typeof describeSchedule>[0]>) => ({ cron: null, intervalSeconds: null, timezone: "UTC", ...over });

describe("describeSchedule", () => {
  test("cron in words with its timezone, UTC included", () => {
    expect(describeSchedule(schedule({ cron: "0 8 * * *", timezone: "Asia/Phnom_Penh" }))).toBe("At 08:00 (Asia/Phnom_Penh)");
    expect(describeSchedule(schedule({ cron: "0 9 * * 1-5" }))).toBe("At 09:00, Monday through Friday (UTC)");
    expect(describeSchedule(schedule({ cron: "*/15 * * * *", timezone: null }))).toBe("Every 15 minutes (UTC)");
    expect(describeSchedule(schedule({ cron: "0 8 * * 1#2" }))).toBe("At 08:00, on the second Monday of the month (UTC)");
  });

  test("an expression cronstrue cannot read is shown as itself", () => {
    expect(describeCron("not cron")).toBe('cron "not cron"');
    expect(describeSchedule(schedule({ cron: "not cron" }))).toBe('cron "not cron" (UTC)');
  });

  test("intervals in the largest whole unit, without a timezone", () => {
    expect(describeSchedule(schedule({ intervalSeconds: 3600, timezone: "Europe/Paris" }))).toBe("Every hour");
    expect(describeSchedule(schedule({}))).toBe("No timing set");
  });

  test("a switched-off schedule says so", () => {
    expect(describeSchedule(schedule({ intervalSeconds: 60, active: false }))).toBe("Every minute (inactive)");
    expect(describeSchedule(schedule({ cron: "0 8 * * *", active: true }))).toBe("At 08:00 (UTC)");
  });
});

test.each([
  [1, "Every second"],
  [45, "Every 45 seconds"],
  [60, "Every minute"],
  [5400, "Every 90 minutes"],
  [7200, "Every 2 hours"],
  [86_400, "Every day"],
  [1_209_600, "Every 2 weeks"],
  [90_061, "Every 90061 seconds"],
])("describeInterval(%i) → %s", (seconds, words) => {
  expect(describeInterval(seconds)).toBe(words);
});
