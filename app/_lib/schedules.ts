/**
 * Schedules in words ("every day at 08:00 Asia/Phnom_Penh") and their next run time. The words
 * cover the cron shapes people write by hand; anything else is shown as the expression itself,
 * which is still exact. Next run times come from croner, the library the scheduler uses.
 */
import { Cron } from "croner";

export interface ScheduleLike {
  cron: string | null;
  intervalSeconds: number | null;
  anchorDate: string | null;
  timezone: string | null;
  active: boolean;
}

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const DAY_ABBREVIATIONS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MONTH_NAMES = [
  "January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December",
];

const NICKNAMES: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const isNumber = (field: string) => /^\d+$/.test(field);
const pad = (n: number) => String(n).padStart(2, "0");
const plural = (n: number, unit: string) => (n === 1 ? unit : `${n} ${unit}s`);

function dayName(field: string): string | undefined {
  if (isNumber(field)) return DAY_NAMES[Number(field) % 7];
  const index = DAY_ABBREVIATIONS.indexOf(field.toUpperCase());
  return index >= 0 ? DAY_NAMES[index] : undefined;
}

/** "1-5" → "weekday", "1,3" → "Monday and Wednesday", "6,0" → "Saturday and Sunday". */
function describeDays(field: string): string | undefined {
  const upper = field.toUpperCase();
  if (upper === "1-5" || upper === "MON-FRI") return "weekday";
  if (upper === "0,6" || upper === "6,0" || upper === "SAT,SUN" || upper === "SUN,SAT") return "Saturday and Sunday";
  const names = field.split(",").map(dayName);
  if (names.some((n) => n === undefined)) return undefined;
  if (names.length === 1) return names[0];
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

function ordinal(n: number): string {
  const rem100 = n % 100;
  if (rem100 >= 11 && rem100 <= 13) return `${n}th`;
  return `${n}${({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th"}`;
}

/** A cron expression in words, or undefined when it is not one of the common shapes. */
export function describeCron(expression: string): string | undefined {
  const normalised = NICKNAMES[expression.trim().toLowerCase()] ?? expression.trim();
  const fields = normalised.split(/\s+/);
  if (fields.length !== 5) return undefined;
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];

  // Sub-daily shapes: every minute, every n minutes, hourly at a minute, every n hours.
  if (dom === "*" && month === "*" && dow === "*") {
    if (minute === "*" && hour === "*") return "every minute";
    const everyMinutes = /^\*\/(\d+)$/.exec(minute);
    if (everyMinutes && hour === "*") return `every ${plural(Number(everyMinutes[1]), "minute")}`;
    if (isNumber(minute) && hour === "*") {
      return minute === "0" ? "every hour, on the hour" : `every hour at minute ${Number(minute)}`;
    }
    const everyHours = /^\*\/(\d+)$/.exec(hour);
    if (isNumber(minute) && everyHours) {
      const at = minute === "0" ? "" : ` at minute ${Number(minute)}`;
      return `every ${plural(Number(everyHours[1]), "hour")}${at}`;
    }
  }

  // Daily and coarser shapes need one fixed time of day.
  if (!isNumber(minute) || !isNumber(hour)) return undefined;
  const at = `at ${pad(Number(hour))}:${pad(Number(minute))}`;
  if (dom === "*" && month === "*" && dow === "*") return `every day ${at}`;
  if (dom === "*" && month === "*") {
    const days = describeDays(dow);
    return days ? `every ${days} ${at}` : undefined;
  }
  if (isNumber(dom) && dow === "*") {
    if (month === "*") return `on the ${ordinal(Number(dom))} of every month ${at}`;
    if (isNumber(month)) {
      const monthName = MONTH_NAMES[Number(month) - 1];
      return monthName ? `every year on ${monthName} ${Number(dom)} ${at}` : undefined;
    }
  }
  return undefined;
}

/** 3600 → "hour", 5400 → "90 minutes". */
export function describeInterval(seconds: number): string {
  const units: [string, number][] = [
    ["week", 604_800],
    ["day", 86_400],
    ["hour", 3_600],
    ["minute", 60],
    ["second", 1],
  ];
  for (const [unit, size] of units) {
    if (seconds % size === 0) return plural(seconds / size, unit);
  }
  return plural(seconds, "second");
}

/** The whole schedule in words, with its timezone. */
export function describeSchedule(schedule: ScheduleLike): string {
  const zone = schedule.timezone || "UTC";
  if (schedule.cron) {
    const words = describeCron(schedule.cron);
    return words ? `${words} ${zone}` : `cron "${schedule.cron}" ${zone}`;
  }
  if (schedule.intervalSeconds) return `every ${describeInterval(schedule.intervalSeconds)}`;
  return "no timing set";
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
