/**
 * Silhouette scores, and choosing k by them. The score is O(n²·d), so for large n it is taken on a
 * seeded sample (as scikit-learn's sample_size does); the sample's distance matrix is computed once
 * and reused for every candidate k, which is what makes trying ten values of k affordable.
 */
import { kmeans, type KMeansOptions, type KMeansResult } from "./kmeans";
import { createRng, sampleIndices } from "./random";

export class SilhouetteSample {
  readonly indices: Int32Array;
  private readonly distances: Float32Array;

  /**
   * `squared`: the squared Euclidean distance, which on unit vectors (the encoders' output) is
   * twice the cosine distance, so the same silhouette; bench:ksel found it choosing k far better
   * than the plain Euclidean distance on document embeddings (BENCHMARKS.md, "Choosing k").
   */
  constructor(points: Float32Array, dim: number, maxSample = 1500, seed = 7, metric: "euclidean" | "squared" = "squared") {
    const n = points.length / dim;
    this.indices = sampleIndices(n, maxSample, createRng(seed));
    const m = this.indices.length;
    this.distances = new Float32Array(m * m);
    for (let a = 0; a < m; a++) {
      const p = this.indices[a]! * dim;
      for (let b = a + 1; b < m; b++) {
        const q = this.indices[b]! * dim;
        let d = 0;
        for (let j = 0; j < dim; j++) d += (points[p + j]! - points[q + j]!) ** 2;
        const dist = metric === "squared" ? d : Math.sqrt(d);
        this.distances[a * m + b] = dist;
        this.distances[b * m + a] = dist;
      }
    }
  }

  /** Mean silhouette of the sampled points under `labels` (labels of all points, 0..k-1). */
  score(labels: Int32Array, k: number): number {
    const m = this.indices.length;
    const sampleLabels = Int32Array.from(this.indices, (i) => labels[i]!);
    const sizes = new Int32Array(k);
    for (const c of sampleLabels) sizes[c]!++;
    const sums = new Float64Array(k);
    let total = 0;
    for (let a = 0; a < m; a++) {
      sums.fill(0);
      const row = a * m;
      for (let b = 0; b < m; b++) sums[sampleLabels[b]!]! += this.distances[row + b]!;
      const own = sampleLabels[a]!;
      // A point alone in its cluster scores 0, by the usual convention.
      if (sizes[own]! <= 1) continue;
      const within = sums[own]! / (sizes[own]! - 1);
      let nearest = Infinity;
      for (let c = 0; c < k; c++) if (c !== own && sizes[c]! > 0) nearest = Math.min(nearest, sums[c]! / sizes[c]!);
      if (!Number.isFinite(nearest)) continue;
      const denom = Math.max(within, nearest);
      if (denom > 0) total += (nearest - within) / denom;
    }
    return total / m;
  }
}

export interface ChooseKOptions extends Omit<KMeansOptions, "k"> {
  kMin?: number;
  kMax?: number;
  silhouetteSample?: number;
  /** Above this many points, k is searched on a seeded sample of this size, then fitted on all. */
  searchSample?: number;
  /** k-means++ restarts for each candidate k (the chosen k is refitted with `restarts`). */
  searchRestarts?: number;
  onCandidate?: (k: number, silhouette: number, done: number, total: number) => void;
}

export interface KCandidate {
  k: number;
  silhouette: number;
  /** On the search sample when the points were sampled. */
  inertia: number;
}

/**
 * The top of the default k range: √n for small inputs (at least 3, so three groups of three points
 * give 3; at most n/2), at most 20. Up to n/2 over-split small inputs: fifteen one-line texts on
 * three subjects (e2e/browser-kinds) scored k = 4 above 3. On bench:ksel's corpora the silhouette
 * kept rising past 20 on the topic-level set (the large manuals' chapters pull apart) while the NMI
 * fell (k = 40: 0.06 below the true k's), and capping at 20 cost the 23-document set 0.02 at most;
 * past 20, give kMax.
 */
export const defaultKMax = (n: number, kMin = 2) => Math.max(kMin, Math.min(20, Math.floor(n / 2), Math.max(3, Math.floor(Math.sqrt(n)))));

/**
 * Runs k-means for each k in [kMin, kMax] and keeps the best silhouette on the squared Euclidean
 * distance (cosine on unit vectors; ties to the smaller k). bench:ksel measured the other usual
 * scores (Calinski–Harabasz, Davies–Bouldin, gap, seed stability, spherical BIC) and this one on
 * labelled document corpora: it was the only one within reach of the true k's NMI on every set.
 * The search fits each k once (`searchRestarts`, 1) on a seeded sample of at most `searchSample`
 * points, as the study did; the chosen k is then fitted on every point with all the restarts.
 */
export async function chooseK(
  points: Float32Array,
  dim: number,
  options: ChooseKOptions = {},
): Promise<{ best: KMeansResult; silhouette: number; candidates: KCandidate[] }> {
  const n = points.length / dim;
  const kMin = Math.max(2, options.kMin ?? 2);
  const kMax = Math.min(n - 1, options.kMax ?? defaultKMax(n, kMin));
  if (kMax < kMin) throw new Error(`choosing k needs at least ${kMin + 1} points, got ${n}`);
  const seed = options.seed ?? 42;
  const searchSize = options.searchSample ?? 3000;
  const sampled = n > searchSize;
  const search = sampled ? gather(points, dim, sampleIndices(n, searchSize, createRng(seed + 1))) : points;
  const sample = new SilhouetteSample(search, dim, options.silhouetteSample ?? 1500, seed);
  const candidates: KCandidate[] = [];
  let best: KMeansResult | undefined;
  let bestScore = -Infinity;
  for (let k = kMin; k <= kMax; k++) {
    const result = await kmeans(search, dim, { ...options, k, restarts: options.searchRestarts ?? 1 });
    const silhouette = sample.score(result.labels, k);
    candidates.push({ k, silhouette, inertia: result.inertia });
    options.onCandidate?.(k, silhouette, k - kMin + 1, kMax - kMin + 1);
    if (silhouette > bestScore) {
      bestScore = silhouette;
      best = result;
    }
  }
  const restarts = options.restarts ?? 4;
  if (!sampled && restarts <= (options.searchRestarts ?? 1)) return { best: best!, silhouette: bestScore, candidates };
  const final = await kmeans(points, dim, { ...options, k: best!.k });
  const score = (sampled ? new SilhouetteSample(points, dim, options.silhouetteSample ?? 1500, seed) : sample).score(final.labels, final.k);
  return { best: final, silhouette: score, candidates };
}

export function gather(points: Float32Array, dim: number, indices: Int32Array): Float32Array {
  const out = new Float32Array(indices.length * dim);
  indices.forEach((i, r) => out.set(points.subarray(i * dim, i * dim + dim), r * dim));
  return out;
}
