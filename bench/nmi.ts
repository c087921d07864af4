/**
 * bench:nmi — the whole offline pipeline on a labelled corpus of real PDFs (bench/corpus: pages
 * of Debian documentation packages, one label per source PDF): pages → encode → cluster, scored
 * by NMI against the labels, with k chosen by silhouette and with k = the number of documents.
 *
 * Compared in the same run:
 *  - Baton's default offline pipeline: lexical encoder (TF-IDF → LSA, L2) + Baton's k-means;
 *  - the baseline: the same TF-IDF vectors (full vocabulary, no LSA) + ml-kmeans (k-means++);
 *    for "auto k" the baseline gets the same silhouette search, run with ml-kmeans;
 *  - a transformer model from the models directory when one other than the generated test
 *    model is there (BATON_BENCH_MODEL names it), else skipped with a note.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { kmeans as mlKmeans } from "ml-kmeans";
import { clusterVectors, toMatrix } from "../workers/kinds/cluster";
import { nmi } from "../workers/kinds/cluster-metrics";
import { fitLexical } from "../workers/kinds/encode-lexical";
import { SilhouetteSample } from "../workers/kinds/silhouette";
import { fitVocabulary, tfidfRows, toDense } from "../workers/kinds/tfidf";
import { tokenize } from "../workers/kinds/tokenize";
import { writeSection } from "./report";

interface Page { label: string; package: string; file: string; page: number; text: string }

export function loadCorpus(file = path.resolve(import.meta.dirname, "corpus/pages.jsonl")): Page[] {
  return fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Page);
}

const SEED = 42;
const time = async <T>(f: () => T | Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const r = await f();
  return [r, (performance.now() - t) / 1000];
};

interface Row { pipeline: string; kMode: string; k: number; nmi: number; encodeS: number; clusterS: number; spread?: [number, number] }

// k-means depends on its seed: the true-k rows also give the mean NMI over these seeds (min–max).
const SWEEP = [1, 2, 3, 4, 5];
async function sweep(run: (seed: number) => ArrayLike<number> | Promise<ArrayLike<number>>, labels: string[]) {
  const scores: number[] = [];
  const t = performance.now();
  for (const seed of SWEEP) scores.push(nmi(labels, await run(seed)));
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  return { nmi: mean, spread: [Math.min(...scores), Math.max(...scores)] as [number, number], seconds: (performance.now() - t) / 1000 / SWEEP.length };
}

async function batonPipeline(texts: string[], labels: string[], trueK: number): Promise<Row[]> {
  const [{ vectors }, encodeS] = await time(() => fitLexical(texts, { seed: SEED }));
  const { points, dim } = toMatrix(vectors);
  const rows: Row[] = [];
  for (const k of [undefined, trueK]) {
    const [result, clusterS] = await time(() => clusterVectors(points, dim, { k, seed: SEED, kMax: 15 }));
    rows.push({ pipeline: `Baton lexical (TF-IDF → LSA ${dim}-d) + Baton k-means`, kMode: k ? "true k" : "auto (silhouette)", k: result.k, nmi: nmi(labels, result.labels), encodeS, clusterS });
  }
  const swept = await sweep(async (seed) => (await clusterVectors(points, dim, { k: trueK, seed })).labels, labels);
  rows.push({ pipeline: rows[0]!.pipeline, kMode: `true k, ${SWEEP.length} seeds`, k: trueK, nmi: swept.nmi, spread: swept.spread, encodeS, clusterS: swept.seconds });
  return rows;
}

async function baselinePipeline(texts: string[], labels: string[], trueK: number): Promise<Row[]> {
  const [dense, encodeS] = await time(() => {
    const docs = texts.map((t) => tokenize(t));
    return toDense(tfidfRows(docs, fitVocabulary(docs, { maxFeatures: 50_000 })));
  });
  const run = (k: number) => mlKmeans(dense, k, { initialization: "kmeans++", seed: SEED, maxIterations: 300 }).clusters;
  const rows: Row[] = [];
  // Auto k for the baseline: ml-kmeans has no k selection, so it gets the same silhouette search.
  const [auto, autoS] = await time(() => {
    const flat = toMatrix(dense);
    const sample = new SilhouetteSample(flat.points, flat.dim, 1500, SEED);
    let best = { k: 0, score: -Infinity, clusters: [] as number[] };
    for (let k = 2; k <= 15; k++) {
      const clusters = run(k);
      const score = sample.score(Int32Array.from(clusters), k);
      if (score > best.score) best = { k, score, clusters };
    }
    return best;
  });
  rows.push({ pipeline: `TF-IDF (${dense[0]!.length} terms) + ml-kmeans`, kMode: "auto (silhouette)", k: auto.k, nmi: nmi(labels, auto.clusters), encodeS, clusterS: autoS });
  const [fixed, fixedS] = await time(() => run(trueK));
  rows.push({ pipeline: `TF-IDF (${dense[0]!.length} terms) + ml-kmeans`, kMode: "true k", k: trueK, nmi: nmi(labels, fixed), encodeS, clusterS: fixedS });
  const swept = await sweep((seed) => mlKmeans(dense, trueK, { initialization: "kmeans++", seed, maxIterations: 300 }).clusters, labels);
  rows.push({ pipeline: rows[0]!.pipeline, kMode: `true k, ${SWEEP.length} seeds`, k: trueK, nmi: swept.nmi, spread: swept.spread, encodeS, clusterS: swept.seconds });
  return rows;
}

async function transformerPipeline(texts: string[], labels: string[], trueK: number): Promise<Row[] | string> {
  const dir = path.resolve(process.env.BATON_MODELS_DIR ?? "models");
  const present = fs.existsSync(dir) ? fs.readdirSync(dir).filter((m) => fs.existsSync(path.join(dir, m, "config.json"))) : [];
  // tiny-bert is the generated test model: its vectors are noise by design, not worth scoring.
  const model = process.env.BATON_BENCH_MODEL ?? present.find((m) => m !== "tiny-bert");
  if (!model) return `skipped: no transformer model in ${path.relative(process.cwd(), dir) || "."}/ other than the generated test model (set BATON_BENCH_MODEL to score one)`;
  // Resolved at run time: the transformer encoder is another module's, and may move.
  const spec = "../workers/kinds/encode-transformer.ts";
  const mod = (await import(spec)) as typeof import("../workers/kinds/encode-transformer");
  mod.configureTransformers({ modelsPath: dir + path.sep });
  const ctx = { log: () => {}, metric: () => {}, progress: () => {}, signal: new AbortController().signal };
  const [{ vectors }, encodeS] = await time(() => mod.encodeTransformer({ texts, model }, ctx));
  const { points, dim } = toMatrix(vectors);
  const rows: Row[] = [];
  for (const k of [undefined, trueK]) {
    const [result, clusterS] = await time(() => clusterVectors(points, dim, { k, seed: SEED, kMax: 15 }));
    rows.push({ pipeline: `transformer ${model} + Baton k-means`, kMode: k ? "true k" : "auto (silhouette)", k: result.k, nmi: nmi(labels, result.labels), encodeS, clusterS });
  }
  return rows;
}

async function main() {
  const pages = loadCorpus();
  const texts = pages.map((p) => p.text);
  const labels = pages.map((p) => p.label);
  const documents = [...new Set(labels)];
  const trueK = documents.length;
  console.log(`${pages.length} pages from ${trueK} PDFs`);
  const rows = [...(await batonPipeline(texts, labels, trueK)), ...(await baselinePipeline(texts, labels, trueK))];
  const transformer = await transformerPipeline(texts, labels, trueK);
  if (typeof transformer !== "string") rows.push(...transformer);
  const score = (r: Row) => (r.spread ? `${r.nmi.toFixed(3)} (${r.spread[0].toFixed(3)}–${r.spread[1].toFixed(3)})` : r.nmi.toFixed(3));
  for (const r of rows) console.log(`${r.pipeline} | ${r.kMode} | k=${r.k} | NMI ${score(r)} | encode ${r.encodeS.toFixed(2)} s | cluster ${r.clusterS.toFixed(2)} s`);
  if (typeof transformer === "string") console.log(`transformer: ${transformer}`);

  const table = rows
    .map((r) => `| ${r.pipeline} | ${r.kMode} | ${r.k} | ${score(r)} | ${r.encodeS.toFixed(2)} | ${r.clusterS.toFixed(2)} | ${(r.encodeS + r.clusterS).toFixed(2)} |`)
    .join("\n");
  writeSection("nmi", `## Clustering real documents: NMI (\`npm run bench:nmi\`)

Corpus: \`bench/corpus/pages.jsonl\`, ${pages.length} pages of ${trueK} PDFs from Debian documentation packages
(${documents.join(", ")}; English, French and Japanese; see \`bench/corpus/README.md\`), one label per PDF,
text extracted by \`pdftotext\`; one chunk per page. Each pipeline encodes the pages, clusters them with
k chosen by silhouette (k = 2..15) and with k = ${trueK}, and is scored by NMI (arithmetic normalisation)
against the PDF each page came from. Seed ${SEED} (encoder and k-means); the "${SWEEP.length} seeds" rows give the
mean NMI over k-means seeds ${SWEEP.join(", ")} (min–max), with the mean cluster time per seed. Times in seconds on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "cpu"}), Node ${process.version}.

| pipeline | k | k found | NMI | encode s | cluster s | total s |
| --- | --- | --- | --- | --- | --- | --- |
${table}

${typeof transformer === "string" ? `Transformer: ${transformer}.` : ""}
The baseline's "auto" row runs ml-kmeans for each k and picks by the same sampled silhouette as Baton.
Lexical encoder defaults: Unicode word segmentation (CJK as character bigrams), accents stripped, small
en/fr stop-word lists, document frequency between 2 and 50% of the pages, sublinear tf, smoothed idf,
randomized SVD (10 extra columns, 5 power iterations) to 128 dimensions, L2-normalised. The baseline
uses the same TF-IDF vectors without the SVD, so the difference is LSA + Baton's k-means.`);
}

if (process.argv[1] && import.meta.filename === path.resolve(process.argv[1])) await main();
