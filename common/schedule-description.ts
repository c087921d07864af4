/**
 * A schedule in words, the one wording the CLI and the web UI show: cron expressions through
 * cronstrue ("At 08:00, Monday through Friday"), intervals in their largest whole unit ("Every
 * 90 minutes"), and a cron schedule's timezone after it, since the same expression fires at other
 * instants in another zone. An interval is absolute (seconds from its anchor), so it has none.
 * Browser-safe.
 */
import cronstrue from "cronstrue";

export interface ScheduleTiming {
  cron: string | null;
  intervalSeconds: number | null;
  timezone: string | null;
  /** false: " (inactive)" is added. */
  active?: boolean;
}

const UNITS: [string, number][] = [
  ["week", 604_800],
  ["day", 86_400],
  ["hour", 3_600],
  ["minute", 60],
  ["second", 1],
];

/** 3600 → "Every hour", 5400 → "Every 90 minutes", 90061 → "Every 90061 seconds". */
export function describeInterval(seconds: number): string {
  const [unit, size] = UNITS.find(([, size]) => seconds % size === 0) ?? ["second", 1];
  const n = seconds / size;
  return n === 1 ? `Every ${unit}` : `Every ${n} ${unit}s`;
}

/** The cron in words, or the expression itself (quoted) when cronstrue cannot read it. */
export function describeCron(expression: string): string {
  try {
    return cronstrue.toString(expression, { use24HourTimeFormat: true, throwExceptionOnParseError: true });
  } catch {
    return `cron "${expression}"`;
  }
}

/** The whole schedule in words: its timing, and "(inactive)" when it is switched off. */
export function describeSchedule(schedule: ScheduleTiming): string {
  const when = schedule.cron
    ? `${describeCron(schedule.cron)} (${schedule.timezone || "UTC"})`
    : schedule.intervalSeconds
      ? describeInterval(schedule.intervalSeconds)
      : "No timing set";
  return schedule.active === false ? `${when} (inactive)` : when;
}
