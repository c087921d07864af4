/**
 * Labels for clusters: the terms whose mean TF-IDF weight inside a cluster most exceeds their mean
 * weight in the rest of the corpus. Plain "highest weight in the cluster" picks the corpus's own
 * jargon for every cluster; the difference picks what sets this cluster apart.
 */
import { fitVocabulary, tfidfRows, type SparseRows, type Vocabulary } from "./tfidf";
import { tokenize, type TokenizerOptions } from "./tokenize";

export interface TermSource {
  /** The texts the clustered vectors came from, in the same order. */
  texts: string[];
  /** A fitted lexical model's vocabulary (terms, idf, tokenizer); fitted here from the texts when absent. */
  terms?: string[];
  idf?: number[] | Float64Array;
  tokenizer?: TokenizerOptions;
}

export interface ClusterTerm {
  term: string;
  score: number;
}

export function tfidfForTerms(source: TermSource): { rows: SparseRows; vocabulary: Vocabulary } {
  const docs = source.texts.map((t) => tokenize(t, source.tokenizer));
  const vocabulary =
    source.terms && source.idf
      ? { terms: source.terms, idf: Float64Array.from(source.idf) }
      : fitVocabulary(docs, { maxDf: 0.5, maxFeatures: 50_000 });
  return { rows: tfidfRows(docs, vocabulary), vocabulary };
}

export function distinctiveTerms(rows: SparseRows, terms: string[], labels: Int32Array, k: number, top = 8): ClusterTerm[][] {
  const sums = Array.from({ length: k }, () => new Map<number, number>());
  const total = new Map<number, number>();
  const sizes = new Int32Array(k);
  for (let r = 0; r < rows.rows; r++) {
    const c = labels[r]!;
    sizes[c]!++;
    for (let p = rows.indptr[r]!; p < rows.indptr[r + 1]!; p++) {
      const col = rows.indices[p]!;
      const w = rows.values[p]!;
      sums[c]!.set(col, (sums[c]!.get(col) ?? 0) + w);
      total.set(col, (total.get(col) ?? 0) + w);
    }
  }
  return sums.map((inside, c) => {
    const size = sizes[c]!;
    const others = rows.rows - size;
    if (size === 0) return [];
    const scored: ClusterTerm[] = [];
    for (const [col, sum] of inside) {
      const meanIn = sum / size;
      const meanOut = others > 0 ? (total.get(col)! - sum) / others : 0;
      if (meanIn > meanOut) scored.push({ term: terms[col]!, score: meanIn - meanOut });
    }
    scored.sort((a, b) => b.score - a.score || (a.term < b.term ? -1 : 1));
    return scored.slice(0, top);
  });
}
