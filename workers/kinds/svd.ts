/**
 * Truncated SVD of a sparse matrix by the randomized range finder (Halko, Martinsson & Tropp
 * 2011, as scikit-learn's TruncatedSVD does it): sample the range with a Gaussian block, sharpen
 * it with a few power iterations, then solve the small problem exactly with Jacobi.
 * Everything in Float64, in a fixed order, from a seeded generator, so the same input gives the
 * same components bit for bit in Node and in a browser. Only the top right singular vectors
 * (the LSA projection) and the singular values are returned.
 */
import { createRng } from "./random";
import type { SparseRows } from "./tfidf";
import { symmetricEigen } from "./svd-eigen";

export interface TruncatedSvd {
  /** rank rows of length cols: the right singular vectors, largest singular value first. */
  components: Float64Array[];
  singularValues: Float64Array;
}

export function truncatedSvd(a: SparseRows, rank: number, options: { oversample?: number; powerIterations?: number; seed?: number } = {}): TruncatedSvd {
  const r = Math.min(rank, a.rows, a.cols);
  const l = Math.min(r + (options.oversample ?? 10), a.rows, a.cols);
  const rng = createRng(options.seed ?? 42);
  const omega = Array.from({ length: l }, () => Float64Array.from({ length: a.cols }, rng.normal));
  let q = orthonormalise(omega.map((w) => times(a, w)));
  for (let i = 0; i < (options.powerIterations ?? 5); i++) {
    // Subspace iteration on A Aᵀ, re-orthonormalised once per step on the short (row) side:
    // enough to keep the small directions from being swamped, and the long side (one entry per
    // term) is where Gram–Schmidt costs most.
    q = orthonormalise(q.map((y) => times(a, timesTransposed(a, y))));
  }
  // B = Qᵀ A, kept as its rows bᵢ = Aᵀ qᵢ; then B Bᵀ = W Λ Wᵀ and vₖ = Bᵀ wₖ / σₖ.
  const b = q.map((y) => timesTransposed(a, y));
  const gram = new Float64Array(l * l);
  for (let i = 0; i < l; i++) for (let j = i; j < l; j++) gram[i * l + j] = gram[j * l + i] = dot(b[i]!, b[j]!);
  const { values, vectors } = symmetricEigen(gram, l);
  const components: Float64Array[] = [];
  const singularValues = new Float64Array(r);
  for (let k = 0; k < r; k++) {
    const sigma = Math.sqrt(Math.max(0, values[k]!));
    singularValues[k] = sigma;
    const v = new Float64Array(a.cols);
    if (sigma > 1e-12) {
      for (let i = 0; i < l; i++) {
        const w = vectors[i * l + k]! / sigma;
        if (w === 0) continue;
        const bi = b[i]!;
        for (let j = 0; j < a.cols; j++) v[j]! += w * bi[j]!;
      }
    }
    fixSign(v);
    components.push(v);
  }
  return { components, singularValues };
}

/** A x for a dense x of length cols. */
function times(a: SparseRows, x: Float64Array): Float64Array {
  const y = new Float64Array(a.rows);
  for (let r = 0; r < a.rows; r++) {
    let s = 0;
    for (let p = a.indptr[r]!; p < a.indptr[r + 1]!; p++) s += a.values[p]! * x[a.indices[p]!]!;
    y[r] = s;
  }
  return y;
}

/** Aᵀ y for a dense y of length rows. */
function timesTransposed(a: SparseRows, y: Float64Array): Float64Array {
  const z = new Float64Array(a.cols);
  for (let r = 0; r < a.rows; r++) {
    const yr = y[r]!;
    if (yr === 0) continue;
    for (let p = a.indptr[r]!; p < a.indptr[r + 1]!; p++) z[a.indices[p]!]! += a.values[p]! * yr;
  }
  return z;
}

/** Modified Gram–Schmidt, twice ("twice is enough"); a column with nothing left becomes zero. */
function orthonormalise(columns: Float64Array[]): Float64Array[] {
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < columns.length; i++) {
      const c = columns[i]!;
      for (let j = 0; j < i; j++) {
        const prev = columns[j]!;
        const proj = dot(c, prev);
        for (let t = 0; t < c.length; t++) c[t]! -= proj * prev[t]!;
      }
      const norm = Math.sqrt(dot(c, c));
      for (let t = 0; t < c.length; t++) c[t] = norm > 1e-12 ? c[t]! / norm : 0;
    }
  }
  return columns;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Singular vectors are defined up to sign; make the largest entry positive so runs agree. */
function fixSign(v: Float64Array): void {
  let largest = 0;
  for (let j = 0; j < v.length; j++) if (Math.abs(v[j]!) > Math.abs(v[largest]!)) largest = j;
  if (v[largest]! < 0) for (let j = 0; j < v.length; j++) v[j] = -v[j]!;
}
