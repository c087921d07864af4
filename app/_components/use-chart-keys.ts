"use client";
/**
 * What the Observable Plot charts (runs-chart.tsx, metric-chart.tsx) share around Plot itself:
 * the width of the element Plot draws into, followed as it resizes, and reading the chart with
 * the keyboard — ← and → step through its points (the first press lands on the last one), Home
 * and End jump to the ends, Escape lets go.
 */
import { useCallback, useEffect, useState, type KeyboardEvent, type RefObject } from "react";

export function useElementWidth(ref: RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry?.contentRect.width ?? 0)));
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}

/** The index chosen with the keyboard among `count` points (null: none), and the key handler that moves it. */
export function useChartKeys(count: number): { selected: number | null; onKeyDown(event: KeyboardEvent<HTMLElement>): void; clear(): void } {
  const [selected, setSelected] = useState<number | null>(null);
  const onKeyDown = useCallback(
    (event: KeyboardEvent<HTMLElement>) => {
      const last = count - 1;
      if (last < 0) return;
      const move: Record<string, (i: number | null) => number | null> = {
        ArrowRight: (i) => (i === null ? last : Math.min(last, i + 1)),
        ArrowLeft: (i) => (i === null ? last : Math.max(0, i - 1)),
        Home: () => 0,
        End: () => last,
        Escape: () => null,
      };
      const step = move[event.key];
      if (!step) return;
      event.preventDefault();
      setSelected(step);
    },
    [count],
  );
  const clear = useCallback(() => setSelected(null), []);
  return { selected, onKeyDown, clear };
}
