/**
 * k-means with greedy k-means++ seeding and several restarts, keeping the run with the lowest
 * inertia. Deterministic for a seed: the same seed gives the same clusters in Node and in a
 * browser. Points are a flat row-major Float32Array; sums are kept in Float64 so the centroids do
 * not drift with the order of the points.
 *
 * One run: seeds (k-means++ on a sample of at most SEED_SAMPLE points), optionally a mini-batch
 * pass to bring them near the optimum, then full iterations to convergence — Lloyd's
 * with Elkan's bounds (kmeans-elkan.ts; Hamerly's, kmeans-hamerly.ts, on request), or plain
 * Lloyd through a given assignment step
 * (the browser's WebGPU kernel). Both give the same iterations and labels, so the device does
 * not change the clusters; only seeding and mini-batch choose where they start, and they run
 * the same code on every path. Figures: BENCHMARKS.md, bench:kmeans.
 */
import { assign as cpuAssign, type AssignFn } from "./kmeans-assign";
import { elkan } from "./kmeans-elkan";
import { hamerly } from "./kmeans-hamerly";
import { squaredNorms } from "./kmeans-kernels";
import { miniBatch } from "./kmeans-minibatch";
import { SEED_SAMPLE, seedCentroids } from "./kmeans-seed";
import { inertia, updateCentroids } from "./kmeans-update";
import { createRng } from "./random";

export { inertia, updateCentroids } from "./kmeans-update";

export interface MiniBatchSettings {
  batchSize?: number;
  /** Batches; the default visits about half the points once. */
  steps?: number;
}

export interface KMeansOptions {
  k: number;
  /** Independent seedings; the best by inertia wins. */
  restarts?: number;
  maxIterations?: number;
  /** Stop when the centroids move less than this fraction of the data's mean variance (as scikit-learn). */
  tolerance?: number;
  seed?: number;
  /** The assignment step; a WebGPU kernel can stand in for the CPU one (the iterations are then plain Lloyd). */
  assign?: AssignFn;
  /** The full iterations without a given assignment step: Elkan's bounds (default), Hamerly's, or plain Lloyd. */
  method?: "elkan" | "hamerly" | "lloyd";
  /**
   * A mini-batch pass (kmeans-minibatch.ts) before the full iterations. Off by default: on
   * 100,000 × 384 blobs (bench:kmeans, k = 20) it saved no time once Elkan's bounds made the
   * later iterations cheap (separated clusters: 3.5 s against 2.4 s; overlapping: 16.4 s both),
   * and on overlapping ones it led the iterations to worse optima (mean inertia 87.64M against
   * 86.74M).
   */
  miniBatch?: boolean | MiniBatchSettings;
  /** k-means++ chooses the seeds on a seeded sample of this many points when there are more. */
  seedSample?: number;
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
  const norms = squaredNorms(points, dim);
  const batches = miniBatchSettings(options.miniBatch, n, k);
  let best: KMeansResult | undefined;
  for (let r = 0; r < (options.restarts ?? 4); r++) {
    options.signal?.throwIfAborted();
    let start = seedCentroids(points, dim, k, rng, options.seedSample ?? SEED_SAMPLE, norms);
    if (batches) start = miniBatch(points, dim, start, { ...batches, rng, pointNorms: norms, signal: options.signal });
    const maxIterations = options.maxIterations ?? 300;
    let run: KMeansResult;
    if (options.assign || options.method === "lloyd") {
      run = await lloyd(points, dim, start, maxIterations, tolerance, options.assign ?? cpuAssign, options.signal);
    } else {
      const fit = (options.method === "hamerly" ? hamerly : elkan)(points, dim, start, maxIterations, tolerance, options.signal, norms);
      run = { k, labels: fit.labels, centroids: fit.centroids, inertia: inertia(points, dim, fit.labels, fit.centroids), iterations: fit.iterations };
    }
    if (!best || run.inertia < best.inertia) best = run;
  }
  return best!;
}

function miniBatchSettings(setting: KMeansOptions["miniBatch"], n: number, k: number): { batchSize: number; steps: number } | undefined {
  if (!setting) return undefined;
  const given = typeof setting === "object" ? setting : {};
  const batchSize = Math.min(n, given.batchSize ?? Math.max(1024, 64 * k));
  return { batchSize, steps: given.steps ?? Math.max(1, Math.round(n / 2 / batchSize)) };
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

function squaredShift(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s;
}

function sameLabels(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Mean over dimensions of each dimension's variance; row by row (a column walk strides through memory). */
function meanVariance(points: Float32Array, dim: number): number {
  const n = points.length / dim;
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0, p = i * dim; j < dim; j++) mean[j]! += points[p + j]!;
  for (let j = 0; j < dim; j++) mean[j]! /= n;
  const squares = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0, p = i * dim; j < dim; j++) {
      const diff = points[p + j]! - mean[j]!;
      squares[j]! += diff * diff;
    }
  }
  let total = 0;
  for (let j = 0; j < dim; j++) total += squares[j]! / n;
  return total / dim;
}
