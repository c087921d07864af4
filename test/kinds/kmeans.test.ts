import { describe, expect, it } from "vitest";
import { nmi } from "@/workers/kinds/cluster-metrics";
import { kmeans } from "@/workers/kinds/kmeans";
import { assign } from "@/workers/kinds/kmeans-assign";
import { chooseK } from "@/workers/kinds/silhouette";
import { blobs } from "./kmeans-blobs";

describe("k-means", () => {
  it("recovers well-separated blobs exactly", async () => {
    const { points, labels, dim } = blobs(5, 60, 8);
    const result = await kmeans(points, dim, { k: 5, seed: 3 });
    expect(nmi(labels, result.labels)).toBe(1);
    expect(result.iterations).toBeLessThan(20);
  });

  it("gives the same clusters for the same seed", async () => {
    const { points, dim } = blobs(6, 40, 5, 9, 3);
    const a = await kmeans(points, dim, { k: 6, seed: 11 });
    const b = await kmeans(points, dim, { k: 6, seed: 11 });
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(Array.from(a.centroids)).toEqual(Array.from(b.centroids));
    expect(a.inertia).toBe(b.inertia);
  });

  it("takes any assignment step with the same contract (the hook a WebGPU kernel uses)", async () => {
    const { points, dim } = blobs(3, 30, 4, 2, 2);
    let calls = 0;
    const asyncAssign = async (p: Float32Array, c: Float32Array, d: number) => {
      calls++;
      return assign(p, c, d);
    };
    const viaHook = await kmeans(points, dim, { k: 3, seed: 5, assign: asyncAssign });
    const direct = await kmeans(points, dim, { k: 3, seed: 5 });
    expect(calls).toBeGreaterThan(0);
    expect(Array.from(viaHook.labels)).toEqual(Array.from(direct.labels));
  });

  it("refuses a k larger than the number of points", async () => {
    const { points, dim } = blobs(1, 3, 2);
    await expect(kmeans(points, dim, { k: 4 })).rejects.toThrow(/k must be between 1 and the number of points \(3\)/);
  });

  it("breaks ties to the lower centroid index", () => {
    const labels = assign(new Float32Array([0, 0]), new Float32Array([1, 0, -1, 0]), 2);
    expect(Array.from(labels)).toEqual([0]);
  });
});

describe("choosing k by silhouette", () => {
  it("picks the true number of blobs", async () => {
    for (const k of [3, 6]) {
      const { points, labels, dim } = blobs(k, 40, 6, 20 + k);
      const chosen = await chooseK(points, dim, { kMax: 10, seed: 1 });
      expect(chosen.best.k).toBe(k);
      expect(nmi(labels, chosen.best.labels)).toBe(1);
      expect(chosen.candidates.map((c) => c.k)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    }
  });

  it("searches on a sample when there are many points, then fits the chosen k on all of them", async () => {
    const { points, labels, dim } = blobs(4, 100, 6, 31);
    const chosen = await chooseK(points, dim, { kMax: 8, seed: 2, searchSample: 120 });
    expect(chosen.best.k).toBe(4);
    expect(chosen.best.labels).toHaveLength(400);
    expect(nmi(labels, chosen.best.labels)).toBe(1);
    expect(chosen.silhouette).toBeGreaterThan(0.5);
  });
});
