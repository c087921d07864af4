/**
 * The k-means update step and the inertia, shared by plain Lloyd, Hamerly and the mini-batch
 * refinement so that every path computes centroids the same way (Float64 sums in point order).
 */

/** Means of the assigned points; an empty cluster takes the point farthest from its centroid. */
export function updateCentroids(points: Float32Array, dim: number, labels: Int32Array, previous: Float32Array): Float32Array {
  const k = previous.length / dim;
  const n = labels.length;
  const sums = new Float64Array(k * dim);
  const counts = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const c = labels[i]!;
    counts[c]!++;
    const p = i * dim;
    const q = c * dim;
    for (let j = 0; j < dim; j++) sums[q + j]! += points[p + j]!;
  }
  const next = new Float32Array(k * dim);
  const taken = new Set<number>();
  for (let c = 0; c < k; c++) {
    if (counts[c]! > 0) {
      for (let j = 0; j < dim; j++) next[c * dim + j] = sums[c * dim + j]! / counts[c]!;
      continue;
    }
    const far = farthestPoint(points, dim, labels, previous, taken);
    taken.add(far);
    next.set(points.subarray(far * dim, far * dim + dim), c * dim);
  }
  return next;
}

function farthestPoint(points: Float32Array, dim: number, labels: Int32Array, centroids: Float32Array, taken: Set<number>): number {
  let far = 0;
  let farDist = -1;
  for (let i = 0; i < labels.length; i++) {
    if (taken.has(i)) continue;
    let d = 0;
    const p = i * dim;
    const q = labels[i]! * dim;
    for (let j = 0; j < dim; j++) d += (points[p + j]! - centroids[q + j]!) ** 2;
    if (d > farDist) {
      farDist = d;
      far = i;
    }
  }
  return far;
}

export function inertia(points: Float32Array, dim: number, labels: Int32Array, centroids: Float32Array): number {
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = i * dim;
    const q = labels[i]! * dim;
    for (let j = 0; j < dim; j++) total += (points[p + j]! - centroids[q + j]!) ** 2;
  }
  return total;
}
