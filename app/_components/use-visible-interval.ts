"use client";
/**
 * Calls `tick` every `intervalMs` while `enabled` and the tab is visible. Ticks never overlap
 * (setTimeout chained after each finishes), a hidden tab costs nothing, and coming back to the
 * tab ticks at once so the page is fresh when the reader looks.
 */
import { useEffect, useRef } from "react";

export function useVisibleInterval(tick: () => Promise<void> | void, intervalMs: number, enabled: boolean): void {
  const tickRef = useRef(tick);
  useEffect(() => {
    tickRef.current = tick;
  });

  useEffect(() => {
    if (!enabled) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    let stopped = false;
    const run = async () => {
      clearTimeout(timer);
      if (stopped || running) return;
      if (document.visibilityState === "visible") {
        running = true;
        try {
          await tickRef.current();
        } catch {
          // A failed poll (server restarting, network blip) is retried on the next tick.
        } finally {
          running = false;
        }
      }
      if (!stopped) timer = setTimeout(run, intervalMs);
    };
    const onVisibility = () => {
      if (document.visibilityState === "visible") void run();
    };
    timer = setTimeout(run, intervalMs);
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisibility);
    };
  }, [intervalMs, enabled]);
}
