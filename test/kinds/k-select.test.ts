/**
 * Choosing k and the 2-D projection, on real computations: nine points in three groups, seeded
 * blobs, and the committed corpus of real PDF pages (bench/corpus/pages.jsonl, 9 documents).
 */
import { describe, expect, it } from "vitest";
import { loadCorpus } from "@/bench/nmi";
import { cluster, clusterVectors, toMatrix } from "@/workers/kinds/cluster";
import { nmi } from "@/workers/kinds/cluster-metrics";
import { fitLexical } from "@/workers/kinds/encode-lexical";
import { adjustedRand, calinskiHarabasz, daviesBouldin } from "@/workers/kinds/k-criteria";
import { kmeans } from "@/workers/kinds/kmeans";
import { project2d } from "@/workers/kinds/project";
import type { TaskContext } from "@/workers/kinds/types";
import { blobs } from "./kmeans-blobs";

const ctx = (): TaskContext & { logs: string[] } => {
  const logs: string[] = [];
  return { logs, log: (_l, m) => logs.push(m), metric: () => {}, progress: () => {}, signal: new AbortController().signal };
};

describe("choosing k", () => {
  it("finds three groups of three points", async () => {
    const vectors = [[0, 0], [0.2, 0], [0, 0.2], [5, 5], [5.2, 5], [5, 5.2], [10, 0], [10.2, 0], [10, 0.2]];
    const c = ctx();
    const result = await cluster({ vectors, seed: 1 }, c);
    expect(result.k).toBe(3);
    expect(result.kCandidates.map((k) => k.k)).toEqual([2, 3]);
    expect(nmi([0, 0, 0, 1, 1, 1, 2, 2, 2], result.labels)).toBe(1);
    expect(c.logs.some((m) => m.includes("among k=2..3"))).toBe(true);
    // PCA unless asked: the same plot in a tab as in Node.
    expect(result.projection.method).toBe("pca");
  });

  it("finds 12 blobs, beyond the old top of the range", async () => {
    const { points, labels, dim } = blobs(12, 25, 16, 3);
    const result = await clusterVectors(points, dim, { seed: 2 });
    expect(result.k).toBe(12);
    expect(nmi(labels, result.labels)).toBeGreaterThan(0.99);
  }, 60_000);

  it("recovers the PDFs of the corpus with k chosen, close to the true k's NMI", async () => {
    const pages = loadCorpus();
    const texts = pages.map((p) => p.text);
    const labels = pages.map((p) => p.label);
    const { vectors } = fitLexical(texts, { seed: 42 });
    const { points, dim } = toMatrix(vectors);
    const chosen = await clusterVectors(points, dim, { seed: 1, projection: "pca" });
    const truth = await clusterVectors(points, dim, { seed: 1, k: 9, projection: "pca" });
    const [a, b] = [nmi(labels, chosen.labels), nmi(labels, truth.labels)];
    expect(chosen.k).toBeGreaterThanOrEqual(6);
    expect(chosen.k).toBeLessThanOrEqual(16);
    expect(a).toBeGreaterThan(0.8);
    expect(a).toBeGreaterThan(b - 0.03);
  }, 60_000);

  it("scores a good partition above a bad one by every criterion", async () => {
    const { points, labels, dim } = blobs(4, 30, 8, 4);
    const good = await kmeans(points, dim, { k: 4, seed: 1 });
    const bad = await kmeans(points, dim, { k: 4, seed: 1, maxIterations: 1 });
    const shuffled = Int32Array.from(good.labels, (_, i) => good.labels[(i * 37) % good.labels.length]!);
    const fit = (l: Int32Array, c: Float32Array) => ({ points, dim, labels: l, centroids: c, k: 4 });
    expect(adjustedRand(labels, good.labels)).toBeCloseTo(1, 10);
    expect(adjustedRand(labels, shuffled)).toBeLessThan(0.2);
    expect(calinskiHarabasz(fit(good.labels, good.centroids))).toBeGreaterThanOrEqual(calinskiHarabasz(fit(bad.labels, bad.centroids)));
    expect(daviesBouldin(fit(good.labels, good.centroids))).toBeLessThan(1);
  });
});

describe("the 2-D projection", () => {
  const { points, labels, dim } = blobs(3, 20, 20, 5);

  it("is UMAP by default, seeded, and keeps each point beside its own group", async () => {
    const a = await project2d(points, dim, { seed: 3 });
    const b = await project2d(points, dim, { seed: 3 });
    expect(a.method).toBe("umap");
    expect(Array.from(a.points)).toEqual(Array.from(b.points));
    const n = labels.length;
    let same = 0;
    for (let i = 0; i < n; i++) {
      let nearest = -1;
      let best = Infinity;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const d = (a.points[2 * i]! - a.points[2 * j]!) ** 2 + (a.points[2 * i + 1]! - a.points[2 * j + 1]!) ** 2;
        if (d < best) [best, nearest] = [d, j];
      }
      if (labels[nearest] === labels[i]) same++;
    }
    expect(same / n).toBeGreaterThan(0.97);
  }, 60_000);

  it("falls back to PCA above umapMaxPoints or when asked", async () => {
    const above = await project2d(points, dim, { umapMaxPoints: 50 });
    expect(above.method).toBe("pca");
    expect(above.explained![0]).toBeGreaterThan(above.explained![1]);
    expect((await project2d(points, dim, { method: "pca" })).method).toBe("pca");
  });

  it("stops when the run is cancelled", async () => {
    const controller = new AbortController();
    controller.abort(new Error("cancelled by user"));
    await expect(project2d(points, dim, { signal: controller.signal })).rejects.toThrow("cancelled by user");
  });
});
