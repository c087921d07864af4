/**
 * One metric chart as inline SVG: x and y axes with round ticks, a line per series (loss and
 * val_loss together), a legend with each series' latest value. Rendered on the server: no
 * chart library, no script, and it prints. The legend doubles as the text alternative.
 */
import { formatMetric, niceTicks, type MetricChart as Chart } from "@/app/_lib/metrics";

const WIDTH = 520;
const HEIGHT = 220;
const MARGIN = { top: 12, right: 16, bottom: 36, left: 56 };
/** Colour-blind-safe pairs (Okabe–Ito), in series order: globals.css's --series-N, light and dark. */
const COLOURS = [1, 2, 3, 4, 5, 6].map((n) => `var(--series-${n})`);
/** Markers help a short series (a few epochs) read as points, not a bare line. */
const MAX_MARKED_POINTS = 40;

export function MetricChart({ chart }: { chart: Chart }) {
  const all = chart.series.flatMap((s) => s.points);
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const xTicks = niceTicks(Math.min(...xs), Math.max(...xs), 6);
  const yTicks = niceTicks(Math.min(...ys), Math.max(...ys), 4);
  const [x0, x1] = [xTicks[0]!, xTicks[xTicks.length - 1]!];
  const [y0, y1] = [yTicks[0]!, yTicks[yTicks.length - 1]!];
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + ((x - x0) / (x1 - x0 || 1)) * plotW;
  const sy = (y: number) => MARGIN.top + plotH - ((y - y0) / (y1 - y0 || 1)) * plotH;
  const titleId = `metric-${chart.title.replace(/[^a-z0-9]+/gi, "-")}`;
  // Integer steps only get integer ticks (epoch 1, 2, 3 rather than 1.5).
  const xTickValues = xs.every(Number.isInteger) ? xTicks.filter(Number.isInteger) : xTicks;

  return (
    <figure className="metric-chart" data-testid="metric-chart" data-metric={chart.title} aria-labelledby={titleId}>
      <figcaption id={titleId}>{chart.title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${chart.title} by ${chart.xLabel}: ${chart.series.map((s) => s.name).join(", ")}`}>
        <g className="chart-grid" aria-hidden="true">
          {yTicks.map((t) => (
            <g key={`y${t}`}>
              <line x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={sy(t)} y2={sy(t)} />
              <text x={MARGIN.left - 6} y={sy(t)} dy="0.32em" textAnchor="end">
                {formatMetric(t)}
              </text>
            </g>
          ))}
          {xTickValues.map((t) => (
            <g key={`x${t}`}>
              <line className="chart-tick" x1={sx(t)} x2={sx(t)} y1={MARGIN.top + plotH} y2={MARGIN.top + plotH + 4} />
              <text x={sx(t)} y={MARGIN.top + plotH + 16} textAnchor="middle">
                {formatMetric(t)}
              </text>
            </g>
          ))}
          <line className="chart-axis" x1={MARGIN.left} x2={MARGIN.left} y1={MARGIN.top} y2={MARGIN.top + plotH} />
          <line className="chart-axis" x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={MARGIN.top + plotH} y2={MARGIN.top + plotH} />
          <text className="chart-label" x={MARGIN.left + plotW / 2} y={HEIGHT - 4} textAnchor="middle">
            {chart.xLabel}
          </text>
        </g>
        {chart.series.map((s, i) => {
          const colour = COLOURS[i % COLOURS.length];
          const d = s.points.map((p, j) => `${j ? "L" : "M"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join("");
          return (
            <g key={s.name} data-testid="metric-series" data-series={s.name}>
              <path d={d} fill="none" style={{ stroke: colour }} strokeWidth={2} strokeDasharray={i % 2 ? "5 3" : undefined} />
              {s.points.length <= MAX_MARKED_POINTS
                ? s.points.map((p) => <circle key={p.x} cx={sx(p.x)} cy={sy(p.y)} r={2.5} style={{ fill: colour }} />)
                : null}
            </g>
          );
        })}
      </svg>
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
    </figure>
  );
}
