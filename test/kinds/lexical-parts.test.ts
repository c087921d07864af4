import { describe, expect, it } from "vitest";
import { loadCorpus } from "@/bench/nmi";
import { truncatedSvd } from "@/workers/kinds/svd";
import { symmetricEigen } from "@/workers/kinds/svd-eigen";
import { createRng } from "@/workers/kinds/random";
import type { SparseRows } from "@/workers/kinds/tfidf";
import { fitVocabulary } from "@/workers/kinds/tfidf";
import { tokenize } from "@/workers/kinds/tokenize";

describe("tokenizer", () => {
  it("handles French elision, accents and stop words", () => {
    expect(tokenize("L'installation du système d’exploitation Réseau")).toEqual(["installation", "systeme", "exploitation", "reseau"]);
  });

  it("cuts CJK runs into character bigrams", () => {
    expect(tokenize("自動採点 with LaTeX")).toEqual(["自動", "動採", "採点", "latex"]);
    // Hiragana-only bigrams are Japanese grammar, dropped like stop words.
    expect(tokenize("設問を作成します")).toEqual(["設問", "問を", "を作", "作成", "成し"]);
  });

  it("joins words hyphenated at line ends and drops numbers", () => {
    expect(tokenize("docu-\nmentation 2024 v2")).toEqual(["documentation", "v2"]);
  });

  it("splits compounds joined by dots and colons", () => {
    expect(tokenize("set amc:latex_engine in hostname.dom")).toEqual(["set", "amc", "latex_engine", "hostname", "dom"]);
  });

  it("gives the same tokens with Intl.Segmenter and with the regex fallback on every corpus page", () => {
    // A runtime without Intl.Segmenter (or with another ICU) must still encode like the one that fitted.
    const differing = loadCorpus().filter((p) => tokenize(p.text, { segmenter: "regex" }).join(" ") !== tokenize(p.text, { segmenter: "intl" }).join(" "));
    expect(differing.map((p) => `${p.label} p${p.page}`)).toEqual([]);
  });
});

describe("vocabulary", () => {
  it("keeps terms between the document-frequency bounds, sorted", () => {
    const docs = [["a1", "b2", "c3"], ["a1", "b2"], ["a1", "d4"], ["e5"]];
    expect(fitVocabulary(docs, { minDf: 2, maxDf: 0.6 }).terms).toEqual(["b2"]);
    expect(fitVocabulary(docs, { minDf: 1, maxDf: 1.0 }).terms).toEqual(["a1", "b2", "c3", "d4", "e5"]);
  });
});

describe("truncated SVD", () => {
  it("finds the top singular values of a sparse matrix", () => {
    const rng = createRng(3);
    const rows = 40;
    const cols = 25;
    const dense = Array.from({ length: rows }, () => Array.from({ length: cols }, () => (rng.next() < 0.3 ? rng.next() : 0)));
    const indptr = [0];
    const indices: number[] = [];
    const values: number[] = [];
    for (const row of dense) {
      row.forEach((x, j) => x !== 0 && (indices.push(j), values.push(x)));
      indptr.push(indices.length);
    }
    const a: SparseRows = { rows, cols, indptr: Int32Array.from(indptr), indices: Int32Array.from(indices), values: Float64Array.from(values) };
    const ata = new Float64Array(cols * cols);
    for (const row of dense) for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) ata[i * cols + j]! += row[i]! * row[j]!;
    const exact = symmetricEigen(ata, cols).values.map(Math.sqrt);
    const svd = truncatedSvd(a, 5, { powerIterations: 8 });
    for (let k = 0; k < 5; k++) expect(svd.singularValues[k]).toBeCloseTo(exact[k]!, 6);
    // Orthonormal right singular vectors.
    for (let p = 0; p < 5; p++)
      for (let q = 0; q < 5; q++) {
        const d = svd.components[p]!.reduce((s, x, j) => s + x * svd.components[q]![j]!, 0);
        expect(d).toBeCloseTo(p === q ? 1 : 0, 8);
      }
  });
});
