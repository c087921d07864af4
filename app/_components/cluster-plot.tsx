"use client";
/**
 * A 2-D projection of clustered points, drawn by Observable Plot (the library of the dashboard's
 * runs chart and the metric charts) once the page is in the browser: one colour per cluster
 * (--series-N, Okabe–Ito first, set for light and dark), axes named by the projection's
 * components, each cluster's leading terms written at the middle of its points, and a legend of
 * the clusters with their sizes and terms.
 *
 * Hover a point and a tip gives its cluster, that cluster's terms and the point's text (a chunk's);
 * each point also carries it as its <title>. Accessible as the other charts are: the svg is an
 * image with a label and a description; the chart takes focus and ← → (Home, End) step through the
 * points, each shown in a tip and read out by a live region; a visually hidden table (rendered on
 * the server) lists the points.
 */
import * as Plot from "@observablehq/plot";
import { useEffect, useMemo, useRef } from "react";
import { useChartKeys, useElementWidth } from "./use-chart-keys";

export interface PlotPoint {
  x: number;
  y: number;
  cluster: number;
  /** What the point is (a chunk's text): shown on hover. */
  label?: string;
}

export interface PlotCluster {
  id: number;
  size: number;
  terms: string[];
}

const COLOURS = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `var(--series-${n})`);
const HEIGHT = 340;
const MAX_WIDTH = 520;
/** The hidden table lists this many points at most (a corpus can have thousands of chunks). */
const TABLE_ROWS = 200;
const LABEL_CHARS = 160;

export const clusterColour = (cluster: number) => COLOURS[cluster % COLOURS.length]!;

/** A point's hover text: its cluster, the cluster's first terms, then its own text (cut short). */
export function pointTitle(p: PlotPoint, termsOf: ReadonlyMap<number, string[]>): string {
  const terms = termsOf.get(p.cluster);
  const label = p.label ? `: ${p.label.length > LABEL_CHARS ? `${p.label.slice(0, LABEL_CHARS)}…` : p.label}` : "";
  return `cluster ${p.cluster}${terms?.length ? ` (${terms.slice(0, 3).join(", ")})` : ""}${label}`;
}

/** Each cluster's two leading terms at the mean of its points, so the plot names its groups. */
export function clusterCentres(points: readonly PlotPoint[], clusters: readonly PlotCluster[]): { id: number; x: number; y: number; text: string }[] {
  return clusters.flatMap((c) => {
    const own = points.filter((p) => p.cluster === c.id);
    if (!c.terms.length || own.length === 0) return [];
    return [{ id: c.id, x: own.reduce((s, p) => s + p.x, 0) / own.length, y: own.reduce((s, p) => s + p.y, 0) / own.length, text: c.terms.slice(0, 2).join(", ") }];
  });
}

const NO_CLUSTERS: PlotCluster[] = [];
const COMPONENTS: [string, string] = ["component 1", "component 2"];

/**
 * The same data as last render, when only its arrays are new (a parent re-rendering the same
 * result): so Plot redraws when the points change, not whenever the page does.
 */
function useSameData<T>(value: T, key: string): T {
  const last = useRef<{ key: string; value: T } | null>(null);
  if (last.current?.key !== key) last.current = { key, value };
  return last.current.value;
}

function dataKey(points: readonly PlotPoint[], clusters: readonly PlotCluster[]): string {
  let h = 0;
  for (const p of points) h = (h * 31 + p.x * 1e6 + p.y * 1e3 + p.cluster + (p.label?.length ?? 0)) % 2_147_483_647;
  return `${points.length}:${h}:${JSON.stringify(clusters)}`;
}

export function ClusterPlot(props: { points: PlotPoint[]; clusters?: PlotCluster[]; axes?: [string, string] }) {
  const { points, clusters } = useSameData({ points: props.points, clusters: props.clusters ?? NO_CLUSTERS }, dataKey(props.points, props.clusters ?? NO_CLUSTERS));
  const [xLabel, yLabel] = props.axes ?? COMPONENTS;
  const axes: [string, string] = [xLabel, yLabel];
  const container = useRef<HTMLDivElement>(null);
  const width = Math.min(MAX_WIDTH, useElementWidth(container));
  const { selected, onKeyDown, clear } = useChartKeys(points.length);
  const termsOf = useMemo(() => new Map(clusters.map((c) => [c.id, c.terms])), [clusters]);
  const ids = useMemo(() => [...new Set([...clusters.map((c) => c.id), ...points.map((p) => p.cluster)])].sort((a, b) => a - b), [points, clusters]);
  const label = `${points.length} points in ${ids.length} clusters, 2-D projection`;
  const description = `${xLabel} across, ${yLabel} up. ${clusters.map((c) => `cluster ${c.id}: ${c.size} points${c.terms.length ? ` (${c.terms.slice(0, 3).join(", ")})` : ""}`).join("; ")}. Focus the plot and use the arrow keys to read each point.`;

  useEffect(() => {
    const el = container.current;
    if (!el || width === 0) return;
    const title = (p: PlotPoint) => pointTitle(p, termsOf);
    // In a tip the cluster goes on its own line, the text wrapped below it.
    const tipText = (p: PlotPoint) => title(p).replace(/^(cluster \d+(?: \([^)]*\))?): /, "$1\n");
    const tipStyle = { fill: "var(--surface)", stroke: "var(--border-strong)", lineWidth: 36, textOverflow: null } as const;
    const chosen = selected === null || !points[selected] ? [] : [points[selected]!];
    const svg = Plot.plot({
      width,
      height: HEIGHT,
      marginLeft: 44,
      marginBottom: 36,
      inset: 8,
      ariaLabel: label,
      ariaDescription: description,
      style: { color: "currentColor", background: "transparent", fontSize: "11px" },
      x: { label: xLabel, labelAnchor: "center", labelArrow: "none", grid: true, ticks: 5 },
      y: { label: yLabel, labelAnchor: "center", labelArrow: "none", grid: true, ticks: 5 },
      color: { type: "ordinal", domain: ids, range: ids.map(clusterColour) },
      marks: [
        Plot.dot(points, { x: "x", y: "y", fill: "cluster", r: 4, fillOpacity: 0.8, title, className: "cluster-points" }),
        Plot.text(clusterCentres(points, clusters), { x: "x", y: "y", text: "text", fontWeight: 600, fill: "currentColor", stroke: "var(--surface)", strokeWidth: 3, pointerEvents: "none", className: "cluster-terms" }),
        Plot.tip(points, Plot.pointer({ x: "x", y: "y", title: tipText, ...tipStyle, className: "cluster-tip" })),
        // The point chosen with the keyboard: a ring, and its text in a tip.
        Plot.dot(chosen, { x: "x", y: "y", r: 8, stroke: "currentColor", strokeWidth: 2, fill: "none", ariaHidden: "true" }),
        Plot.tip(chosen, { x: "x", y: "y", title: tipText, ...tipStyle }),
      ],
    });
    svg.setAttribute("role", "img");
    svg.setAttribute("data-testid", "cluster-plot");
    svg.classList.add("cluster-plot");
    svg.querySelectorAll("g.cluster-points circle").forEach((c) => c.setAttribute("data-testid", "plot-point"));
    svg.querySelectorAll("g.cluster-terms text").forEach((t) => t.setAttribute("data-testid", "plot-cluster-label"));
    el.replaceChildren(svg);
    return () => svg.remove();
  }, [points, clusters, ids, termsOf, xLabel, yLabel, width, selected, label, description]);

  const announced = selected === null || !points[selected] ? "" : `point ${selected + 1} of ${points.length}, ${pointTitle(points[selected]!, termsOf)}`;

  return (
    <figure className="cluster-figure">
      <div
        ref={container}
        className="cluster-plot-area"
        tabIndex={0}
        role="group"
        aria-label={`${label}: chart. Use the left and right arrow keys to read each point`}
        onKeyDown={onKeyDown}
        onBlur={clear}
        style={{ minHeight: HEIGHT }}
      />
      <p className="visually-hidden" aria-live="polite" data-testid="cluster-plot-announcement">
        {announced}
      </p>
      {clusters.length ? (
        <figcaption>
          <ul className="cluster-legend" aria-label="Clusters" data-testid="cluster-legend">
            {clusters.map((c) => (
              <li key={c.id}>
                <span className="swatch" style={{ background: clusterColour(c.id) }} aria-hidden="true" /> cluster {c.id} ({c.size})
                {c.terms.length ? `: ${c.terms.join(", ")}` : ""}
              </li>
            ))}
          </ul>
        </figcaption>
      ) : null}
      <table className="visually-hidden" data-testid="cluster-plot-table">
        <caption>
          {label}: {points.length > TABLE_ROWS ? `the first ${TABLE_ROWS} points` : "every point"}
        </caption>
        <thead>
          <tr>
            <th scope="col">Point</th>
            <th scope="col">Cluster</th>
            <th scope="col">{axes[0]}</th>
            <th scope="col">{axes[1]}</th>
            <th scope="col">Text</th>
          </tr>
        </thead>
        <tbody>
          {points.slice(0, TABLE_ROWS).map((p, i) => (
            <tr key={i}>
              <th scope="row">{i + 1}</th>
              <td>{pointTitle({ ...p, label: undefined }, termsOf)}</td>
              <td>{p.x.toFixed(3)}</td>
              <td>{p.y.toFixed(3)}</td>
              <td>{p.label ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
