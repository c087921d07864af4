/**
 * Metrics as charts. Workers store metrics as artifacts of type `metrics` with
 * `data.points = [{ name, value, step?, timestamp }]`, several artifacts per run as they flush.
 * Related series share a chart: `loss` with `val_loss`, `accuracy` with `val_accuracy`.
 */

export interface MetricPoint {
  name: string;
  value: number;
  step: number | null;
  timestamp: string | null;
}

export interface Series {
  name: string;
  /** x is the step when the worker gave one, else the point's order within its series. */
  points: { x: number; y: number }[];
}

export interface MetricChart {
  /** The shared base name ("loss" for loss and val_loss). */
  title: string;
  series: Series[];
  /** "step" when every point had one, else "point". */
  xLabel: string;
}

/** Every well-formed point of the run's metrics artifacts, oldest artifact first. */
export function metricPoints(artifacts: { type: string; data?: unknown; createdAt: string }[]): MetricPoint[] {
  const out: MetricPoint[] = [];
  const ordered = artifacts.filter((a) => a.type === "metrics").sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  for (const artifact of ordered) {
    const points = (artifact.data as { points?: unknown } | null)?.points;
    if (!Array.isArray(points)) continue;
    for (const p of points as Record<string, unknown>[]) {
      if (typeof p?.name !== "string" || typeof p.value !== "number" || !Number.isFinite(p.value)) continue;
      out.push({
        name: p.name,
        value: p.value,
        step: typeof p.step === "number" && Number.isFinite(p.step) ? p.step : null,
        timestamp: typeof p.timestamp === "string" ? p.timestamp : null,
      });
    }
  }
  return out;
}

const SPLIT_PREFIX = /^(val|valid|validation|train|training|test|eval)[_.\-/]/i;
const SPLIT_SUFFIX = /[_.\-/](val|valid|validation|train|training|test|eval)$/i;

/** "val_loss" → "loss", "accuracy/train" → "accuracy": the name a chart groups by. */
export function baseMetricName(name: string): string {
  return name.replace(SPLIT_PREFIX, "").replace(SPLIT_SUFFIX, "") || name;
}

export function metricCharts(points: MetricPoint[]): MetricChart[] {
  const bySeries = new Map<string, MetricPoint[]>();
  for (const p of points) bySeries.set(p.name, [...(bySeries.get(p.name) ?? []), p]);

  const charts = new Map<string, MetricChart>();
  for (const [name, list] of bySeries) {
    const stepped = list.every((p) => p.step !== null);
    // A step reported twice (a retried task) keeps its latest value.
    const byX = new Map<number, number>();
    list.forEach((p, i) => byX.set(stepped ? p.step! : i, p.value));
    const series: Series = { name, points: [...byX].sort((a, b) => a[0] - b[0]).map(([x, y]) => ({ x, y })) };
    const title = baseMetricName(name);
    const chart = charts.get(title) ?? { title, series: [], xLabel: "step" };
    if (!stepped) chart.xLabel = "point";
    chart.series.push(series);
    charts.set(title, chart);
  }
  // The plain name first in each chart (loss before val_loss), charts in name order.
  for (const chart of charts.values()) {
    chart.series.sort((a, b) => Number(a.name !== chart.title) - Number(b.name !== chart.title) || a.name.localeCompare(b.name));
  }
  return [...charts.values()].sort((a, b) => a.title.localeCompare(b.title));
}

/** About `count` round tick values covering [min, max] (1, 2, 5 × 10ⁿ steps). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) {
    const pad = Math.abs(min) * 0.1 || 1;
    return niceTicks(min - pad, max + pad, count);
  }
  const raw = (max - min) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

/** 0.123456 → "0.1235", 12345 → "12,345", 1.5e-7 → "1.5e-7". */
export function formatMetric(value: number): string {
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e7)) return value.toExponential(2).replace(/\.?0+e/, "e").replace("e+", "e");
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return String(Number(value.toPrecision(4)));
}
