"use client";
/**
 * One metric chart (loss with val_loss, accuracy with val_accuracy…), drawn by Observable Plot —
 * the library the dashboard's runs chart uses — once the page is in the browser: a line per
 * series (every other one dashed, so they part without colour), points on a short series, a
 * legend with each series' latest value.
 *
 * Accessible three ways, as the runs chart: the svg is an image with a label and a description;
 * a visually hidden table (rendered on the server) holds every point; and the chart takes focus:
 * ← and → (Home, End) step through the steps, each shown in a tip with every series' value and
 * read out by a live region. A pointer gets Plot's own tip. Colours are the --series-N CSS
 * variables (Okabe–Ito, set for light and dark), text and axes currentColor.
 */
import * as Plot from "@observablehq/plot";
import { useEffect, useMemo, useRef } from "react";
import { useChartKeys, useElementWidth } from "./use-chart-keys";
import { formatMetric, niceTicks, type MetricChart as Chart } from "@/app/_lib/metrics";

const HEIGHT = 220;
const COLOURS = [1, 2, 3, 4, 5, 6].map((n) => `var(--series-${n})`);
/** Markers help a short series (a few epochs) read as points, not a bare line. */
const MAX_MARKED_POINTS = 40;

interface Point {
  series: string;
  x: number;
  y: number;
}

export function MetricChart({ chart }: { chart: Chart }) {
  const container = useRef<HTMLDivElement>(null);
  const width = useElementWidth(container);
  const steps = useMemo(() => [...new Set(chart.series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b), [chart]);
  /** The step chosen with the keyboard, as an index into `steps` (null: none). */
  const { selected, onKeyDown, clear } = useChartKeys(steps.length);
  const label = `${chart.title} by ${chart.xLabel}`;
  const description = `${chart.series.map((s) => `${s.name}: ${s.points.length} point${s.points.length === 1 ? "" : "s"}${s.points.length ? `, last ${formatMetric(s.points.at(-1)!.y)} at ${chart.xLabel} ${formatMetric(s.points.at(-1)!.x)}` : ""}`).join("; ")}. Focus the chart and use the arrow keys to read each ${chart.xLabel}; the table after it lists every point.`;
  const valuesAt = (x: number) => chart.series.map((s) => ({ name: s.name, y: s.points.find((p) => p.x === x)?.y }));

  useEffect(() => {
    const el = container.current;
    if (!el || width === 0) return;
    const all: Point[] = chart.series.flatMap((s) => s.points.map((p) => ({ series: s.name, ...p })));
    const integerSteps = all.every((p) => Number.isInteger(p.x));
    const chosenX = selected === null ? undefined : steps[selected];
    const chosen = chosenX === undefined ? [] : [{ x: chosenX, y: Math.max(...all.filter((p) => p.x === chosenX).map((p) => p.y)), text: [`${chart.xLabel} ${formatMetric(chosenX)}`, ...valuesAt(chosenX).filter((v) => v.y !== undefined).map((v) => `${v.name}: ${formatMetric(v.y!)}`)].join("\n") }];
    const svg = Plot.plot({
      width,
      height: HEIGHT,
      marginLeft: 52,
      marginBottom: 34,
      ariaLabel: label,
      ariaDescription: description,
      style: { color: "currentColor", background: "transparent", fontSize: "11px" },
      x: { label: chart.xLabel, labelAnchor: "center", labelArrow: "none", tickFormat: formatMetric, ...(integerSteps && steps.length ? { ticks: niceTicks(steps[0]!, steps.at(-1)!, 6).filter(Number.isInteger) } : {}) },
      y: { label: null, grid: true, nice: true, tickFormat: formatMetric },
      marks: [
        ...chart.series.flatMap((s, i) => [
          Plot.line(s.points, { x: "x", y: "y", stroke: COLOURS[i % COLOURS.length], strokeWidth: 2, strokeDasharray: i % 2 ? "5 3" : undefined, className: `metric-line-${i}`, ariaDescription: s.name }),
          ...(s.points.length <= MAX_MARKED_POINTS ? [Plot.dot(s.points, { x: "x", y: "y", r: 2.5, fill: COLOURS[i % COLOURS.length], ariaHidden: "true" })] : []),
        ]),
        Plot.tip(all, Plot.pointer({ x: "x", y: "y", title: (p: Point) => `${p.series}: ${formatMetric(p.y)}\n${chart.xLabel} ${formatMetric(p.x)}`, fill: "var(--surface)", stroke: "var(--border-strong)" })),
        // The step chosen with the keyboard: a rule, and its values in a tip.
        Plot.ruleX(chosen, { x: "x", stroke: "currentColor", strokeOpacity: 0.5 }),
        Plot.tip(chosen, { x: "x", y: "y", title: "text", fill: "var(--surface)", stroke: "var(--border-strong)" }),
      ],
    });
    svg.setAttribute("role", "img");
    // Each series' line, findable by name (tests, and anyone styling one).
    chart.series.forEach((s, i) => {
      const g = svg.querySelector(`g.metric-line-${i}`);
      g?.setAttribute("data-testid", "metric-series");
      g?.setAttribute("data-series", s.name);
    });
    el.replaceChildren(svg);
    return () => svg.remove();
    // valuesAt reads `chart`, already a dependency.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [chart, steps, width, selected, label, description]);

  const chosenX = selected === null ? undefined : steps[selected];
  const announced =
    chosenX === undefined
      ? ""
      : `${chart.xLabel} ${formatMetric(chosenX)}: ${valuesAt(chosenX)
          .filter((v) => v.y !== undefined)
          .map((v) => `${v.name} ${formatMetric(v.y!)}`)
          .join(", ")}`;
  const titleId = `metric-${chart.title.replace(/[^a-z0-9]+/gi, "-")}`;

  return (
    <figure className="metric-chart" data-testid="metric-chart" data-metric={chart.title} aria-labelledby={titleId}>
      <figcaption id={titleId}>{chart.title}</figcaption>
      <div
        ref={container}
        className="metric-chart-plot"
        tabIndex={0}
        role="group"
        aria-label={`${label}: chart. Use the left and right arrow keys to read each ${chart.xLabel}`}
        onKeyDown={onKeyDown}
        onBlur={clear}
        style={{ minHeight: HEIGHT }}
      />
      <p className="visually-hidden" aria-live="polite" data-testid="metric-chart-announcement">
        {announced}
      </p>
      <ul className="chart-legend">
        {chart.series.map((s, i) => {
          const last = s.points[s.points.length - 1];
          return (
            <li key={s.name}>
              <span className={`legend-swatch${i % 2 ? " legend-dashed" : ""}`} style={{ borderColor: COLOURS[i % COLOURS.length] }} aria-hidden="true" />
              {s.name}
              {last ? (
                <span className="muted">
                  {" "}
                  {formatMetric(last.y)} at {chart.xLabel} {formatMetric(last.x)}
                </span>
              ) : null}
            </li>
          );
        })}
      </ul>
      <table className="visually-hidden">
        <caption>{label}: every point</caption>
        <thead>
          <tr>
            <th scope="col">{chart.xLabel}</th>
            {chart.series.map((s) => (
              <th scope="col" key={s.name}>
                {s.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {steps.map((x) => (
            <tr key={x}>
              <th scope="row">{formatMetric(x)}</th>
              {valuesAt(x).map((v) => (
                <td key={v.name}>{v.y === undefined ? "" : formatMetric(v.y)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
