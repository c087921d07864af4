/**
 * Ticks for a count axis (runs, tasks): whole numbers only, about five of them, from 0 to the
 * largest count, one past it where the last step overshoots. With a handful of runs a linear
 * scale's own ticks (0, 0.2 … 1) formatted as whole numbers read "0 0 0 1 1 1".
 */
export function wholeTicks(largest: number, count = 5): number[] {
  const raw = Math.max(largest, 1) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, Math.ceil([1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude));
  const ticks: number[] = [];
  for (let v = 0; v < Math.max(largest, 1) + step; v += step) ticks.push(v);
  return ticks;
}
