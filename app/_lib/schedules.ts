/**
 * A schedule's next run time, from croner, the library the scheduler uses. Its words are
 * common/schedule-description.ts (shared with the CLI).
 */
import { Cron } from "croner";

export interface ScheduleLike {
  cron: string | null;
  intervalSeconds: number | null;
  anchorDate: string | null;
  timezone: string | null;
  active: boolean;
}

/** When the schedule fires next after `now`, or null when it never will (inactive, invalid). */
export function nextRunTime(schedule: ScheduleLike, now = new Date()): Date | null {
  if (!schedule.active) return null;
  if (schedule.cron) {
    try {
      return new Cron(schedule.cron, { timezone: schedule.timezone || "UTC", paused: true }).nextRun(now);
    } catch {
      return null;
    }
  }
  if (schedule.intervalSeconds) {
    const step = schedule.intervalSeconds * 1000;
    const anchor = schedule.anchorDate ? Date.parse(schedule.anchorDate) : 0;
    const elapsed = now.getTime() - anchor;
    const steps = elapsed < 0 ? 0 : Math.floor(elapsed / step) + 1;
    return new Date(anchor + steps * step);
  }
  return null;
}
