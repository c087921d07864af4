/**
 * Lloyd's iterations with Hamerly's bounds (Hamerly 2010, "Making k-means even faster"): each
 * point keeps an upper bound on the distance to its own centre and a lower bound on the distance
 * to any other; when its centre moved little and the others are far, the bounds prove the label
 * cannot change and no distance is computed. After the first iterations most points are skipped.
 *
 * Same iterations as lloyd() in kmeans.ts, point for point: the same centroid update (fresh
 * Float64 sums, so the centroids are bit-identical), the same stopping rule, and every label the
 * one the reference assignment gives — bounds are widened by the rounding of the expanded
 * distances, a point is skipped only on a strict margin, and near ties are settled with the
 * reference code (kmeans-kernels.ts). So a browser running Lloyd with a GPU assignment step and
 * Node running this give the same clusters.
 */
import { distancesToAll, distanceTo, expansionError, settleNearest, squaredNorms } from "./kmeans-kernels";
import { updateCentroids } from "./kmeans-update";

export interface HamerlyResult {
  labels: Int32Array;
  centroids: Float32Array;
  iterations: number;
  /** Point–centre distances computed, against n·k per iteration for plain Lloyd. */
  distances: number;
}

/** Relative slack on every bound test, far above the accumulated double rounding of the bounds. */
const SLACK = 1e-9;

export function hamerly(
  points: Float32Array,
  dim: number,
  start: Float32Array,
  maxIterations: number,
  tolerance: number,
  signal?: AbortSignal,
  pointNorms: Float64Array = squaredNorms(points, dim),
): HamerlyResult {
  const n = points.length / dim;
  const k = start.length / dim;
  const err = expansionError(dim);
  const labels = new Int32Array(n);
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  const d = new Float64Array(k);
  let centroids = start;
  let centreNorms = squaredNorms(centroids, dim);
  let distances = 0;

  // Full assignment of point i: its label and both bounds from all k distances.
  const assignFully = (i: number): number => {
    const xNorm = pointNorms[i]!;
    distancesToAll(points, i, xNorm, centroids, centreNorms, k, dim, d);
    distances += k;
    const best = settleNearest(points, i, xNorm, centroids, centreNorms, k, dim, d, err);
    let second = Infinity;
    for (let c = 0; c < k; c++) if (c !== best && d[c]! < second) second = d[c]!;
    upper[i] = Math.sqrt(Math.max(0, d[best]!) + err * (xNorm + centreNorms[best]!));
    // With k = 1 there is no other centre: the lower bound stays infinite.
    lower[i] = second === Infinity ? Infinity : Math.sqrt(Math.max(0, second - err * (xNorm + maxOf(centreNorms))));
    return best;
  };

  for (let i = 0; i < n; i++) labels[i] = assignFully(i);
  const moved = new Float64Array(k);
  const halfGap = new Float64Array(k);
  let iterations = 0;
  while (iterations < maxIterations) {
    signal?.throwIfAborted();
    iterations++;
    const next = updateCentroids(points, dim, labels, centroids);
    let shift = 0;
    let most = 0;
    let mostAt = -1;
    let secondMost = 0;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = c * dim; j < (c + 1) * dim; j++) s += (centroids[j]! - next[j]!) ** 2;
      shift += s;
      moved[c] = Math.sqrt(s) * (1 + SLACK);
      if (moved[c]! > most) {
        secondMost = most;
        most = moved[c]!;
        mostAt = c;
      } else if (moved[c]! > secondMost) secondMost = moved[c]!;
    }
    centroids = next;
    centreNorms = squaredNorms(centroids, dim);
    halfGaps(centroids, dim, k, halfGap);

    let changed = false;
    for (let i = 0; i < n; i++) {
      const a = labels[i]!;
      upper[i] = upper[i]! + moved[a]!;
      lower[i] = lower[i]! - (a === mostAt ? secondMost : most);
      const bound = Math.max(halfGap[a]!, lower[i]!) * (1 - SLACK);
      if (upper[i]! < bound) continue;
      // Tighten the upper bound with the one distance to the own centre, then test again.
      const xNorm = pointNorms[i]!;
      const own = distanceTo(points, i, xNorm, centroids, a, centreNorms[a]!, dim);
      distances++;
      upper[i] = Math.sqrt(Math.max(0, own) + err * (xNorm + centreNorms[a]!));
      if (upper[i]! < bound) continue;
      const label = assignFully(i);
      if (label !== a) {
        labels[i] = label;
        changed = true;
      }
    }
    if (!changed || shift <= tolerance) break;
  }
  return { labels, centroids, iterations, distances };
}

/** Half the distance from each centre to its nearest other centre (a lower bound on what it takes to leave it). */
function halfGaps(centroids: Float32Array, dim: number, k: number, out: Float64Array): void {
  out.fill(Infinity);
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += (centroids[a * dim + j]! - centroids[b * dim + j]!) ** 2;
      const half = Math.sqrt(s) / 2;
      if (half < out[a]!) out[a] = half;
      if (half < out[b]!) out[b] = half;
    }
  }
}

function maxOf(values: Float64Array): number {
  let m = 0;
  for (const v of values) if (v > m) m = v;
  return m;
}
