/**
 * Whether a cron expression may be saved, the same rule for the server, the web UI and the CLI
 * (browser-safe). Five fields (minute hour day month weekday), or a nickname (@daily). Six fields
 * only when seconds were chosen on purpose: croner reads a sixth field as seconds first, so the
 * typo "0 8 * * * *" meant for 08:00 daily would fire hourly at :08 — accepted silently before.
 */
import { Cron } from "croner";
import { describeSchedule } from "./schedule-description";

function cronFieldCount(expression: string): number {
  return expression.trim().split(/\s+/).filter(Boolean).length;
}

/** Why this cron expression cannot be saved as it is, or null. `withSeconds`: six fields, seconds first, on purpose. */
export function cronProblem(expression: string, withSeconds: boolean, timezone: string): string | null {
  const text = expression.trim();
  if (!text) return "Type a cron expression, e.g. 0 8 * * 1-5 (08:00 on weekdays).";
  const nickname = text.startsWith("@");
  const fields = cronFieldCount(text);
  if (!nickname && !withSeconds && fields > 5) {
    return `This expression has ${fields} fields: the first would be read as seconds ("${text}" is "${describeSchedule({ cron: text, intervalSeconds: null, timezone: null }).replace(/ \(UTC\)$/, "")}"). Use five fields (minute hour day month weekday), or say the first field is seconds ("with seconds" in the UI, seconds: true in the API, --cron-seconds in the CLI) if you meant it.`;
  }
  if (!nickname && withSeconds && fields < 6) {
    return `With seconds, a cron expression has six fields (second minute hour day month weekday); this one has ${fields}.`;
  }
  if (!nickname && fields < 5) return `A cron expression has five fields (minute hour day month weekday); this one has ${fields}.`;
  try {
    const cron = new Cron(text, { paused: true, timezone: timezone.trim() || "UTC", mode: nickname ? "auto" : withSeconds ? "6-or-7-parts" : "5-part" });
    const next = cron.nextRun();
    cron.stop();
    return next ? null : "This expression never fires.";
  } catch (err) {
    return `Not a cron expression croner can read: ${(err as Error).message.replace(/^CronPattern: /, "")}.`;
  }
}

