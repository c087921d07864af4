/**
 * bench:kmeans — Baton's k-means CPU path against the ml-kmeans package on the same data and the
 * same seeds (ten): wall time and inertia (sum of squared distances to the assigned centroid, computed
 * the same way for both). Both get one k-means++ seeding per seed (Baton with restarts: 1) so the
 * comparison is like for like; Baton's default of 4 restarts is shown apart.
 *
 * Data: the LSA vectors of the evaluation corpus (what the cluster kind sees in the offline
 * pipeline), and seeded Gaussian blobs at two sizes, one embedding-shaped (384-d).
 */
import os from "node:os";
import { kmeans as mlKmeans } from "ml-kmeans";
import { toMatrix } from "../workers/kinds/cluster";
import { fitLexical } from "../workers/kinds/encode-lexical";
import { inertia, kmeans } from "../workers/kinds/kmeans";
import { createRng } from "../workers/kinds/random";
import { loadCorpus } from "./nmi";
import { writeSection } from "./report";

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

function blobs(n: number, dim: number, centres: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const c = Array.from({ length: centres }, () => Array.from({ length: dim }, () => rng.normal() * 3));
  const points = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const centre = c[i % centres]!;
    for (let j = 0; j < dim; j++) points[i * dim + j] = centre[j]! + rng.normal() * 1.5;
  }
  return points;
}

interface Line { data: string; who: string; seconds: number; inertia: number; wins?: number }

async function compare(name: string, points: Float32Array, dim: number, k: number): Promise<Line[]> {
  const rows: number[][] = [];
  for (let i = 0; i < points.length / dim; i++) rows.push(Array.from(points.subarray(i * dim, i * dim + dim)));
  const baton = { seconds: 0, inertia: 0 };
  const ml = { seconds: 0, inertia: 0 };
  let wins = 0;
  for (const seed of SEEDS) {
    let t = performance.now();
    const ours = await kmeans(points, dim, { k, seed, restarts: 1, maxIterations: 300 });
    baton.seconds += (performance.now() - t) / 1000;
    t = performance.now();
    const theirs = mlKmeans(rows, k, { initialization: "kmeans++", seed, maxIterations: 300 });
    ml.seconds += (performance.now() - t) / 1000;
    const theirInertia = inertia(points, dim, Int32Array.from(theirs.clusters), Float32Array.from(theirs.centroids.flat()));
    baton.inertia += ours.inertia;
    ml.inertia += theirInertia;
    if (ours.inertia <= theirInertia * (1 + 1e-9)) wins++;
  }
  const t = performance.now();
  const best = await kmeans(points, dim, { k, seed: SEEDS[0], maxIterations: 300 });
  const restartsS = (performance.now() - t) / 1000;
  const s = SEEDS.length;
  const lines: Line[] = [
    { data: name, who: "Baton k-means (1 seeding)", seconds: baton.seconds / s, inertia: baton.inertia / s, wins },
    { data: name, who: "ml-kmeans 7 (k-means++)", seconds: ml.seconds / s, inertia: ml.inertia / s },
    { data: name, who: "Baton k-means (default: 4 restarts, seed 1)", seconds: restartsS, inertia: best.inertia },
  ];
  for (const l of lines) console.log(`${l.data} | ${l.who} | ${l.seconds.toFixed(3)} s | inertia ${l.inertia.toFixed(2)}${l.wins !== undefined ? ` | ≤ ml-kmeans on ${l.wins}/${s} seeds` : ""}`);
  return lines;
}

async function main() {
  const pages = loadCorpus();
  const { vectors } = fitLexical(pages.map((p) => p.text), { seed: 42 });
  const corpus = toMatrix(vectors);
  const lines = [
    ...(await compare(`corpus LSA vectors (${pages.length} × ${corpus.dim}), k = 9`, corpus.points, corpus.dim, 9)),
    ...(await compare("blobs 20,000 × 32, k = 16", blobs(20_000, 32, 16, 7), 32, 16)),
    ...(await compare("blobs 5,000 × 384, k = 10", blobs(5_000, 384, 10, 8), 384, 10)),
  ];
  const table = lines
    .map((l) => `| ${l.data} | ${l.who} | ${l.seconds.toFixed(3)} | ${l.inertia.toFixed(2)} | ${l.wins !== undefined ? `${l.wins}/${SEEDS.length}` : ""} |`)
    .join("\n");
  writeSection("kmeans", `## k-means CPU path against ml-kmeans (\`npm run bench:kmeans\`)

Same data, same k, seeds ${SEEDS.join(", ")}; each library seeds with k-means++ once per seed (Baton: greedy
k-means++ with 2 + ln k candidates per centre, \`restarts: 1\`), at most 300 iterations, each its own
stopping rule. Time is the mean wall time per seed (the conversion to ml-kmeans's number[][] is not
counted); inertia is the mean sum of squared distances to the assigned centroid, computed by the same
function for both; the last column counts the seeds on which Baton's inertia was at most ml-kmeans's.
Baton's default (4 restarts, keep the lowest inertia) is shown for reference.
${os.cpus().length} cores (${os.cpus()[0]?.model ?? "cpu"}), Node ${process.version}.

| data | implementation | s per run | inertia | Baton ≤ ml-kmeans |
| --- | --- | --- | --- | --- |
${table}`);
}

await main();
