/**
 * The cluster plot names its clusters: each cluster's leading terms at the middle of its points,
 * in each point's hover text and in the legend (server-rendered markup of the real component).
 */
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { ClusterPlot } from "@/app/_components/cluster-plot";
import { cluster } from "@/workers/kinds/cluster";

describe("cluster plot", () => {
  it("writes the distinctive terms of every cluster on the plot", async () => {
    const texts = [
      "kernel module driver interrupt", "kernel driver scheduler interrupt", "driver kernel module scheduler",
      "recipe flour butter oven", "oven flour sugar recipe", "butter sugar oven recipe",
    ];
    const vectors = [[0, 0], [0.1, 0], [0, 0.1], [5, 5], [5.1, 5], [5, 5.1]];
    const ctx = { log: () => {}, metric: () => {}, progress: () => {}, signal: new AbortController().signal };
    const result = await cluster({ vectors, k: 2, seed: 1, terms: { texts }, topTerms: 3 }, ctx);
    const points = result.projection.points.map(([x, y], i) => ({ x, y, cluster: result.labels[i]!, label: texts[i] }));
    const clusters = result.clusters.map((c) => ({ id: c.id, size: c.size, terms: c.terms.map((t) => t.term) }));
    const html = renderToStaticMarkup(createElement(ClusterPlot, { points, clusters }));
    const onPlot = [...html.matchAll(/<text[^>]*data-testid="plot-cluster-label"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
    expect(onPlot).toHaveLength(2);
    const kernel = clusters[result.labels[0]!]!;
    const oven = clusters[result.labels[3]!]!;
    expect(onPlot).toContain(kernel.terms.slice(0, 2).join(", "));
    expect(onPlot).toContain(oven.terms.slice(0, 2).join(", "));
    expect(kernel.terms).toEqual(expect.arrayContaining(["kernel"]));
    // Hover text: the cluster's terms, then the point's text.
    expect(html).toContain(`<title>cluster ${result.labels[0]} (${kernel.terms.join(", ")}): kernel module driver interrupt</title>`);
  });
});
