/**
 * k-means++ seeding, the greedy variant (as scikit-learn does it): each new centre is the best of
 * a few D²-sampled candidates, judged by how much it lowers the total potential. The plain variant
 * takes one candidate and lands in visibly worse local minima on text embeddings.
 *
 * 3·(1 + ⌊ln k⌋) candidates rather than scikit-learn's 2 + ⌊ln k⌋: in high dimensions the D²
 * weights of an uncovered cluster are only a few times those of covered points, so with few
 * candidates a cluster is often left out and Lloyd cannot recover. On 5,000 × 384 blobs (k = 10)
 * the larger count found the optimum for 10 seeds of 10 (4 of 10 before) and was faster overall,
 * since Lloyd then converges in fewer iterations.
 *
 * Greedy k-means++ costs candidates · k full passes over the points — on 100,000 × 384 with
 * k = 20 that was 180 passes, far more than Lloyd's own iterations. So above `sample` points the
 * seeds are chosen on a seeded uniform sample of that many (every cluster big enough to matter
 * is in it), and the full Lloyd/Hamerly iterations that follow fit them to every point. The
 * candidates of one centre are measured in one pass (expanded distances, kmeans-kernels.ts).
 */
import { distancesToAll, squaredNorms } from "./kmeans-kernels";
import { sampleIndices, type Rng } from "./random";

/** Points k-means++ seeds on when there are more (chosen on 20,000 and 100,000 × 384 blobs: bench:kmeans). */
export const SEED_SAMPLE = 4096;

export function seedCentroids(points: Float32Array, dim: number, k: number, rng: Rng, sample = SEED_SAMPLE, pointNorms?: Float64Array): Float32Array {
  const n = points.length / dim;
  if (n > sample && sample >= k) {
    const rows = gather(points, dim, sampleIndices(n, sample, rng));
    return greedyPlusPlus(rows, dim, k, rng, squaredNorms(rows, dim));
  }
  return greedyPlusPlus(points, dim, k, rng, pointNorms ?? squaredNorms(points, dim));
}

function greedyPlusPlus(points: Float32Array, dim: number, k: number, rng: Rng, norms: Float64Array): Float32Array {
  const n = points.length / dim;
  const centroids = new Float32Array(k * dim);
  const trials = 3 * (1 + Math.floor(Math.log(k)));
  const closest = new Float64Array(n);
  const candidateDist = new Float64Array(trials * n);
  const candidatePotential = new Float64Array(trials);
  const candidateRows = new Float32Array(trials * dim);
  const candidateNorms = new Float64Array(trials);
  const candidates = new Int32Array(trials);
  const d = new Float64Array(trials);

  const first = rng.int(n);
  centroids.set(points.subarray(first * dim, first * dim + dim), 0);
  const firstRow = points.slice(first * dim, first * dim + dim);
  const firstNorm = Float64Array.of(norms[first]!);
  let potential = 0;
  for (let i = 0; i < n; i++) {
    distancesToAll(points, i, norms[i]!, firstRow, firstNorm, 1, dim, d);
    closest[i] = i === first ? 0 : Math.max(0, d[0]!);
    potential += closest[i]!;
  }

  for (let c = 1; c < k; c++) {
    // The draws come first, all from the same weights, so batching them changes nothing.
    for (let t = 0; t < trials; t++) {
      const candidate = potential > 0 ? sampleByWeight(closest, potential, rng) : rng.int(n);
      candidates[t] = candidate;
      candidateRows.set(points.subarray(candidate * dim, candidate * dim + dim), t * dim);
      candidateNorms[t] = norms[candidate]!;
    }
    candidatePotential.fill(0);
    for (let i = 0; i < n; i++) {
      distancesToAll(points, i, norms[i]!, candidateRows, candidateNorms, trials, dim, d);
      const own = closest[i]!;
      for (let t = 0; t < trials; t++) {
        const v = candidates[t] === i ? 0 : Math.min(own, Math.max(0, d[t]!));
        candidateDist[t * n + i] = v;
        candidatePotential[t]! += v;
      }
    }
    let best = 0;
    for (let t = 1; t < trials; t++) if (candidatePotential[t]! < candidatePotential[best]!) best = t;
    const chosen = candidates[best]!;
    centroids.set(points.subarray(chosen * dim, chosen * dim + dim), c * dim);
    closest.set(candidateDist.subarray(best * n, best * n + n));
    potential = candidatePotential[best]!;
  }
  return centroids;
}

function gather(points: Float32Array, dim: number, indices: Int32Array): Float32Array {
  const out = new Float32Array(indices.length * dim);
  indices.forEach((i, r) => out.set(points.subarray(i * dim, i * dim + dim), r * dim));
  return out;
}

/** Index i with probability weights[i] / total. */
function sampleByWeight(weights: Float64Array, total: number, rng: Rng): number {
  let target = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    target -= weights[i]!;
    if (target < 0) return i;
  }
  // Rounding can leave a sliver of target: take the last point with any weight.
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
  return 0;
}
