"use client";
/**
 * Runs by state over time: stacked bars (one per bucket, a segment per state, coloured as the
 * state badges are), drawn by Observable Plot into a div once the page is in the browser.
 *
 * Accessible three ways: the svg is an image with a label and a description (the totals); the
 * table after it (visually hidden, rendered on the server) is the text alternative with every
 * count; and the chart takes focus: ← and → (Home, End) step through the buckets, each shown in
 * a tip and read out by a live region. A pointer gets Plot's own tips.
 *
 * Colours are CSS variables (dashboard.css), text and axes currentColor, the tip's box the
 * surface colour: the chart follows the page's theme, light or dark.
 */
import * as Plot from "@observablehq/plot";
import { useEffect, useMemo, useRef } from "react";
import { useChartKeys, useElementWidth } from "./use-chart-keys";
import { LocalTime } from "@/app/_components/local-time";
import { stateTypeLabel } from "@/app/_components/state-badge";
import { stateColour } from "@/app/_lib/state-colour";
import { STATE_TYPES, type StateType } from "@/app/_lib/trpc-types";
import { wholeTicks } from "@/app/_lib/whole-ticks";
import "./dashboard.css";


export interface RunsChartBucket {
  start: string;
  counts: Record<StateType, number>;
}

const HEIGHT = 240;

interface Segment {
  start: Date;
  end: Date;
  state: string;
  count: number;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
const hourFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/** The keyboard tip: the period, then a line per state. */
function bucketTip(start: Date, end: Date, counts: Record<StateType, number>): string {
  const total = STATE_TYPES.reduce((sum, t) => sum + counts[t], 0);
  const lines = STATE_TYPES.filter((t) => counts[t] > 0).map((t) => `${stateTypeLabel(t)}: ${counts[t]}`);
  return [`${timeFormat.format(start)} – ${hourFormat.format(end)}`, total === 0 ? "No runs" : `${total} run${total === 1 ? "" : "s"}`, ...lines].join("\n");
}

/** The same, in one sentence for the live region. */
function bucketText(start: Date, end: Date, counts: Record<StateType, number>): string {
  const parts = STATE_TYPES.filter((t) => counts[t] > 0).map((t) => `${counts[t]} ${stateTypeLabel(t).toLowerCase()}`);
  const total = STATE_TYPES.reduce((sum, t) => sum + counts[t], 0);
  return `${timeFormat.format(start)} – ${hourFormat.format(end)}: ${total === 0 ? "no runs" : `${total} run${total === 1 ? "" : "s"}${parts.length ? ` (${parts.join(", ")})` : ""}`}`;
}

export function RunsChart({
  buckets,
  bucketSeconds,
  windowLabel,
}: {
  buckets: RunsChartBucket[];
  bucketSeconds: number;
  /** "Last 24 hours": names the chart. */
  windowLabel: string;
}) {
  const container = useRef<HTMLDivElement>(null);
  const width = useElementWidth(container);
  /** The bucket chosen with the keyboard (null: none; a pointer uses Plot's tips). */
  const { selected, onKeyDown, clear } = useChartKeys(buckets.length);

  // States present in the window, in the badges' order; the others stay out of the legend.
  const present = useMemo(() => STATE_TYPES.filter((t) => buckets.some((b) => b.counts[t] > 0)), [buckets]);
  const totals = useMemo(() => Object.fromEntries(STATE_TYPES.map((t) => [t, buckets.reduce((s, b) => s + b.counts[t], 0)])) as Record<StateType, number>, [buckets]);
  const total = present.reduce((s, t) => s + totals[t], 0);
  const label = `Runs by state, ${windowLabel.toLowerCase()}`;
  const description = `Stacked bars of the runs created in each ${bucketSeconds >= 3600 ? `${bucketSeconds / 3600}-hour` : `${bucketSeconds / 60}-minute`} period, by the state they are in now. ${total} run${total === 1 ? "" : "s"} in all${present.length ? `: ${present.map((t) => `${totals[t]} ${stateTypeLabel(t).toLowerCase()}`).join(", ")}` : ""}. The table after the chart lists every count; focus the chart and use the arrow keys to read each period.`;

  useEffect(() => {
    const el = container.current;
    if (!el || width === 0) return;
    const stepMs = bucketSeconds * 1000;
    const segments: Segment[] = buckets.flatMap((b) => {
      const start = new Date(b.start);
      const end = new Date(start.getTime() + stepMs);
      return present.filter((t) => b.counts[t] > 0).map((t) => ({ start, end, state: t, count: b.counts[t] }));
    });
    const chosen = selected === null ? undefined : buckets[selected];
    const chosenDatum = chosen
      ? (() => {
          const start = new Date(chosen.start);
          const end = new Date(start.getTime() + stepMs);
          return [{ start, end, mid: new Date(start.getTime() + stepMs / 2), total: STATE_TYPES.reduce((s, t) => s + chosen.counts[t], 0), text: bucketTip(start, end, chosen.counts) }];
        })()
      : [];
    const yTicks = wholeTicks(Math.max(0, ...buckets.map((b) => STATE_TYPES.reduce((sum, t) => sum + b.counts[t], 0))));
    const first = buckets[0] ? new Date(buckets[0].start) : new Date();
    const last = buckets.at(-1) ? new Date(new Date(buckets.at(-1)!.start).getTime() + stepMs) : new Date();

    const chart = Plot.plot({
      width,
      height: HEIGHT,
      marginLeft: 44,
      marginBottom: 36,
      ariaLabel: label,
      ariaDescription: description,
      style: { color: "currentColor", background: "transparent", fontSize: "11px" },
      x: { type: "time", domain: [first, last], label: "Created", labelAnchor: "right" },
      // Whole runs only: with a handful of runs Plot's own ticks (0, 0.2 … 1) read "0 0 0 1 1 1".
      y: { label: "Runs", grid: true, tickFormat: "d", ticks: yTicks, domain: [0, yTicks.at(-1)!] },
      color: { domain: present, range: present.map(stateColour) },
      marks: [
        Plot.rectY(segments, {
          x1: "start",
          x2: "end",
          y: "count",
          fill: "state",
          order: present,
          inset: 0.5,
          title: (d: Segment) => `${stateTypeLabel(d.state as StateType)}: ${d.count} run${d.count === 1 ? "" : "s"}\n${timeFormat.format(d.start)} – ${hourFormat.format(d.end)}`,
          tip: { fill: "var(--surface)", stroke: "var(--border-strong)" },
        }),
        Plot.ruleY([0]),
        // The bucket chosen with the keyboard: outlined, with its counts in a tip.
        Plot.rectY(chosenDatum, { x1: "start", x2: "end", y: "total", fill: "none", stroke: "currentColor", strokeWidth: 1.5 }),
        Plot.tip(chosenDatum, { x: "mid", y: "total", title: "text", fill: "var(--surface)", stroke: "var(--border-strong)" }),
      ],
    });
    chart.setAttribute("role", "img");
    chart.classList.add("runs-chart-svg");
    el.replaceChildren(chart);
    return () => chart.remove();
  }, [buckets, bucketSeconds, present, width, selected, label, description, total]);

  const announced = selected !== null && buckets[selected]
    ? bucketText(new Date(buckets[selected].start), new Date(new Date(buckets[selected].start).getTime() + bucketSeconds * 1000), buckets[selected].counts)
    : "";

  return (
    <figure className="runs-chart" data-testid="runs-chart">
      <figcaption>
        <span className="runs-chart-title">{label}</span>
        <span className="muted"> · by creation time and current state</span>
      </figcaption>
      <ul className="runs-chart-legend" aria-label="Legend">
        {present.map((t) => (
          <li key={t}>
            <span className="runs-chart-swatch" style={{ background: stateColour(t) }} aria-hidden="true" />
            {stateTypeLabel(t)}
          </li>
        ))}
      </ul>
      <div
        ref={container}
        className="runs-chart-plot"
        tabIndex={0}
        role="group"
        aria-label={`${label}: chart. Use the left and right arrow keys to read each period`}
        onKeyDown={onKeyDown}
        onBlur={clear}
        style={{ minHeight: HEIGHT }}
      />
      <p className="visually-hidden" aria-live="polite" data-testid="runs-chart-announcement">
        {announced}
      </p>
      <table className="visually-hidden" data-testid="runs-chart-table">
        <caption>{label}: runs created in each period, by state</caption>
        <thead>
          <tr>
            <th scope="col">Period starting</th>
            {present.map((t) => (
              <th scope="col" key={t}>
                {stateTypeLabel(t)}
              </th>
            ))}
            <th scope="col">Total</th>
          </tr>
        </thead>
        <tbody>
          {buckets.map((b) => (
            <tr key={b.start}>
              <th scope="row">
                <LocalTime iso={b.start} />
              </th>
              {present.map((t) => (
                <td key={t}>{b.counts[t]}</td>
              ))}
              <td>{STATE_TYPES.reduce((s, t) => s + b.counts[t], 0)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
