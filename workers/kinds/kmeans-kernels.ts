/**
 * The distance loops behind the fast k-means paths (seeding, Hamerly, mini-batch), over flat
 * row-major Float32Arrays. Distances are expanded as ‖x‖² − 2x·c + ‖c‖² with the squared norms
 * computed once, so the inner loop is a dot product; a point is dotted with four centroids at a
 * time (one load of x feeds four independent sums), which is what V8 turns into the tightest
 * scalar code. All arithmetic is in doubles (a product of two float32 values is exact in a double).
 *
 * The expanded form cancels: its error is about dim·2⁻⁵³·(‖x‖² + ‖c‖²), not relative to the
 * distance itself. `expansionError` is a safe bound on it; the callers widen their bounds by it
 * and settle anything closer than that with the reference code (kmeans-assign.ts), so the fast
 * paths decide every point as plain Lloyd would.
 */

/** Squared norm of each row. */
export function squaredNorms(rows: Float32Array, dim: number): Float64Array {
  const n = rows.length / dim;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = i * dim;
    let s0 = 0;
    let s1 = 0;
    let j = 0;
    for (; j + 2 <= dim; j += 2) {
      const a = rows[p + j]!;
      const b = rows[p + j + 1]!;
      s0 += a * a;
      s1 += b * b;
    }
    if (j < dim) s0 += rows[p + j]! * rows[p + j]!;
    out[i] = s0 + s1;
  }
  return out;
}

/** Bound on |expanded − exact| squared distance per unit of ‖x‖² + ‖c‖² (four times the worst case). */
export function expansionError(dim: number): number {
  return (dim + 4) * 2 ** -50;
}

/**
 * Squared distances from row `i` of `points` to rows [0, k) of `centres` into `out` (expanded
 * form: may be slightly negative for a point on a centre).
 */
export function distancesToAll(
  points: Float32Array,
  i: number,
  xNorm: number,
  centres: Float32Array,
  centreNorms: Float64Array,
  k: number,
  dim: number,
  out: Float64Array,
): void {
  const p = i * dim;
  let c = 0;
  for (; c + 4 <= k; c += 4) {
    const q0 = c * dim;
    const q1 = q0 + dim;
    const q2 = q1 + dim;
    const q3 = q2 + dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < dim; j++) {
      const x = points[p + j]!;
      s0 += x * centres[q0 + j]!;
      s1 += x * centres[q1 + j]!;
      s2 += x * centres[q2 + j]!;
      s3 += x * centres[q3 + j]!;
    }
    out[c] = xNorm + centreNorms[c]! - 2 * s0;
    out[c + 1] = xNorm + centreNorms[c + 1]! - 2 * s1;
    out[c + 2] = xNorm + centreNorms[c + 2]! - 2 * s2;
    out[c + 3] = xNorm + centreNorms[c + 3]! - 2 * s3;
  }
  for (; c < k; c++) out[c] = xNorm + centreNorms[c]! - 2 * dot(points, p, centres, c * dim, dim);
}

/** Expanded squared distance from row `i` of `points` to row `c` of `centres`. */
export function distanceTo(points: Float32Array, i: number, xNorm: number, centres: Float32Array, c: number, cNorm: number, dim: number): number {
  return xNorm + cNorm - 2 * dot(points, i * dim, centres, c * dim, dim);
}

function dot(a: Float32Array, p: number, b: Float32Array, q: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 4 <= dim; j += 4) {
    s0 += a[p + j]! * b[q + j]!;
    s1 += a[p + j + 1]! * b[q + j + 1]!;
    s2 += a[p + j + 2]! * b[q + j + 2]!;
    s3 += a[p + j + 3]! * b[q + j + 3]!;
  }
  for (; j < dim; j++) s0 += a[p + j]! * b[q + j]!;
  return s0 + s1 + (s2 + s3);
}

/** Exact-as-the-reference squared distance (differences, one running sum), as kmeans-assign.ts computes it. */
export function referenceDistance(points: Float32Array, i: number, centres: Float32Array, c: number, dim: number): number {
  const p = i * dim;
  const q = c * dim;
  let dist = 0;
  for (let t = 0; t < dim; t++) {
    const diff = points[p + t]! - centres[q + t]!;
    dist += diff * diff;
  }
  return dist;
}

/**
 * The nearest centre of row `i` as the reference assignment picks it (smallest reference
 * distance, ties to the lower index), given expanded distances `d` to all k centres: only the
 * centres within the expansion error of the smallest are re-measured the reference way.
 * Returns the index; `d` is left as it was.
 */
export function settleNearest(
  points: Float32Array,
  i: number,
  xNorm: number,
  centres: Float32Array,
  centreNorms: Float64Array,
  k: number,
  dim: number,
  d: Float64Array,
  errorPerNorm: number,
): number {
  let best = 0;
  let bestD = d[0]!;
  let worstNorm = centreNorms[0]!;
  for (let c = 1; c < k; c++) {
    if (d[c]! < bestD) {
      bestD = d[c]!;
      best = c;
    }
    if (centreNorms[c]! > worstNorm) worstNorm = centreNorms[c]!;
  }
  // Both distances may be off by the error bound, plus the reference's own rounding.
  const margin = 2 * errorPerNorm * (xNorm + worstNorm) + 2 ** -40 * Math.abs(bestD);
  let close = 0;
  for (let c = 0; c < k; c++) if (d[c]! - bestD <= margin) close++;
  if (close === 1) return best;
  let refBest = -1;
  let refD = Infinity;
  for (let c = 0; c < k; c++) {
    if (d[c]! - bestD > margin) continue;
    const r = referenceDistance(points, i, centres, c, dim);
    if (r < refD) {
      refD = r;
      refBest = c;
    }
  }
  return refBest;
}
