/**
 * k-means (Lloyd's algorithm) with greedy k-means++ seeding and several restarts, keeping the
 * run with the lowest inertia. Deterministic for a seed: the same seed gives the same clusters in
 * Node and in a browser. Points are a flat row-major Float32Array; sums are kept in Float64 so the
 * centroids do not drift with the order of the points.
 */
import { assign as cpuAssign, type AssignFn } from "./kmeans-assign";
import { seedCentroids } from "./kmeans-seed";
import { createRng } from "./random";

export interface KMeansOptions {
  k: number;
  /** Independent seedings; the best by inertia wins. */
  restarts?: number;
  maxIterations?: number;
  /** Stop when the centroids move less than this fraction of the data's mean variance (as scikit-learn). */
  tolerance?: number;
  seed?: number;
  /** The assignment step; a WebGPU kernel can stand in for the CPU one. */
  assign?: AssignFn;
  signal?: AbortSignal;
}

export interface KMeansResult {
  k: number;
  labels: Int32Array;
  centroids: Float32Array;
  /** Sum of squared distances from each point to its centroid. */
  inertia: number;
  iterations: number;
}

export async function kmeans(points: Float32Array, dim: number, options: KMeansOptions): Promise<KMeansResult> {
  const n = points.length / dim;
  const { k } = options;
  if (!Number.isInteger(n) || n < 1) throw new Error(`k-means needs at least one point of dimension ${dim}`);
  if (!Number.isInteger(k) || k < 1 || k > n) throw new Error(`k-means: k must be between 1 and the number of points (${n}), got ${k}`);
  const rng = createRng(options.seed ?? 42);
  const tolerance = (options.tolerance ?? 1e-4) * meanVariance(points, dim);
  let best: KMeansResult | undefined;
  for (let r = 0; r < (options.restarts ?? 4); r++) {
    options.signal?.throwIfAborted();
    const seeded = seedCentroids(points, dim, k, rng);
    const run = await lloyd(points, dim, seeded, options.maxIterations ?? 300, tolerance, options.assign ?? cpuAssign, options.signal);
    if (!best || run.inertia < best.inertia) best = run;
  }
  return best!;
}

async function lloyd(
  points: Float32Array,
  dim: number,
  start: Float32Array,
  maxIterations: number,
  tolerance: number,
  assign: AssignFn,
  signal?: AbortSignal,
): Promise<KMeansResult> {
  const k = start.length / dim;
  let centroids = start;
  let labels = await assign(points, centroids, dim);
  let iterations = 0;
  while (iterations < maxIterations) {
    signal?.throwIfAborted();
    iterations++;
    const next = updateCentroids(points, dim, labels, centroids);
    const shift = squaredShift(centroids, next);
    centroids = next;
    const nextLabels = await assign(points, centroids, dim);
    const changed = !sameLabels(labels, nextLabels);
    labels = nextLabels;
    if (!changed || shift <= tolerance) break;
  }
  return { k, labels, centroids, inertia: inertia(points, dim, labels, centroids), iterations };
}

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

function squaredShift(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s;
}

function sameLabels(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function meanVariance(points: Float32Array, dim: number): number {
  const n = points.length / dim;
  let total = 0;
  for (let j = 0; j < dim; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += points[i * dim + j]!;
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (points[i * dim + j]! - mean) ** 2;
    total += v / n;
  }
  return total / dim;
}
