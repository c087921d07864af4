/**
 * A schedule as the schedule builder edits it, and what the builder says about it: whether it
 * can be saved (and if not, why, in words), its description (common/schedule-description.ts,
 * the CLI's words) and its next run times. Pure and browser-safe; croner is the library the
 * scheduler uses, so the times shown are the times runs are made for.
 *
 * The one rule the server does not have: a cron expression of six fields is read by croner as
 * seconds-first, so a typo such as "0 8 * * * *" (meant: 08:00 daily) silently becomes "minute 8
 * of every hour". The builder refuses six (or seven) fields unless "with seconds" was ticked.
 */
import { Cron } from "croner";
import { describeSchedule } from "@/common/schedule-description";
import { cronProblem } from "@/common/cron";

export type IntervalUnit = "seconds" | "minutes" | "hours" | "days" | "weeks";

export const INTERVAL_UNITS: { unit: IntervalUnit; seconds: number }[] = [
  { unit: "seconds", seconds: 1 },
  { unit: "minutes", seconds: 60 },
  { unit: "hours", seconds: 3_600 },
  { unit: "days", seconds: 86_400 },
  { unit: "weeks", seconds: 604_800 },
];

export interface ScheduleDraft {
  kind: "cron" | "interval";
  cron: string;
  /** Ticked on purpose: a six-field expression's first field is seconds. */
  withSeconds: boolean;
  timezone: string;
  /** The interval as typed, in `unit`s. */
  every: string;
  unit: IntervalUnit;
  /** Kept from a stored interval schedule, so editing does not move its run times. */
  anchorDate: string | null;
  active: boolean;
  catchup: "skip" | "once";
}

/** What deployments.create/update take for one schedule. */
export interface ScheduleInput {
  cron?: string;
  /** A six-field cron whose first field is seconds, on purpose. */
  seconds?: boolean;
  intervalSeconds?: number;
  anchorDate?: string;
  timezone?: string;
  active: boolean;
  catchup: "skip" | "once";
}

export interface StoredSchedule {
  cron: string | null;
  intervalSeconds: number | null;
  anchorDate: string | null;
  timezone: string;
  active: boolean;
  catchup: "skip" | "once";
}

export function newScheduleDraft(timezone = "UTC"): ScheduleDraft {
  return { kind: "cron", cron: "0 8 * * *", withSeconds: false, timezone, every: "1", unit: "hours", anchorDate: null, active: true, catchup: "skip" };
}

/**
 * A stored schedule as a draft. A stored six-field cron is not ticked "with seconds": the server
 * used to take such a typo silently, so whoever edits it now says whether seconds were meant.
 */
export function draftFromSchedule(s: StoredSchedule): ScheduleDraft {
  if (s.cron !== null) return { ...newScheduleDraft(s.timezone), cron: s.cron, active: s.active, catchup: s.catchup };
  const seconds = s.intervalSeconds ?? 3_600;
  const largest = [...INTERVAL_UNITS].reverse().find((u) => seconds % u.seconds === 0) ?? INTERVAL_UNITS[0]!;
  return {
    ...newScheduleDraft(s.timezone),
    kind: "interval",
    every: String(seconds / largest.seconds),
    unit: largest.unit,
    anchorDate: s.anchorDate,
    active: s.active,
    catchup: s.catchup,
  };
}

export function timezoneProblem(timezone: string): string | null {
  if (!timezone.trim()) return "Choose a timezone (an IANA name such as UTC or Europe/Paris).";
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone.trim() });
    return null;
  } catch {
    return `Unknown timezone "${timezone}": use an IANA name such as UTC or Europe/Paris.`;
  }
}

export function intervalSeconds(draft: ScheduleDraft): number | null {
  const n = Number(draft.every);
  const unit = INTERVAL_UNITS.find((u) => u.unit === draft.unit)!;
  if (!Number.isFinite(n) || n <= 0) return null;
  const seconds = n * unit.seconds;
  return Number.isInteger(seconds) ? seconds : null;
}

/** The first thing wrong with the draft, in words, or null when it can be saved. */
export function scheduleProblem(draft: ScheduleDraft): string | null {
  if (draft.kind === "interval") {
    return intervalSeconds(draft) === null ? "Type how often, as a number above 0 (a whole number of seconds in all)." : null;
  }
  return timezoneProblem(draft.timezone) ?? cronProblem(draft.cron, draft.withSeconds, draft.timezone);
}

export function scheduleInput(draft: ScheduleDraft): ScheduleInput {
  if (draft.kind === "interval") {
    return {
      intervalSeconds: intervalSeconds(draft)!,
      ...(draft.anchorDate ? { anchorDate: draft.anchorDate } : {}),
      active: draft.active,
      catchup: draft.catchup,
    };
  }
  return { cron: draft.cron.trim(), ...(draft.withSeconds ? { seconds: true } : {}), timezone: draft.timezone.trim(), active: draft.active, catchup: draft.catchup };
}

/** The draft in the CLI's and the list page's words, or null while it cannot be saved. */
export function describeDraft(draft: ScheduleDraft): string | null {
  if (scheduleProblem(draft)) return null;
  const input = scheduleInput(draft);
  return describeSchedule({ cron: input.cron ?? null, intervalSeconds: input.intervalSeconds ?? null, timezone: input.timezone ?? null, active: draft.active });
}

/** The next `count` times the draft fires after `now` (none while it cannot be saved). */
export function nextRunTimes(draft: ScheduleDraft, count: number, now = new Date()): Date[] {
  if (scheduleProblem(draft)) return [];
  if (draft.kind === "cron") {
    const cron = new Cron(draft.cron.trim(), { paused: true, timezone: draft.timezone.trim() });
    const runs = cron.nextRuns(count, now);
    cron.stop();
    return runs;
  }
  // As the scheduler counts: whole steps from the anchor (a new schedule's anchor is when it is saved).
  const step = intervalSeconds(draft)! * 1000;
  const anchor = draft.anchorDate ? Date.parse(draft.anchorDate) : now.getTime();
  const elapsed = now.getTime() - anchor;
  const first = elapsed < 0 ? 0 : Math.floor(elapsed / step) + 1;
  return Array.from({ length: count }, (_, i) => new Date(anchor + (first + i) * step));
}

/** "Mon, 5 Jan 2026, 08:00 GMT+7" in `timezone` (the browser's own when absent). */
export function formatInZone(date: Date, timezone?: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: date.getUTCSeconds() ? "2-digit" : undefined,
    hourCycle: "h23",
    timeZone: timezone,
    timeZoneName: "short",
  }).format(date);
}
