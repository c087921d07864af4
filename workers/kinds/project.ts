/**
 * The cluster kind's 2-D projection: UMAP (umap-js, seeded, so a run's plot is the same every time
 * in one JavaScript engine; Node's and Chromium's Math.exp/pow/log differ in the last bit, so a tab
 * draws a different layout) for embeddings, with PCA (pca.ts) as the fast fallback — above
 * `umapMaxPoints` points, when asked for, or for inputs too small for a neighbour graph.
 * UMAP keeps neighbourhoods, which is what a plot of clusters should show; PCA keeps the two
 * directions of largest variance, which in a 128-d LSA space puts most clusters on top of each
 * other. bench:nmi times both at 10,000 points.
 */
import { UMAP } from "umap-js";
import { pca2d } from "./pca";
import { createRng } from "./random";

export type ProjectionMethod = "umap" | "pca";

export interface ProjectionResult {
  method: ProjectionMethod;
  /** n rows of [x, y]. */
  points: Float32Array;
  /** PCA only: the fraction of the variance each axis explains. */
  explained?: [number, number];
}

export interface ProjectOptions {
  method?: ProjectionMethod | "auto";
  seed?: number;
  /** "auto" uses PCA above this many points: umap-js is slow (bench:nmi times it at 10,000 points). */
  umapMaxPoints?: number;
  nNeighbors?: number;
  signal?: AbortSignal;
}

export const UMAP_MAX_POINTS = 2000;
/** umap-learn's figure for large inputs (umap-js takes 500 up to 10,000 points): 2.5× less time. */
const EPOCHS = 200;
/** Fewer points than this have no neighbour graph worth the name: PCA. */
const UMAP_MIN_POINTS = 10;

export async function project2d(points: Float32Array, dim: number, options: ProjectOptions = {}): Promise<ProjectionResult> {
  const n = points.length / dim;
  const wanted = options.method ?? "auto";
  const useUmap = wanted === "umap" ? n >= UMAP_MIN_POINTS : wanted === "auto" && n >= UMAP_MIN_POINTS && n <= (options.umapMaxPoints ?? UMAP_MAX_POINTS);
  if (!useUmap) {
    const p = pca2d(points, dim);
    return { method: "pca", points: p.points, explained: p.explained };
  }
  const rng = createRng(options.seed ?? 42);
  const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(options.nNeighbors ?? 15, n - 1), minDist: 0.1, nEpochs: EPOCHS, random: rng.next, distanceFn: cosine });
  const rows = Array.from({ length: n }, (_, i) => Array.from(points.subarray(i * dim, i * dim + dim)));
  const epochs = umap.initializeFit(rows);
  for (let e = 0; e < epochs; e++) {
    // A cancelled run stops between epochs (the neighbour graph above is one synchronous step).
    if (e % 20 === 0) {
      options.signal?.throwIfAborted();
      await new Promise((r) => setTimeout(r, 0));
    }
    umap.step();
  }
  const embedding = umap.getEmbedding();
  const out = new Float32Array(2 * n);
  embedding.forEach(([x, y], i) => {
    out[2 * i] = x!;
    out[2 * i + 1] = y!;
  });
  return { method: "umap", points: out };
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? 1 - dot / Math.sqrt(na * nb) : 1;
}
