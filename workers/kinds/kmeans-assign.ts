/**
 * The k-means assignment step: each point to its nearest centroid (squared Euclidean).
 *
 * Kept as a pure function over flat Float32Arrays (row-major, `dim` columns) because it is the
 * one step worth moving to a GPU: a WebGPU kernel with the same signature (returning a Promise)
 * can be passed to kmeans() in its place. Ties go to the lower centroid index, which a GPU
 * kernel must copy for the two paths to give the same clusters.
 */
export type AssignFn = (
  points: Float32Array,
  centroids: Float32Array,
  dim: number,
) => Int32Array | Promise<Int32Array>;

export function assign(points: Float32Array, centroids: Float32Array, dim: number): Int32Array {
  const n = points.length / dim;
  const k = centroids.length / dim;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const p = i * dim;
    let best = 0;
    let bestDist = Infinity;
    for (let c = 0; c < k; c++) {
      const q = c * dim;
      let dist = 0;
      for (let j = 0; j < dim; j++) {
        const diff = points[p + j]! - centroids[q + j]!;
        dist += diff * diff;
      }
      if (dist < bestDist) {
        bestDist = dist;
        best = c;
      }
    }
    labels[i] = best;
  }
  return labels;
}

/** Squared distance between row i of `a` and row j of `b`. */
export function squaredDistance(a: Float32Array, i: number, b: Float32Array, j: number, dim: number): number {
  const p = i * dim;
  const q = j * dim;
  let dist = 0;
  for (let t = 0; t < dim; t++) {
    const diff = a[p + t]! - b[q + t]!;
    dist += diff * diff;
  }
  return dist;
}
