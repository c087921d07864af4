"use client";
/**
 * A timestamp in the reader's own timezone. The server cannot know that timezone, so it renders
 * UTC; once hydrated, the browser shows local time (the exact instant stays in the tooltip).
 */
import { useSyncExternalStore } from "react";

const subscribe = () => () => {};

function useHydrated(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
}

const minuteFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});
const secondFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

function utcText(date: Date, seconds: boolean): string {
  return `${date.toISOString().slice(0, seconds ? 19 : 16).replace("T", " ")} UTC`;
}

/** "in 5 min", "3 h ago", from the browser's clock. */
export function relativeText(date: Date, now: number): string {
  const seconds = Math.round((date.getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  const [value, unit] =
    abs < 60 ? [abs, "s"] : abs < 3600 ? [Math.round(abs / 60), "min"] : abs < 172_800 ? [Math.round(abs / 3600), "h"] : [Math.round(abs / 86_400), "d"];
  if (abs < 5) return "now";
  return seconds > 0 ? `in ${value} ${unit}` : `${value} ${unit} ago`;
}

export function LocalTime({
  iso,
  relative = false,
  seconds = false,
}: {
  iso: string | null | undefined;
  /** Add "(in 5 min)" / "(3 h ago)". */
  relative?: boolean;
  /** Show seconds (logs, state changes). */
  seconds?: boolean;
}) {
  const hydrated = useHydrated();
  if (!iso) return <span className="muted">—</span>;
  const date = new Date(iso);
  const text = hydrated ? (seconds ? secondFormat : minuteFormat).format(date) : utcText(date, seconds);
  return (
    <time dateTime={iso} title={iso}>
      {text}
      {relative && hydrated ? <span className="muted"> ({relativeText(date, Date.now())})</span> : null}
    </time>
  );
}
