/**
 * bench:nmi — the offline pipeline a user runs (encode with the lexical encoder's defaults →
 * cluster with k chosen by itself) on labelled corpora of real PDFs, scored by NMI against the
 * labels, with k chosen and with the true k, per corpus and size:
 *  - bench/corpus/pages.jsonl (committed: 379 pages of 9 PDFs, one chunk per page);
 *  - bench/corpus/chunks.ts's sets (`npm run bench:corpus` first): 23 Debian manuals cut by the
 *    pdf kind's default chunking, by source PDF, by translation and by project, at about 400,
 *    about 2,000 and all chunks.
 * The peer in the same run: TF-IDF (the 2,000 most frequent terms, no LSA) + ml-kmeans given the
 * true k (k-means++, its default 100 iterations). Then the 2-D projection (UMAP and PCA) timed on
 * 10,000 chunks. Writes the section "Clustering real documents: NMI" of BENCHMARKS.md.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { kmeans as mlKmeans } from "ml-kmeans";
import { clusterVectors, toMatrix, type ClusterResult } from "../workers/kinds/cluster";
import { nmi } from "../workers/kinds/cluster-metrics";
import { fitLexical } from "../workers/kinds/encode-lexical";
import { project2d } from "../workers/kinds/project";
import { gather } from "../workers/kinds/silhouette";
import { createRng, sampleIndices } from "../workers/kinds/random";
import { fitVocabulary, tfidfRows, toDense } from "../workers/kinds/tfidf";
import { tokenize } from "../workers/kinds/tokenize";
import { corpora, type Corpus } from "./corpus/chunks";
import { writeSection } from "./report";

interface Page { label: string; package: string; file: string; page: number; text: string }

export function loadCorpus(file = path.resolve(import.meta.dirname, "corpus/pages.jsonl")): Page[] {
  return fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Page);
}

const SEEDS = [1, 2, 3];
/** The peer's dense TF-IDF as number[][] (what ml-kmeans takes) is skipped above this many cells. */
const PEER_MAX_CELLS = 12_000_000;
const PEER_TERMS = 2000;
const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
const seconds = (t: number) => (performance.now() - t) / 1000;

interface Row {
  corpus: string; labelledBy: string; n: number; trueK: number; ks: number[];
  chosen: number[]; truth: number[]; peer?: number; peerS?: number; encodeS: number; autoS: number; trueS: number;
}

async function measure(c: Corpus, keep?: (r: ClusterResult) => void): Promise<{ row: Row; points: Float32Array; dim: number }> {
  const trueK = new Set(c.labels).size;
  let t = performance.now();
  const { vectors, model } = fitLexical(c.texts, { seed: 42 });
  const encodeS = seconds(t);
  const { points, dim } = toMatrix(vectors);
  const ks: number[] = [];
  const chosen: number[] = [];
  t = performance.now();
  for (const seed of SEEDS) {
    // As the kind runs it: k chosen, clusters labelled with their terms (PCA here; UMAP is timed below).
    const r = await clusterVectors(points, dim, { seed, projection: "pca", terms: { texts: c.texts, ...model }, topTerms: 6 });
    if (seed === SEEDS[0]) keep?.(r);
    ks.push(r.k);
    chosen.push(nmi(c.labels, r.labels));
  }
  const autoS = seconds(t) / SEEDS.length;
  const truth: number[] = [];
  t = performance.now();
  for (const seed of SEEDS) truth.push(nmi(c.labels, (await clusterVectors(points, dim, { seed, k: trueK, projection: "pca" })).labels));
  const trueS = seconds(t) / SEEDS.length;
  const row: Row = { corpus: c.name, labelledBy: c.labelledBy, n: c.texts.length, trueK, ks, chosen, truth, encodeS, autoS, trueS };
  if (c.texts.length * PEER_TERMS <= PEER_MAX_CELLS) {
    t = performance.now();
    const docs = c.texts.map((x) => tokenize(x));
    const dense = toDense(tfidfRows(docs, fitVocabulary(docs, { maxFeatures: PEER_TERMS })));
    row.peer = nmi(c.labels, mlKmeans(dense, trueK, { initialization: "kmeans++", seed: 1 }).clusters);
    row.peerS = seconds(t);
  }
  const line = `${row.corpus}: n ${row.n}, true k ${trueK}; k chosen ${ks.join("/")} NMI ${mean(chosen).toFixed(3)}; true k NMI ${mean(truth).toFixed(3)}; peer ${row.peer?.toFixed(3) ?? "-"}`;
  console.log(`${line}; encode ${encodeS.toFixed(1)} s, cluster ${autoS.toFixed(1)} s (auto) ${trueS.toFixed(1)} s (true k)`);
  return { row, points, dim };
}

/** Share of points whose nearest neighbour in the 2-D plot has the same label: how well the plot keeps groups together. */
function neighbourAgreement(xy: Float32Array, labels: string[]): number {
  const n = labels.length;
  let same = 0;
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    let nearest = -1;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const d = (xy[2 * i]! - xy[2 * j]!) ** 2 + (xy[2 * i + 1]! - xy[2 * j + 1]!) ** 2;
      if (d < best) [best, nearest] = [d, j];
    }
    if (labels[nearest] === labels[i]) same++;
  }
  return same / n;
}

function summarise(r: ClusterResult, labels: string[]): string {
  return r.clusters
    .map((c) => {
      const counts = new Map<string, number>();
      r.labels.forEach((a, i) => a === c.id && counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1));
      const [main, count] = [...counts].sort((x, y) => y[1] - x[1])[0] ?? ["-", 0];
      return `| ${c.id} | ${c.size} | ${main} (${Math.round((100 * count) / Math.max(1, c.size))}%) | ${c.terms.map((t) => t.term).join(", ")} |`;
    })
    .join("\n");
}

async function main() {
  const pages = loadCorpus();
  const pageCorpus: Corpus = { name: "pages 379", labelledBy: "source PDF (9), one chunk per page", texts: pages.map((p) => p.text), labels: pages.map((p) => p.label) };
  let first: ClusterResult | undefined;
  const rows: Row[] = [(await measure(pageCorpus, (r) => (first = r))).row];
  let big: { points: Float32Array; dim: number; labels: string[] } | undefined;
  for (const c of corpora()) {
    const m = await measure(c);
    rows.push(m.row);
    if (!big && c.texts.length >= 10_000) big = { points: m.points, dim: m.dim, labels: c.labels };
  }
  if (!big) throw new Error("no corpus of 10,000 chunks");
  const idx = sampleIndices(big.labels.length, 10_000, createRng(5));
  const pts = gather(big.points, big.dim, idx);
  const projLabels = Array.from(idx, (i) => big!.labels[i]!);
  const projections: string[] = [];
  for (const method of ["pca", "umap"] as const) {
    const t = performance.now();
    const p = await project2d(pts, big.dim, { method, seed: 1 });
    const s = seconds(t);
    const agree = neighbourAgreement(p.points, projLabels);
    console.log(`${method} at 10,000 × ${big.dim}: ${s.toFixed(1)} s, 2-D nearest neighbour from the same PDF ${(100 * agree).toFixed(1)}%`);
    projections.push(`| ${method === "umap" ? "UMAP (umap-js, 15 neighbours, cosine, 200 epochs, seeded)" : "PCA (power iteration)"} | ${s.toFixed(1)} | ${(100 * agree).toFixed(1)}% |`);
  }

  const f = (x: number) => x.toFixed(3);
  const table = rows
    .map((r) => {
      const gap = mean(r.chosen) - mean(r.truth);
      return `| ${r.corpus} | ${r.labelledBy} | ${r.trueK} | ${[...new Set(r.ks)].join(", ")} | ${f(mean(r.chosen))} (${f(Math.min(...r.chosen))}–${f(Math.max(...r.chosen))}) | ${f(mean(r.truth))} | ${gap >= 0 ? "+" : ""}${f(gap)} | ${r.peer === undefined ? "not run¹" : f(r.peer)} | ${r.encodeS.toFixed(1)} | ${r.autoS.toFixed(1)} | ${r.trueS.toFixed(1)} | ${r.peerS?.toFixed(1) ?? "-"} |`;
    })
    .join("\n");
  const meanChosen = mean(rows.map((r) => mean(r.chosen)));
  const meanTruth = mean(rows.map((r) => mean(r.truth)));
  const worst = Math.min(...rows.map((r) => mean(r.chosen) - mean(r.truth)));
  writeSection("nmi", `## Clustering real documents: NMI (\`npm run bench:nmi\`)

What a user gets from Baton's offline pipeline on real PDFs: chunks → encode (lexical encoder, its
defaults: TF-IDF → LSA, L2) → cluster with k chosen by the kind, scored by NMI (arithmetic
normalisation, as scikit-learn) against the label of each chunk; beside it the same with the true k,
and the peer in the same run, TF-IDF (the ${PEER_TERMS} most frequent terms, no LSA) + ml-kmeans given the true k.
Corpora: the committed \`bench/corpus/pages.jsonl\` (one chunk per page) and the sets of
\`bench/corpus/chunks.ts\` (\`npm run bench:corpus\`): 23 Debian manuals (R ×7, Octave ×2, Asymptote,
gnuplot, ReportLab, FreeFem, CamlIDL, the AMC manual in English, French and Japanese, Debian Reference
in English, German, Spanish, French, Italian and Japanese) cut by the pdf kind's default chunking
(1,000 characters, 150 of overlap), at about 400 and 2,000 chunks (seeded uniform samples) and whole.
"manuals" is labelled by source PDF, "languages" is the translated manuals by PDF, "topics" the
English manuals by project. Mean over k-means seeds ${SEEDS.join(", ")} (min–max); times are per seed, in
seconds, on ${os.cpus().length} shared cores (${os.cpus()[0]?.model ?? "cpu"}), Node ${process.version}; "cluster" includes
labelling the clusters with their terms (auto k) and a PCA projection; the encoder's SVD uses seed 42.

| corpus | labels | true k | k chosen | NMI, k chosen | NMI, true k | chosen − true | peer, true k | encode s | cluster s (auto k) | cluster s (true k) | peer s |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${table}

¹ The peer's dense ${PEER_TERMS}-term TF-IDF as number[][] is not run above ${PEER_MAX_CELLS / 1e6}M cells.

Targets: k chosen within 0.03 NMI of the true k on every corpus — worst gap here ${worst >= 0 ? "+" : ""}${f(worst)};
mean NMI with k chosen ≥ 0.90 — here ${f(meanChosen)} (true k: ${f(meanTruth)}). See "Choosing k" for how k is chosen and why.

Why the mean is far below 0.90: the space, not the choice of k. k chosen scores as well as the true
k on average; and in bench:ksel even the best k for each set, picked with the labels (the oracle
row of "Choosing k"), stays far below 0.90. A 1,000-character chunk of one manual often reads like a chunk of another (the
seven R manuals share most of their vocabulary; R-exts and R-ints describe the same internals; a
manual's index and licence pages look alike everywhere), while the large manuals' chapters differ
more from each other than from other manuals (Octave's 3,182 chunks split by chapter before the
smaller manuals separate), so k-means in a TF-IDF/LSA space groups chunks by subject, which is only
partly the source PDF. "languages" is the easiest (a language is a strong signal), and
"topics" the hardest (one label covers very different manuals). The issue's 0.89–0.95 came from four
dissimilar manuals; the figures here are for 9–23 labels that overlap on purpose. Getting to 0.90
needs a better space (a sentence-embedding model; none is available offline here — models/ holds only
the generated test model) or using the chunks' order and source, which would make it no longer a test
of clustering.

The 2-D projection on 10,000 chunks of "manuals" (${big.dim}-d LSA), and how well each keeps a PDF's chunks
together (share of points whose nearest neighbour in the plot comes from the same PDF):

| projection | s | 2-D nearest neighbour from the same PDF |
| --- | --- | --- |
${projections.join("\n")}

UMAP keeps what the plot is for (chunks of a PDF beside each other) far better than PCA, whose two
axes of largest variance put most of 23 manuals on top of each other; but umap-js takes minutes at
this size on this machine, so the cluster kind's \`projection: "auto"\` is UMAP up to 2,000 points
(\`umapMaxPoints\`) and PCA above, and \`"umap"\` asks for it at any size. The default stays PCA:
UMAP's seeded layout repeats in one JavaScript engine, but Node 20's and Chromium's Math.pow, exp
and log differ in the last bit on about a tenth of inputs, and its optimisation amplifies that, so
a tab would draw a different plot of the same clusters than a Node worker.

The clusters of "pages 379" (seed ${SEEDS[0]}, k chosen) as the cluster kind labels them (terms whose mean TF-IDF
weight in the cluster most exceeds their mean elsewhere), with the PDF most of their pages come from:

| cluster | pages | main source | distinctive terms |
| --- | --- | --- | --- |
${summarise(first!, pageCorpus.labels)}`);
}

if (process.argv[1] && import.meta.filename === path.resolve(process.argv[1])) await main();
