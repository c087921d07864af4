import { describe, expect, it } from "vitest";
import { cellProblems, dagOrder, downstreamOf, formSchema, inputValue, parsePipelineEntrypoint, pipelineEntrypoint, withParameter, zCells } from "../../common/notebook";

describe("notebook cells", () => {
  const cells = zCells.parse([
    { id: "groups", kind: "cluster", inputs: { vectors: "vectors", "terms.texts": "pages" } },
    { id: "vectors", kind: "encode", inputs: { texts: "pages" } },
    { id: "pages", kind: "pdf", inputs: { data: "file" } },
    { id: "file", kind: "upload" },
  ]);

  it("orders cells after what they read, and finds what is downstream", () => {
    expect(dagOrder(cells)).toEqual(["file", "pages", "vectors", "groups"]);
    expect([...downstreamOf(cells, "vectors")].sort()).toEqual(["groups", "vectors"]);
    expect([...downstreamOf(cells, "pages")].sort()).toEqual(["groups", "pages", "vectors"]);
    expect(cellProblems(cells)).toEqual([]);
    expect(dagOrder(zCells.parse([{ id: "a", kind: "encode", inputs: { texts: "b" } }, { id: "b", kind: "encode", inputs: { texts: "a" } }]))).toBeUndefined();
  });

  it("gives each wired parameter what its source's output holds", () => {
    expect(inputValue("pdf", "texts", { chunks: [{ text: "one" }, { text: "two" }] })).toEqual(["one", "two"]);
    expect(inputValue("encode", "vectors", { vectors: [[1, 2]] })).toEqual([[1, 2]]);
    expect(inputValue("cluster", "labels", { labels: [0, 2] })).toEqual(["cluster 0", "cluster 2"]);
    expect(inputValue("train", "modelResultId", {}, "r-1")).toBe("r-1");
    expect(withParameter({ k: 3, terms: { topTerms: 2 } }, "terms.texts", ["a"])).toEqual({ k: 3, terms: { topTerms: 2, texts: ["a"] } });
  });

  it("leaves wired parameters, bytes and worker paths off the form", () => {
    const pdf = formSchema("pdf", ["data"]) as { properties: Record<string, unknown> };
    expect(Object.keys(pdf.properties)).not.toContain("data");
    expect(Object.keys(pdf.properties)).not.toContain("path");
    expect(Object.keys(pdf.properties)).toContain("chunk");
    const cluster = formSchema("cluster", ["vectors", "terms.texts"]) as { properties: Record<string, unknown>; required?: string[] };
    expect(Object.keys(cluster.properties)).not.toContain("vectors");
    expect(Object.keys(cluster.properties)).not.toContain("terms");
    expect(cluster.required ?? []).not.toContain("vectors");
    const encode = formSchema("encode", []) as { properties: Record<string, unknown> };
    expect(Object.keys(encode.properties)).toContain("texts");
  });

  it("names a deployed notebook's version in its entrypoint", () => {
    const id = "0a1b2c3d-0000-4000-8000-000000000001";
    expect(parsePipelineEntrypoint(pipelineEntrypoint(id, 7))).toEqual({ notebookId: id, version: 7 });
    expect(parsePipelineEntrypoint("kind:encode")).toBeUndefined();
    expect(parsePipelineEntrypoint(null)).toBeUndefined();
  });
});
