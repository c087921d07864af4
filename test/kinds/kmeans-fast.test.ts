/**
 * The fast k-means paths — Elkan's and Hamerly's bounds, expanded distances, k-means++ on a
 * sample, the mini-batch start — against plain Lloyd and against ml-kmeans. Behaviour only: the
 * timings are bench:kmeans's.
 */
import { kmeans as mlKmeans } from "ml-kmeans";
import { describe, expect, it } from "vitest";
import { nmi } from "@/workers/kinds/cluster-metrics";
import { encode } from "@/workers/kinds/encode";
import { inertia, kmeans, type KMeansOptions } from "@/workers/kinds/kmeans";
import { assign } from "@/workers/kinds/kmeans-assign";
import { elkan } from "@/workers/kinds/kmeans-elkan";
import { hamerly } from "@/workers/kinds/kmeans-hamerly";
import { createRng } from "@/workers/kinds/random";
import type { TaskContext } from "@/workers/kinds/types";
import { blobs } from "./kmeans-blobs";

const ctx: TaskContext = { log: () => {}, metric: () => {}, progress: () => {}, signal: new AbortController().signal };

function uniform(n: number, dim: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n * dim }, () => rng.next());
}

async function expectSameAsLloyd(points: Float32Array, dim: number, options: KMeansOptions) {
  const lloyd = await kmeans(points, dim, { ...options, method: "lloyd" });
  for (const method of ["elkan", "hamerly"] as const) {
    const fast = await kmeans(points, dim, { ...options, method });
    expect(Array.from(fast.labels), method).toEqual(Array.from(lloyd.labels));
    expect(Array.from(fast.centroids), method).toEqual(Array.from(lloyd.centroids));
    expect(fast.iterations, method).toBe(lloyd.iterations);
    expect(fast.inertia, method).toBe(lloyd.inertia);
  }
  return lloyd;
}

describe("k-means with bounds", () => {
  it("gives plain Lloyd's clusters on well-separated blobs, and the true ones", async () => {
    const { points, labels, dim } = blobs(6, 80, 24, 4);
    const lloyd = await expectSameAsLloyd(points, dim, { k: 6, seed: 2, restarts: 1 });
    expect(nmi(labels, lloyd.labels)).toBe(1);
  });

  it("follows Lloyd iteration for iteration where clusters overlap and many points sit on a boundary", async () => {
    const dim = 16;
    const lloyd = await expectSameAsLloyd(uniform(1500, dim, 3), dim, { k: 9, seed: 5, restarts: 2 });
    expect(lloyd.iterations).toBeGreaterThan(5);
  });

  it("settles exact ties as the reference assignment does (sparse lexical vectors, duplicate points)", async () => {
    const texts = [
      ...["cats purr and sleep", "a cat chased the mouse", "kittens and cats play", "the cat drank milk", "my cat sleeps all day"],
      ...["the engine needs oil", "car engines burn fuel", "an engine and a gearbox", "fuel for the car engine", "the mechanic fixed the engine"],
      ...["bake bread with flour", "flour, water and yeast make bread", "fresh bread from the oven", "the baker kneads bread dough", "bread needs yeast and flour"],
      "cats purr and sleep", "the engine needs oil", "the engine needs oil",
    ];
    const { vectors } = (await encode({ texts, encoder: "lexical" }, ctx)) as { vectors: number[][] };
    const dim = vectors[0]!.length;
    const points = Float32Array.from(vectors.flat());
    for (const seed of [1, 2, 3, 4, 5, 6]) for (const k of [2, 3, 5, 8]) await expectSameAsLloyd(points, dim, { k, seed, restarts: 1 });
  });

  it("assigns as the reference does on exact ties (lower index) and far from the origin, where the expanded distance cancels", () => {
    // Points on the bisector of two centres: exactly as far from both.
    const tied = Float32Array.from([0, 0, 0, 1, 0, -2, 0.5, 0, 0, 3]);
    const centres = Float32Array.from([1, 0, -1, 0]);
    for (const fit of [elkan, hamerly]) expect(Array.from(fit(tied, 2, centres, 0, 0).labels)).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(assign(tied, centres, 2))).toEqual([0, 0, 0, 0, 0]);
    // Everything near (3000, …, 3000): ‖x‖² dwarfs the distances, so only the settling keeps the order.
    const dim = 8;
    const rng = createRng(9);
    const far = Float32Array.from({ length: 400 * dim }, () => 3000 + rng.next());
    const farCentres = Float32Array.from({ length: 6 * dim }, () => 3000 + rng.next());
    const reference = Array.from(assign(far, farCentres, dim));
    for (const fit of [elkan, hamerly]) expect(Array.from(fit(far, dim, farCentres, 0, 0).labels)).toEqual(reference);
  });

  it("handles k = 1 and k = n", async () => {
    const { points, dim } = blobs(3, 5, 4, 8);
    const one = await expectSameAsLloyd(points, dim, { k: 1, seed: 1, restarts: 1 });
    expect(new Set(one.labels).size).toBe(1);
    const all = await expectSameAsLloyd(points, dim, { k: 15, seed: 1, restarts: 1 });
    expect(all.inertia).toBe(0);
  });
});

describe("k-means on many points", () => {
  it("seeds on a sample and still recovers well-separated blobs", async () => {
    const { points, labels, dim } = blobs(8, 300, 32, 6);
    const sampled = await kmeans(points, dim, { k: 8, seed: 4, restarts: 1, seedSample: 200 });
    expect(nmi(labels, sampled.labels)).toBe(1);
  });

  it("with a mini-batch start ends at the same clusters as plain Lloyd on well-separated blobs, deterministically", async () => {
    const { points, labels, dim } = blobs(8, 400, 32, 12);
    const lloyd = await kmeans(points, dim, { k: 8, seed: 3, restarts: 1, method: "lloyd" });
    const batched = await kmeans(points, dim, { k: 8, seed: 3, restarts: 1, miniBatch: { batchSize: 256, steps: 6 } });
    expect(nmi(labels, lloyd.labels)).toBe(1);
    expect(Array.from(batched.labels)).toEqual(Array.from(lloyd.labels));
    expect(batched.inertia).toBeCloseTo(lloyd.inertia, 6);
    const again = await kmeans(points, dim, { k: 8, seed: 3, restarts: 1, miniBatch: { batchSize: 256, steps: 6 } });
    expect(Array.from(again.centroids)).toEqual(Array.from(batched.centroids));
  });

  it("reaches an inertia no worse than ml-kmeans's on seeded 128-d blobs (k = 12, seeds 1–3)", { timeout: 60_000 }, async () => {
    const dim = 128;
    const rng = createRng(21);
    const centres = Array.from({ length: 12 }, () => Array.from({ length: dim }, () => rng.normal() * 3));
    const n = 1200;
    const points = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) points[i * dim + j] = centres[i % 12]![j]! + rng.normal() * 1.5;
    const rows = Array.from({ length: n }, (_, i) => Array.from(points.subarray(i * dim, i * dim + dim)));
    for (const seed of [1, 2, 3]) {
      const ours = await kmeans(points, dim, { k: 12, seed, restarts: 1, seedSample: 400 });
      const theirs = mlKmeans(rows, 12, { initialization: "kmeans++", seed, maxIterations: 300 });
      const theirInertia = inertia(points, dim, Int32Array.from(theirs.clusters), Float32Array.from(theirs.centroids.flat()));
      expect(ours.inertia, `seed ${seed}`).toBeLessThanOrEqual(theirInertia * (1 + 1e-9));
    }
  });
});
