/**
 * Mini-batch k-means (Sculley 2010, "Web-scale k-means clustering"): centres move towards small
 * random batches with a per-centre learning rate of 1/(points it has taken so far). On many
 * points it brings the seeds most of the way to a Lloyd optimum for the price of a fraction of
 * one full pass; it is only a start — kmeans() always refines its result with full Lloyd
 * (Hamerly) iterations to convergence, so the final clusters are a Lloyd fixed point and the
 * inertia is not left at mini-batch's (usually worse) level.
 *
 * Seeded: the batches are drawn from the given Rng, so the result is the same for a seed.
 */
import { distancesToAll, squaredNorms } from "./kmeans-kernels";
import type { Rng } from "./random";

export interface MiniBatchOptions {
  batchSize: number;
  /** Number of batches. */
  steps: number;
  rng: Rng;
  pointNorms?: Float64Array;
  signal?: AbortSignal;
}

export function miniBatch(points: Float32Array, dim: number, start: Float32Array, options: MiniBatchOptions): Float32Array {
  const n = points.length / dim;
  const k = start.length / dim;
  const pointNorms = options.pointNorms ?? squaredNorms(points, dim);
  const centres = Float64Array.from(start);
  const view = Float32Array.from(start);
  const counts = new Float64Array(k);
  const d = new Float64Array(k);
  const batch = new Int32Array(Math.min(options.batchSize, n));
  const nearest = new Int32Array(batch.length);
  for (let step = 0; step < options.steps; step++) {
    options.signal?.throwIfAborted();
    const centreNorms = squaredNorms(view, dim);
    for (let b = 0; b < batch.length; b++) {
      const i = options.rng.int(n);
      batch[b] = i;
      distancesToAll(points, i, pointNorms[i]!, view, centreNorms, k, dim, d);
      let best = 0;
      for (let c = 1; c < k; c++) if (d[c]! < d[best]!) best = c;
      nearest[b] = best;
    }
    // Assign the whole batch against the same centres first, then move them (as Sculley's algorithm).
    for (let b = 0; b < batch.length; b++) {
      const c = nearest[b]!;
      counts[c]!++;
      const rate = 1 / counts[c]!;
      const p = batch[b]! * dim;
      const q = c * dim;
      for (let j = 0; j < dim; j++) centres[q + j]! += rate * (points[p + j]! - centres[q + j]!);
    }
    view.set(centres);
  }
  return view;
}
