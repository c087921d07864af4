"use client";
/**
 * Windowing for long lists of fixed-height rows (a run's ten thousand task runs, its log lines):
 * only the rows in view of the scrolling box, and a few either side, are in the DOM; spacers of
 * the right height above and below keep the scroll bar true. Off (every row rendered) for short
 * lists, so their markup stays plain.
 */
import { useLayoutEffect, useRef, useState } from "react";

export interface RowWindow {
  /** Put on the scrolling element (fixed height, overflow auto). */
  ref: React.RefObject<HTMLDivElement | null>;
  /** The rows to render: [start, end). */
  start: number;
  end: number;
  /** Heights of the spacers before and after them, in px. */
  padTop: number;
  padBottom: number;
  windowed: boolean;
}

/** Rows rendered before the box has been measured (the server render, the first paint). */
const FIRST_PAINT_ROWS = 60;

export function useWindowedRows({ count, rowHeight, threshold = 200, overscan = 12 }: { count: number; rowHeight: number; threshold?: number; overscan?: number }): RowWindow {
  const ref = useRef<HTMLDivElement>(null);
  const windowed = count > threshold;
  const [range, setRange] = useState({ start: 0, end: FIRST_PAINT_ROWS });

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || !windowed) return;
    let frame = 0;
    const measure = () => {
      frame = 0;
      const start = Math.max(0, Math.floor(el.scrollTop / rowHeight) - overscan);
      const end = Math.ceil((el.scrollTop + el.clientHeight) / rowHeight) + overscan;
      setRange((r) => (r.start === start && r.end === end ? r : { start, end }));
    };
    // One update per frame however fast the wheel turns.
    const onScroll = () => {
      if (!frame) frame = requestAnimationFrame(measure);
    };
    measure();
    el.addEventListener("scroll", onScroll, { passive: true });
    const resize = new ResizeObserver(onScroll);
    resize.observe(el);
    return () => {
      el.removeEventListener("scroll", onScroll);
      resize.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [windowed, rowHeight, overscan, count]);

  if (!windowed) return { ref, start: 0, end: count, padTop: 0, padBottom: 0, windowed };
  const end = Math.min(count, range.end);
  const start = Math.min(range.start, end);
  return { ref, start, end, padTop: start * rowHeight, padBottom: (count - end) * rowHeight, windowed };
}
