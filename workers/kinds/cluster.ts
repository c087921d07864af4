/**
 * The cluster task kind: k-means over embeddings (k given, or chosen by silhouette), a 2-D
 * projection for the plot (PCA, or seeded UMAP when asked: project.ts), and
 * per-cluster summaries labelled with their most distinctive terms when the texts are passed along.
 * Pure TypeScript: the same module runs in Node and in a Web Worker; a browser can pass its WebGPU
 * assignment kernel through `clusterVectors`.
 */
import type { TaskContext, TaskKind } from "./types";
import { distinctiveTerms, tfidfForTerms, type ClusterTerm, type TermSource } from "./cluster-terms";
import { kmeans, type KMeansResult } from "./kmeans";
import type { AssignFn } from "./kmeans-assign";
import { project2d, type ProjectionMethod } from "./project";
import { chooseK, SilhouetteSample, type KCandidate } from "./silhouette";

export interface ClusterParams {
  /** One embedding per row, all the same length. */
  vectors: ArrayLike<number>[];
  /** Number of clusters; chosen by silhouette in [kMin, kMax] when absent. */
  k?: number;
  kMin?: number;
  kMax?: number;
  restarts?: number;
  maxIterations?: number;
  seed?: number;
  /** Points the silhouette is measured on (a seeded sample when there are more). */
  silhouetteSample?: number;
  /** The texts behind the vectors (and a lexical model's vocabulary) to label clusters with terms. */
  terms?: TermSource;
  topTerms?: number;
  /**
   * The 2-D projection: "pca" (default), "umap", or "auto" (UMAP up to `umapMaxPoints`, 2,000, PCA
   * above). PCA is the default because it is the same in every JavaScript engine: UMAP's seeded
   * layout is repeatable in one engine, but Node's and a browser's Math.exp/pow differ in the last
   * bit and its optimisation amplifies that, so a tab and a Node worker draw different (equally
   * good) plots of the same clusters.
   */
  projection?: ProjectionMethod | "auto";
  umapMaxPoints?: number;
}

export interface ClusterSummary {
  id: number;
  size: number;
  terms: ClusterTerm[];
}

export interface ClusterResult {
  k: number;
  labels: number[];
  inertia: number;
  /** Mean silhouette (on the sample), -1..1. */
  silhouette: number;
  kChosenBy: "given" | "silhouette";
  kCandidates: KCandidate[];
  centroids: number[][];
  /** `explained`: PCA's fraction of the variance per axis (absent for UMAP, whose axes have no such meaning). */
  projection: { method: ProjectionMethod; points: [number, number][]; explained?: [number, number] };
  clusters: ClusterSummary[];
}

export function toMatrix(vectors: ArrayLike<number>[]): { points: Float32Array; dim: number } {
  const dim = vectors[0]?.length ?? 0;
  if (vectors.length === 0 || dim === 0) throw new Error("cluster needs at least one non-empty vector");
  const points = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => {
    if (v.length !== dim) throw new Error(`cluster: vector ${i} has ${v.length} dimensions, expected ${dim}`);
    for (let j = 0; j < dim; j++) points[i * dim + j] = v[j]!;
  });
  return { points, dim };
}

export async function clusterVectors(
  points: Float32Array,
  dim: number,
  params: Omit<ClusterParams, "vectors">,
  ctx?: Pick<TaskContext, "log" | "progress" | "signal">,
  assign?: AssignFn,
): Promise<ClusterResult> {
  const n = points.length / dim;
  const common = { restarts: params.restarts, maxIterations: params.maxIterations, seed: params.seed, assign, signal: ctx?.signal };
  let result: KMeansResult;
  let silhouette: number;
  let candidates: KCandidate[] = [];
  if (params.k !== undefined) {
    result = await kmeans(points, dim, { ...common, k: params.k });
    silhouette = result.k > 1 && result.k < n ? new SilhouetteSample(points, dim, params.silhouetteSample, params.seed).score(result.labels, result.k) : 0;
  } else {
    const chosen = await chooseK(points, dim, {
      ...common,
      kMin: params.kMin,
      kMax: params.kMax,
      silhouetteSample: params.silhouetteSample,
      onCandidate: (k, s, done, total) => {
        ctx?.log("debug", `k=${k}: silhouette ${s.toFixed(4)}`);
        ctx?.progress((0.8 * done) / total, `tried k=${k}`);
      },
    });
    ({ best: result, silhouette, candidates } = chosen);
    ctx?.log("info", `chose k=${result.k} by silhouette (${silhouette.toFixed(4)}) among k=${candidates[0]!.k}..${candidates.at(-1)!.k}`);
  }
  ctx?.progress(0.85, "projecting to 2-D");
  const projection = await project2d(points, dim, { method: params.projection ?? "pca", umapMaxPoints: params.umapMaxPoints, seed: params.seed, signal: ctx?.signal });
  let terms: ClusterTerm[][] = [];
  if (params.terms) {
    if (params.terms.texts.length !== n) throw new Error(`cluster: ${params.terms.texts.length} texts for ${n} vectors`);
    const { rows, vocabulary } = tfidfForTerms(params.terms);
    terms = distinctiveTerms(rows, vocabulary.terms, result.labels, result.k, params.topTerms ?? 8);
  }
  const sizes = new Array<number>(result.k).fill(0);
  for (const c of result.labels) sizes[c]!++;
  ctx?.progress(1);
  return {
    k: result.k,
    labels: Array.from(result.labels),
    inertia: result.inertia,
    silhouette,
    kChosenBy: params.k !== undefined ? "given" : "silhouette",
    kCandidates: candidates,
    centroids: Array.from({ length: result.k }, (_, c) => Array.from(result.centroids.subarray(c * dim, c * dim + dim))),
    projection: {
      method: projection.method,
      points: Array.from({ length: n }, (_, i) => [projection.points[2 * i]!, projection.points[2 * i + 1]!] as [number, number]),
      explained: projection.explained,
    },
    clusters: sizes.map((size, id) => ({ id, size, terms: terms[id] ?? [] })),
  };
}

export const cluster: TaskKind<ClusterParams, ClusterResult> = async (params, ctx) => {
  const { points, dim } = toMatrix(params.vectors);
  ctx.log("info", `clustering ${points.length / dim} vectors of ${dim} dimensions on ${ctx.device ?? "cpu"}`);
  const { vectors: _vectors, ...rest } = params;
  return clusterVectors(points, dim, rest, ctx);
};
