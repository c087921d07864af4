/**
 * A 2-D projection of clustered points as inline SVG: one colour per cluster, scaled to fit,
 * axes named by the projection's components, each point's text on hover (its <title>, which a
 * screen reader reads too, with its cluster's terms), each cluster's leading terms written at the
 * middle of its points, and a legend of the clusters with their sizes and terms.
 */

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

/** Colour-blind-safe (Okabe–Ito first), in cluster order: globals.css's --series-N, light and dark. */
const COLOURS = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `var(--series-${n})`);
const SIZE = 320;
const PAD = 24;

export const clusterColour = (cluster: number) => COLOURS[cluster % COLOURS.length]!;

export function ClusterPlot({ points, clusters, axes = ["component 1", "component 2"] }: { points: PlotPoint[]; clusters?: PlotCluster[]; axes?: [string, string] }) {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => PAD + ((x - minX) / (maxX - minX || 1)) * (SIZE - 2 * PAD);
  // SVG's y grows downwards; flip so the plot reads like a chart.
  const sy = (y: number) => SIZE - PAD - ((y - minY) / (maxY - minY || 1)) * (SIZE - 2 * PAD);
  const count = new Set(points.map((p) => p.cluster)).size;
  const termsOf = new Map((clusters ?? []).map((c) => [c.id, c.terms]));
  // Each cluster's two leading terms at the mean of its points, so the plot names its groups.
  const centres = (clusters ?? [])
    .filter((c) => c.terms.length)
    .map((c) => {
      const own = points.filter((p) => p.cluster === c.id);
      const x = own.reduce((s, p) => s + sx(p.x), 0) / Math.max(1, own.length);
      const y = own.reduce((s, p) => s + sy(p.y), 0) / Math.max(1, own.length);
      return { id: c.id, x, y, text: c.terms.slice(0, 2).join(", "), empty: own.length === 0 };
    })
    .filter((c) => !c.empty);
  return (
    <figure className="cluster-figure">
      <svg
        width={SIZE}
        height={SIZE}
        viewBox={`0 0 ${SIZE} ${SIZE}`}
        role="img"
        aria-label={`${points.length} points in ${count} clusters, 2-D projection`}
        data-testid="cluster-plot"
        className="cluster-plot"
      >
        <rect x={PAD / 2} y={PAD / 2} width={SIZE - PAD} height={SIZE - PAD} fill="none" stroke="currentColor" strokeOpacity={0.2} />
        <text x={SIZE / 2} y={SIZE - 4} textAnchor="middle" fontSize={10} fill="currentColor" opacity={0.7}>
          {axes[0]}
        </text>
        <text x={8} y={SIZE / 2} textAnchor="middle" fontSize={10} fill="currentColor" opacity={0.7} transform={`rotate(-90 8 ${SIZE / 2})`}>
          {axes[1]}
        </text>
        {points.map((p, i) => (
          <circle key={i} cx={sx(p.x)} cy={sy(p.y)} r={4} style={{ fill: clusterColour(p.cluster) }} fillOpacity={0.8} data-testid="plot-point">
            <title>{`cluster ${p.cluster}${termsOf.get(p.cluster)?.length ? ` (${termsOf.get(p.cluster)!.slice(0, 3).join(", ")})` : ""}${p.label ? `: ${p.label.length > 160 ? `${p.label.slice(0, 160)}…` : p.label}` : ""}`}</title>
          </circle>
        ))}
        {centres.map((c) => (
          <text key={`t${c.id}`} x={c.x} y={c.y} textAnchor="middle" fontSize={10} fontWeight={600} fill="currentColor" stroke="var(--surface)" strokeWidth={3} paintOrder="stroke" pointerEvents="none" data-testid="plot-cluster-label">
            {c.text}
          </text>
        ))}
      </svg>
      {clusters?.length ? (
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
    </figure>
  );
}
