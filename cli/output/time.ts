/**
 * Times as people read them in a terminal: "in 5 minutes", "3 hours ago", and a local
 * timestamp for detail views.
 */
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600_000],
  ["month", 30 * 24 * 3600_000],
  ["week", 7 * 24 * 3600_000],
  ["day", 24 * 3600_000],
  ["hour", 3600_000],
  ["minute", 60_000],
  ["second", 1000],
];

const relative = new Intl.RelativeTimeFormat("en", { numeric: "always" });

/** "in 5 minutes", "3 hours ago", "just now"; "" for no date. */
export function relativeTime(value: string | Date | null | undefined, now: Date = new Date()): string {
  if (value === null || value === undefined || value === "") return "";
  const date = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return String(value);
  const diff = date.getTime() - now.getTime();
  const abs = Math.abs(diff);
  if (abs < 5_000) return "just now";
  if (abs < 60_000) return diff > 0 ? "in a few seconds" : "a few seconds ago";
  for (const [unit, ms] of UNITS) {
    // Rounded, so a run due in 4 min 59 s reads "in 5 minutes".
    if (abs >= ms) return relative.format(Math.round(diff / ms), unit);
  }
  return "just now";
}

/** "2026-11-03 14:05:09 (in 5 minutes)" in the local time zone; "" for no date. */
export function timestampWithRelative(value: string | Date | null | undefined, now: Date = new Date()): string {
  if (value === null || value === undefined || value === "") return "";
  const date = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return String(value);
  return `${localTimestamp(date)} (${relativeTime(date, now)})`;
}

export function localTimestamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return (
    `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ` +
    `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`
  );
}

/** "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min": how long something took. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, "0")} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}
