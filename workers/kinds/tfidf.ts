/**
 * TF-IDF over tokenised documents: a vocabulary fitted on the job's own corpus (document-frequency
 * bounds, a size cap), smoothed idf as scikit-learn computes it, sublinear tf (1 + ln tf) so a term
 * repeated on every line of a page does not drown the rest, rows L2-normalised.
 * Rows are kept sparse (CSR): a few hundred pages have tens of thousands of terms.
 */

export interface SparseRows {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

export interface VocabularyOptions {
  /** Minimum document frequency: a count (≥ 1) or a fraction of the documents (< 1). */
  minDf?: number;
  /** Maximum document frequency: a fraction of the documents (≤ 1) or a count (> 1). */
  maxDf?: number;
  /** Keep at most this many terms, the most frequent by document frequency. */
  maxFeatures?: number;
}

export interface Vocabulary {
  /** Sorted, so the same corpus always gives the same column order. */
  terms: string[];
  idf: Float64Array;
}

export function fitVocabulary(docs: string[][], options: VocabularyOptions = {}): Vocabulary {
  const n = docs.length;
  const df = new Map<string, number>();
  for (const doc of docs) for (const term of new Set(doc)) df.set(term, (df.get(term) ?? 0) + 1);
  const minOption = options.minDf ?? (n >= 20 ? 2 : 1);
  const maxOption = options.maxDf ?? (n >= 10 ? 0.5 : 1);
  const minDf = minOption < 1 ? Math.ceil(minOption * n) : minOption;
  const maxDf = maxOption <= 1 ? Math.floor(maxOption * n) : maxOption;
  let kept = [...df].filter(([, count]) => count >= minDf && count <= maxDf);
  if (options.maxFeatures !== undefined && kept.length > options.maxFeatures) {
    kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    kept = kept.slice(0, options.maxFeatures);
  }
  kept.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return {
    terms: kept.map(([term]) => term),
    idf: Float64Array.from(kept, ([, count]) => Math.log((1 + n) / (1 + count)) + 1),
  };
}

export function tfidfRows(docs: string[][], vocabulary: Vocabulary, sublinearTf = true): SparseRows {
  const column = new Map(vocabulary.terms.map((t, i) => [t, i] as const));
  const indptr = new Int32Array(docs.length + 1);
  const indices: number[] = [];
  const values: number[] = [];
  docs.forEach((doc, r) => {
    const counts = new Map<number, number>();
    for (const term of doc) {
      const c = column.get(term);
      if (c !== undefined) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    const cols = [...counts.keys()].sort((a, b) => a - b);
    const weights = cols.map((c) => {
      const tf = counts.get(c)!;
      return (sublinearTf ? 1 + Math.log(tf) : tf) * vocabulary.idf[c]!;
    });
    let norm = 0;
    for (const w of weights) norm += w * w;
    norm = Math.sqrt(norm);
    cols.forEach((c, i) => {
      indices.push(c);
      values.push(norm > 0 ? weights[i]! / norm : 0);
    });
    indptr[r + 1] = indices.length;
  });
  return { rows: docs.length, cols: vocabulary.terms.length, indptr, indices: Int32Array.from(indices), values: Float64Array.from(values) };
}

/** A dense copy (for baselines and small tests). */
export function toDense(m: SparseRows): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < m.rows; r++) {
    const row = new Array<number>(m.cols).fill(0);
    for (let p = m.indptr[r]!; p < m.indptr[r + 1]!; p++) row[m.indices[p]!] = m.values[p]!;
    out.push(row);
  }
  return out;
}
