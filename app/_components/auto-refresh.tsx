"use client";
/**
 * Keeps a server-rendered page fresh while something on it is moving: re-renders it through
 * `router.refresh()` (one request, no full reload, scroll and focus kept). The page decides
 * when that is worth it and renders this only then, so idle pages make no requests.
 */
import { useRouter } from "next/navigation";
import { useVisibleInterval } from "./use-visible-interval";

export function AutoRefresh({ intervalMs = 2_000, label = "Live" }: { intervalMs?: number; label?: string }) {
  const router = useRouter();
  useVisibleInterval(() => router.refresh(), intervalMs, true);
  return (
    <span className="live-indicator" title={`Updating every ${Math.round(intervalMs / 1000)} s while this tab is visible`}>
      {label}
    </span>
  );
}
