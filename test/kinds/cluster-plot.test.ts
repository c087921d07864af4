/**
 * The cluster plot names its clusters: each cluster's leading terms at the middle of its points,
 * in each point's hover text and in the legend, from a real cluster run. Plot itself draws in the
 * browser (e2e/notebooks.test.ts hovers a point); the server renders the legend and the hidden
 * table of points that a screen reader reads.
 */
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { clusterCentres, ClusterPlot, pointTitle } from "@/app/_components/cluster-plot";
import { cluster } from "@/workers/kinds/cluster";

describe("cluster plot", () => {
  it("writes the distinctive terms of every cluster on the plot, in hover text and in the legend", async () => {
    const texts = [
      "kernel module driver interrupt", "kernel driver scheduler interrupt", "driver kernel module scheduler",
      "recipe flour butter oven", "oven flour sugar recipe", "butter sugar oven recipe",
    ];
    const vectors = [[0, 0], [0.1, 0], [0, 0.1], [5, 5], [5.1, 5], [5, 5.1]];
    const ctx = { log: () => {}, metric: () => {}, progress: () => {}, signal: new AbortController().signal };
    const result = await cluster({ vectors, k: 2, seed: 1, terms: { texts }, topTerms: 3 }, ctx);
    const points = result.projection.points.map(([x, y], i) => ({ x, y, cluster: result.labels[i]!, label: texts[i] }));
    const clusters = result.clusters.map((c) => ({ id: c.id, size: c.size, terms: c.terms.map((t) => t.term) }));
    const kernel = clusters[result.labels[0]!]!;
    const oven = clusters[result.labels[3]!]!;
    expect(kernel.terms).toEqual(expect.arrayContaining(["kernel"]));

    // On the plot: each cluster's two leading terms, at the mean of its own points.
    const centres = clusterCentres(points, clusters);
    expect(centres.map((c) => c.text).sort()).toEqual([kernel.terms.slice(0, 2).join(", "), oven.terms.slice(0, 2).join(", ")].sort());
    const kernelCentre = centres.find((c) => c.id === kernel.id)!;
    expect(kernelCentre.x).toBeCloseTo((points[0]!.x + points[1]!.x + points[2]!.x) / 3, 9);

    // Hover text: the cluster's terms, then the point's text (long texts cut short).
    const termsOf = new Map(clusters.map((c) => [c.id, c.terms]));
    expect(pointTitle(points[0]!, termsOf)).toBe(`cluster ${result.labels[0]} (${kernel.terms.join(", ")}): kernel module driver interrupt`);
    expect(pointTitle({ ...points[0]!, label: "x".repeat(300) }, termsOf)).toMatch(/: x{160}…$/);

    const html = renderToStaticMarkup(createElement(ClusterPlot, { points, clusters }));
    expect(html).toContain(`cluster ${kernel.id} (${kernel.size}): ${kernel.terms.join(", ")}`);
    expect(html).toContain("<td>recipe flour butter oven</td>");
    expect(html).toMatch(/6 points in 2 clusters, 2-D projection: every point/);
  });
});
