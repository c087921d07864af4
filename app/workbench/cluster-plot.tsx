/** A 2-D projection of clustered points as inline SVG: one colour per cluster, scaled to fit. */

export interface PlotPoint {
  x: number;
  y: number;
  cluster: number;
}

const COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];
const SIZE = 320;
const PAD = 12;

export function ClusterPlot({ points }: { points: PlotPoint[] }) {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => PAD + ((x - minX) / (maxX - minX || 1)) * (SIZE - 2 * PAD);
  // SVG's y grows downwards; flip so the plot reads like a chart.
  const sy = (y: number) => SIZE - PAD - ((y - minY) / (maxY - minY || 1)) * (SIZE - 2 * PAD);
  const clusters = new Set(points.map((p) => p.cluster)).size;
  return (
    <svg
      width={SIZE}
      height={SIZE}
      viewBox={`0 0 ${SIZE} ${SIZE}`}
      role="img"
      aria-label={`${points.length} points in ${clusters} clusters, 2-D projection`}
      data-testid="cluster-plot"
      className="cluster-plot"
    >
      <rect width={SIZE} height={SIZE} fill="none" stroke="currentColor" strokeOpacity={0.2} />
      {points.map((p, i) => (
        <circle key={i} cx={sx(p.x)} cy={sy(p.y)} r={4} fill={COLOURS[p.cluster % COLOURS.length]} fillOpacity={0.8} />
      ))}
    </svg>
  );
}
