/**
 * Scores of a k-means clustering that k can be chosen by. Each takes the points (row-major), the
 * labels and the centroids, and is higher-is-better unless named otherwise. bench/ksel.ts measures
 * them all on labelled corpora (BENCHMARKS.md, "Choosing k"); the cluster kind uses the one the
 * evidence picked (k-select.ts).
 */

export interface Fit {
  points: Float32Array;
  dim: number;
  labels: Int32Array;
  centroids: Float32Array;
  k: number;
}

function sq(a: Float32Array, i: number, b: Float32Array, j: number, dim: number): number {
  let s = 0;
  for (let t = 0; t < dim; t++) s += (a[i * dim + t]! - b[j * dim + t]!) ** 2;
  return s;
}

/** Within-cluster sum of squares. */
export function withinSS({ points, dim, labels, centroids }: Fit): number {
  let w = 0;
  for (let i = 0; i < labels.length; i++) w += sq(points, i, centroids, labels[i]!, dim);
  return w;
}

function sizesOf(labels: Int32Array, k: number): Int32Array {
  const sizes = new Int32Array(k);
  for (const c of labels) sizes[c]!++;
  return sizes;
}

/** Calinski–Harabasz: between-cluster over within-cluster dispersion, each per degree of freedom. */
export function calinskiHarabasz(fit: Fit): number {
  const { points, dim, labels, centroids, k } = fit;
  const n = labels.length;
  const mean = new Float32Array(dim);
  for (let i = 0; i < n; i++) for (let t = 0; t < dim; t++) mean[t]! += points[i * dim + t]! / n;
  const sizes = sizesOf(labels, k);
  let between = 0;
  for (let c = 0; c < k; c++) between += sizes[c]! * sq(centroids, c, mean, 0, dim);
  const within = withinSS(fit);
  return within > 0 ? (between / (k - 1)) / (within / (n - k)) : Infinity;
}

/** Davies–Bouldin (lower is better): mean over clusters of the worst (s_i + s_j) / d(c_i, c_j). */
export function daviesBouldin(fit: Fit): number {
  const { points, dim, labels, centroids, k } = fit;
  const spread = new Float64Array(k);
  const sizes = sizesOf(labels, k);
  for (let i = 0; i < labels.length; i++) spread[labels[i]!]! += Math.sqrt(sq(points, i, centroids, labels[i]!, dim));
  for (let c = 0; c < k; c++) spread[c] = sizes[c]! > 0 ? spread[c]! / sizes[c]! : 0;
  let total = 0;
  for (let a = 0; a < k; a++) {
    let worst = 0;
    for (let b = 0; b < k; b++) {
      if (a === b) continue;
      const d = Math.sqrt(sq(centroids, a, centroids, b, dim));
      if (d > 0) worst = Math.max(worst, (spread[a]! + spread[b]!) / d);
    }
    total += worst;
  }
  return total / k;
}

/**
 * BIC of a mixture of k spherical Gaussians with one shared variance, as X-means scores a k-means
 * fit (Pelleg & Moore 2000): the log-likelihood of the hard assignment minus half the number of
 * parameters (k − 1 weights, k·d means, one variance) times log n.
 */
export function sphericalBic(fit: Fit): number {
  const { dim, labels, k } = fit;
  const n = labels.length;
  const variance = withinSS(fit) / Math.max(1, (n - k) * dim);
  if (!(variance > 0)) return Infinity;
  const sizes = sizesOf(labels, k);
  let logLik = 0;
  for (let c = 0; c < k; c++) {
    const m = sizes[c]!;
    if (m === 0) continue;
    logLik += m * Math.log(m / n) - (m * dim) / 2 * Math.log(2 * Math.PI * variance);
  }
  logLik -= ((n - k) * dim) / 2;
  const params = k - 1 + k * dim + 1;
  return logLik - (params / 2) * Math.log(n);
}

/** Adjusted Rand index between two labellings of the same points. */
export function adjustedRand(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const joint = new Map<number, number>();
  const ra = new Map<number, number>();
  const rb = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = a[i]! * 100_003 + b[i]!;
    joint.set(key, (joint.get(key) ?? 0) + 1);
    ra.set(a[i]!, (ra.get(a[i]!) ?? 0) + 1);
    rb.set(b[i]!, (rb.get(b[i]!) ?? 0) + 1);
  }
  const pairs = (m: number) => (m * (m - 1)) / 2;
  let index = 0;
  for (const m of joint.values()) index += pairs(m);
  let sa = 0;
  let sb = 0;
  for (const m of ra.values()) sa += pairs(m);
  for (const m of rb.values()) sb += pairs(m);
  const expected = (sa * sb) / pairs(n);
  const max = (sa + sb) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}
