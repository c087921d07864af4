/**
 * bench:kmeans — Baton's k-means CPU path against the ml-kmeans package, side by side in one run,
 * on the same data with the same seeds: wall time (median over the seeds) and inertia (sum of
 * squared distances to the assigned centroid, computed by the same function for both). Both get
 * one k-means++ seeding per seed (Baton with restarts: 1) so the comparison is like for like;
 * Baton's default of 4 restarts and its optional mini-batch start are shown apart.
 *
 * Data: the LSA vectors of the evaluation corpus (what the cluster kind sees in the offline
 * pipeline), and seeded Gaussian blobs in 384 dimensions (embedding-shaped) with k = 20: 20
 * centres drawn N(0, σc²) per coordinate, each point a centre (round-robin) plus N(0, 1.5²) noise;
 * σc = 3 gives separated clusters, σc = 0.5 overlapping ones (Lloyd needs tens of iterations).
 */
import os from "node:os";
import { kmeans as mlKmeans } from "ml-kmeans";
import { toMatrix } from "../workers/kinds/cluster";
import { fitLexical } from "../workers/kinds/encode-lexical";
import { inertia, kmeans, type KMeansOptions } from "../workers/kinds/kmeans";
import { createRng } from "../workers/kinds/random";
import { loadCorpus } from "./nmi";
import { writeSection } from "./report";

function blobs(n: number, dim: number, centres: number, seed: number, centreSpread: number): Float32Array {
  const rng = createRng(seed);
  const c = Array.from({ length: centres }, () => Array.from({ length: dim }, () => rng.normal() * centreSpread));
  const points = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const centre = c[i % centres]!;
    for (let j = 0; j < dim; j++) points[i * dim + j] = centre[j]! + rng.normal() * 1.5;
  }
  return points;
}

interface Line { data: string; who: string; seconds: number; inertia: number; ratio?: number; wins?: string }

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function timed<T>(f: () => T | Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await f();
  return [r, (performance.now() - t) / 1000];
}

async function compare(name: string, points: Float32Array, dim: number, k: number, seeds: number[], variants: [string, Partial<KMeansOptions>][] = []): Promise<Line[]> {
  const rows: number[][] = [];
  for (let i = 0; i < points.length / dim; i++) rows.push(Array.from(points.subarray(i * dim, i * dim + dim)));
  const ours = { s: [] as number[], inertia: [] as number[] };
  const theirs = { s: [] as number[], inertia: [] as number[] };
  const extra = variants.map(() => ({ s: [] as number[], inertia: [] as number[] }));
  let wins = 0;
  for (const seed of seeds) {
    const [a, as] = await timed(() => kmeans(points, dim, { k, seed, restarts: 1, maxIterations: 300 }));
    const [b, bs] = await timed(() => mlKmeans(rows, k, { initialization: "kmeans++", seed, maxIterations: 300 }));
    const bInertia = inertia(points, dim, Int32Array.from(b.clusters), Float32Array.from(b.centroids.flat()));
    ours.s.push(as);
    ours.inertia.push(a.inertia);
    theirs.s.push(bs);
    theirs.inertia.push(bInertia);
    if (a.inertia <= bInertia * (1 + 1e-9)) wins++;
    console.log(`${name} seed ${seed}: Baton ${as.toFixed(3)} s (${a.iterations} it.) ${a.inertia.toFixed(1)} | ml-kmeans ${bs.toFixed(3)} s (${b.iterations} it.) ${bInertia.toFixed(1)}`);
    for (const [v, [label, options]] of variants.entries()) {
      const [c, cs] = await timed(() => kmeans(points, dim, { k, seed, restarts: 1, maxIterations: 300, ...options }));
      extra[v]!.s.push(cs);
      extra[v]!.inertia.push(c.inertia);
      console.log(`  ${label}: ${cs.toFixed(3)} s (${c.iterations} it.) ${c.inertia.toFixed(1)}`);
    }
  }
  const [best, bestS] = await timed(() => kmeans(points, dim, { k, seed: seeds[0], maxIterations: 300 }));
  const ml = median(theirs.s);
  const lines: Line[] = [
    { data: name, who: "Baton k-means (1 seeding)", seconds: median(ours.s), inertia: mean(ours.inertia), ratio: ml / median(ours.s), wins: `${wins}/${seeds.length}` },
    { data: name, who: "ml-kmeans 7 (k-means++)", seconds: ml, inertia: mean(theirs.inertia) },
    ...variants.map(([label], v) => ({ data: name, who: label, seconds: median(extra[v]!.s), inertia: mean(extra[v]!.inertia), ratio: ml / median(extra[v]!.s) })),
    { data: name, who: `Baton k-means (default: 4 restarts, seed ${seeds[0]})`, seconds: bestS, inertia: best.inertia },
  ];
  for (const l of lines) console.log(`${l.data} | ${l.who} | ${l.seconds.toFixed(3)} s | inertia ${l.inertia.toFixed(2)}${l.ratio ? ` | ${l.ratio.toFixed(1)}×` : ""}`);
  return lines;
}

async function main() {
  const load = [os.loadavg()[0]!];
  const started = new Date();
  const pages = loadCorpus();
  const { vectors } = fitLexical(pages.map((p) => p.text), { seed: 42 });
  const corpus = toMatrix(vectors);
  const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const five = [1, 2, 3, 4, 5];
  const three = [1, 2, 3];
  const miniBatch: [string, Partial<KMeansOptions>] = ["Baton k-means with a mini-batch start (1 seeding)", { miniBatch: true }];
  const lines = [
    ...(await compare(`corpus LSA vectors (${pages.length} × ${corpus.dim}), k = 9`, corpus.points, corpus.dim, 9, ten)),
    ...(await compare("separated blobs 20,000 × 384 (σc = 3), k = 20", blobs(20_000, 384, 20, 7, 3), 384, 20, five)),
    ...(await compare("separated blobs 100,000 × 384 (σc = 3), k = 20", blobs(100_000, 384, 20, 8, 3), 384, 20, three, [miniBatch])),
    ...(await compare("overlapping blobs 20,000 × 384 (σc = 0.5), k = 20", blobs(20_000, 384, 20, 9, 0.5), 384, 20, five, [["Baton k-means, Hamerly bounds (1 seeding)", { method: "hamerly" }]])),
    ...(await compare("overlapping blobs 100,000 × 384 (σc = 0.5), k = 20", blobs(100_000, 384, 20, 10, 0.5), 384, 20, three, [miniBatch])),
  ];
  load.push(os.loadavg()[0]!);
  const table = lines
    .map((l) => `| ${l.data} | ${l.who} | ${l.seconds.toFixed(3)} | ${l.ratio ? `${l.ratio.toFixed(1)}×` : ""} | ${l.inertia.toFixed(2)} | ${l.wins ?? ""} |`)
    .join("\n");
  writeSection("kmeans", `## k-means CPU path against ml-kmeans (\`npm run bench:kmeans\`)

Same data, same k, seeds 1–10 (corpus), 1–5 (20,000 points) and 1–3 (100,000 points); each library
seeds with k-means++ once per seed (Baton: greedy k-means++ with 3(1 + ⌊ln k⌋) candidates per
centre on a seeded sample of at most 4,096 points, \`restarts: 1\`; ml-kmeans: 2 + ⌊ln k⌋
candidates on all points), at most 300 iterations, each its own stopping rule. Time is the median
wall time over the seeds (the conversion to ml-kmeans's number[][] is not counted); "vs ml-kmeans"
is ml-kmeans's median over that row's; inertia is the mean over the seeds of the sum of squared
distances to the assigned centroid, computed by the same function for both; the last column counts
the seeds on which Baton's inertia was at most ml-kmeans's. Baton's default (4 restarts, keep the
lowest inertia) is shown for reference.

Blobs: 20 centres drawn N(0, σc²) per coordinate, each point a centre (round-robin) plus N(0, 1.5²)
noise, from a seeded generator (bench/kmeans.ts \`blobs\`).

Baton's run: seeds on the sample, then Lloyd iterations with Elkan's bounds on Float32 rows and
expanded distances (‖x‖² − 2x·c + ‖c‖², norms precomputed, a point against four centres per loop),
giving plain Lloyd's labels and iterations exactly; the mini-batch start (\`miniBatch: true\`) is
measured but not the default. Not here: the browser's WebGPU assignment step (headless Chromium's
adapter is software, SwiftShader: a correctness check, not a timing; no GPU was lent to the session
that wrote this), WASM SIMD and worker threads (not built: the target was met on one thread, and the
2 cores were busy with other work).

${os.cpus().length} cores (${os.cpus()[0]?.model ?? "cpu"}), Node ${process.version}, ${started.toISOString().slice(0, 10)}.
The machine was shared with other work while measuring (1-minute load average ${load.map((l) => l.toFixed(1)).join(" at the start, ")} at the end, on ${os.cpus().length} cores), so the times are noisy; both libraries ran interleaved, seed by seed, under the same load.

| data | implementation | s per run (median) | vs ml-kmeans | inertia (mean) | Baton ≤ ml-kmeans |
| --- | --- | --- | --- | --- | --- |
${table}`);
}

await main();
