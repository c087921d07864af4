import { describe, expect, it } from "vitest";
import { cluster } from "@/workers/kinds/cluster";
import { nmi } from "@/workers/kinds/cluster-metrics";
import type { TaskContext } from "@/workers/kinds/types";
import { blobs } from "./kmeans-blobs";

function context(): TaskContext & { logs: string[]; fractions: number[] } {
  const logs: string[] = [];
  const fractions: number[] = [];
  return { logs, fractions, log: (_l, m) => logs.push(m), metric: () => {}, progress: (f) => fractions.push(f), signal: new AbortController().signal };
}

describe("cluster task kind", () => {
  it("chooses k, projects to 2-D and summarises the clusters", async () => {
    const { points, labels, dim } = blobs(4, 30, 10, 5);
    const vectors = Array.from({ length: labels.length }, (_, i) => points.subarray(i * dim, i * dim + dim));
    const ctx = context();
    const result = await cluster({ vectors, seed: 1, projection: "auto" }, ctx);
    expect(result.k).toBe(4);
    expect(result.kChosenBy).toBe("silhouette");
    expect(nmi(labels, result.labels)).toBe(1);
    expect(result.silhouette).toBeGreaterThan(0.7);
    expect(result.projection.points).toHaveLength(120);
    expect(result.projection.method).toBe("umap");
    expect(result.clusters.map((c) => c.size)).toEqual([30, 30, 30, 30]);
    expect(ctx.logs.some((m) => m.startsWith("chose k=4"))).toBe(true);
    expect(ctx.fractions.at(-1)).toBe(1);
  }, 30_000);

  it("labels clusters with the terms that set them apart", async () => {
    const texts = [
      "kernel module driver interrupt", "kernel driver scheduler interrupt", "driver kernel module scheduler",
      "recipe flour butter oven", "oven flour sugar recipe", "butter sugar oven recipe",
    ];
    // Two obvious groups in 2-D; the labels come from the texts.
    const vectors = [[0, 0], [0.1, 0], [0, 0.1], [5, 5], [5.1, 5], [5, 5.1]];
    const result = await cluster({ vectors, k: 2, seed: 1, terms: { texts }, topTerms: 3 }, context());
    const byFirst = result.clusters[result.labels[0]!]!;
    expect(byFirst.terms.map((t) => t.term)).toEqual(expect.arrayContaining(["kernel", "driver"]));
    expect(result.clusters[result.labels[3]!]!.terms.map((t) => t.term)).toEqual(expect.arrayContaining(["oven", "recipe"]));
  });

  it("stops when the run is cancelled", async () => {
    const { points, dim } = blobs(3, 20, 4);
    const controller = new AbortController();
    controller.abort(new Error("cancelled by user"));
    const vectors = Array.from({ length: 60 }, (_, i) => points.subarray(i * dim, i * dim + dim));
    await expect(cluster({ vectors, k: 3 }, { ...context(), signal: controller.signal })).rejects.toThrow("cancelled by user");
  });
});
