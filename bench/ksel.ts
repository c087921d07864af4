/**
 * bench:ksel — which score chooses k? On every labelled corpus and size (bench/corpus/chunks.ts),
 * encoded with the lexical encoder's defaults (TF-IDF → LSA, L2), k-means is fitted for each k in
 * 2..min(40, n/2) on a search sample of at most 3,000 chunks (seed 1), and every candidate score
 * is taken on that fit; the NMI of that fit against the labels says what each k is worth. Each
 * criterion's pick is then scored by its NMI, beside the NMI at the true k and the best k's.
 * Writes the raw table to the corpus cache (ksel.json) and prints one line per corpus and
 * criterion; BENCHMARKS.md's "Choosing k" summarises it.
 */
import fs from "node:fs";
import path from "node:path";
import { nmi } from "../workers/kinds/cluster-metrics";
import { fitLexical } from "../workers/kinds/encode-lexical";
import { adjustedRand, calinskiHarabasz, daviesBouldin, sphericalBic, withinSS, type Fit } from "../workers/kinds/k-criteria";
import { kmeans } from "../workers/kinds/kmeans";
import { createRng, sampleIndices } from "../workers/kinds/random";
import { SilhouetteSample } from "../workers/kinds/silhouette";
import { cacheDir, corpora } from "./corpus/chunks";

export interface KRow {
  k: number;
  nmi: number;
  silhouette: number;
  silhouetteCos: number;
  ch: number;
  db: number;
  bic: number;
  stability: number;
  logW: number;
  gap: number;
  gapSd: number;
}

const SEARCH = 3000;
const GAP_REFS = 3;

function gather(points: Float32Array, dim: number, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length * dim);
  idx.forEach((i, r) => out.set(points.subarray(i * dim, i * dim + dim), r * dim));
  return out;
}

/** Uniform points in the data's bounding box (the gap statistic's reference; LSA axes are principal). */
function reference(points: Float32Array, dim: number, seed: number): Float32Array {
  const n = points.length / dim;
  const lo = new Float32Array(dim).fill(Infinity);
  const hi = new Float32Array(dim).fill(-Infinity);
  for (let i = 0; i < n; i++) for (let t = 0; t < dim; t++) {
    lo[t] = Math.min(lo[t]!, points[i * dim + t]!);
    hi[t] = Math.max(hi[t]!, points[i * dim + t]!);
  }
  const rng = createRng(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let t = 0; t < dim; t++) out[i * dim + t] = lo[t]! + rng.next() * (hi[t]! - lo[t]!);
  return out;
}

async function study(texts: string[], labels: string[]): Promise<{ rows: KRow[]; trueK: number; n: number }> {
  const { vectors } = fitLexical(texts, { seed: 42 });
  const dim = vectors[0]!.length;
  const all = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => all.set(v, i * dim));
  const idx = sampleIndices(vectors.length, SEARCH, createRng(2));
  const points = idx.length < vectors.length ? gather(all, dim, idx) : all;
  const truth = Array.from(idx, (i) => labels[i]!);
  const n = points.length / dim;
  const silE = new SilhouetteSample(points, dim, 1500, 42, "euclidean");
  const silC = new SilhouetteSample(points, dim, 1500, 42, "squared");
  const refs = Array.from({ length: GAP_REFS }, (_, b) => reference(points, dim, 100 + b));
  const kMax = Math.min(40, Math.floor(n / 2));
  const rows: KRow[] = [];
  for (let k = 2; k <= kMax; k++) {
    const r = await kmeans(points, dim, { k, seed: 1, restarts: 1 });
    const fit: Fit = { points, dim, labels: r.labels, centroids: r.centroids, k };
    const others = await Promise.all([2, 3].map((seed) => kmeans(points, dim, { k, seed, restarts: 1 })));
    const stability = (adjustedRand(r.labels, others[0]!.labels) + adjustedRand(r.labels, others[1]!.labels) + adjustedRand(others[0]!.labels, others[1]!.labels)) / 3;
    const logRef: number[] = [];
    for (const ref of refs) {
      const f = await kmeans(ref, dim, { k, seed: 1, restarts: 1 });
      logRef.push(Math.log(withinSS({ points: ref, dim, labels: f.labels, centroids: f.centroids, k })));
    }
    const mean = logRef.reduce((a, b) => a + b, 0) / logRef.length;
    const sd = Math.sqrt(logRef.reduce((a, b) => a + (b - mean) ** 2, 0) / logRef.length) * Math.sqrt(1 + 1 / GAP_REFS);
    const logW = Math.log(withinSS(fit));
    rows.push({
      k, nmi: nmi(truth, r.labels), silhouette: silE.score(r.labels, k), silhouetteCos: silC.score(r.labels, k),
      ch: calinskiHarabasz(fit), db: daviesBouldin(fit), bic: sphericalBic(fit), stability, logW, gap: mean - logW, gapSd: sd,
    });
  }
  return { rows, trueK: new Set(labels).size, n: vectors.length };
}

type Rule = (rows: KRow[]) => number;
const argBest = (key: keyof KRow, sign = 1): Rule => (rows) => rows.reduce((b, r) => (sign * r[key] > sign * b[key] ? r : b)).k;
export const RULES: Record<string, Rule> = {
  "silhouette (Euclidean)": argBest("silhouette"),
  "silhouette (squared Euclidean = cosine on unit vectors)": argBest("silhouetteCos"),
  "Calinski–Harabasz": argBest("ch"),
  "Davies–Bouldin": argBest("db", -1),
  "BIC, spherical": argBest("bic"),
  "stability (ARI, 3 seeds)": argBest("stability"),
  "gap (Tibshirani's 1-SE rule)": (rows) => rows.find((r, i) => i + 1 < rows.length && r.gap >= rows[i + 1]!.gap - rows[i + 1]!.gapSd)?.k ?? rows.at(-1)!.k,
  "gap (max)": argBest("gap"),
};

async function main() {
  const out: { corpus: string; n: number; trueK: number; rows: KRow[] }[] = [];
  for (const c of corpora()) {
    const t = performance.now();
    const { rows, trueK, n } = await study(c.texts, c.labels);
    out.push({ corpus: c.name, n, trueK, rows });
    const at = (k: number) => rows.find((r) => r.k === k)?.nmi ?? NaN;
    const best = rows.reduce((b, r) => (r.nmi > b.nmi ? r : b));
    console.log(`\n${c.name} (${c.labelledBy}): true k ${trueK} NMI ${at(trueK).toFixed(3)}; best k ${best.k} NMI ${best.nmi.toFixed(3)} (${((performance.now() - t) / 1000).toFixed(0)} s)`);
    for (const [name, rule] of Object.entries(RULES)) console.log(`  ${name}: k=${rule(rows)} NMI ${at(rule(rows)).toFixed(3)}`);
    fs.writeFileSync(path.join(cacheDir(), "ksel.json"), JSON.stringify(out));
  }
}

if (process.argv[1] && import.meta.filename === path.resolve(process.argv[1])) await main();
