/** The one log-level table (common/log-levels.ts): the numbers stored are the ones the UI names. */
import { expect, test } from "vitest";
import { LOG_LEVELS } from "../../common/log-levels";
import { levelName } from "../../app/_lib/format";

test("each level word is stored as the number the log view shows under its name", () => {
  expect(LOG_LEVELS).toEqual({ debug: 10, info: 20, warn: 30, error: 40 });
  expect(Object.entries(LOG_LEVELS).map(([word, n]) => [word, levelName(n)])).toEqual([
    ["debug", "DEBUG"],
    ["info", "INFO"],
    ["warn", "WARNING"],
    ["error", "ERROR"],
  ]);
});
