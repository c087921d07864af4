/**
 * The kinds registry (workers/kinds/registry.ts): every kind's example is valid for its own zod
 * schema and for the JSON schema the server stores; internals are not kinds; a bad parameter
 * names its field before the kind runs; and the documented defaults are the kinds' own.
 */
import { describe, expect, it } from "vitest";
import { checkParameters, checkParameterSchema } from "@/server/domain/parameters";
import { DEFAULT_CHUNK } from "@/workers/kinds/pdf";
import {
  checkKindParameters,
  describeParameters,
  KIND_NAMES,
  KindParameterError,
  KINDS,
  kindInfo,
  kindOfEntrypoint,
  kindsOn,
} from "@/workers/kinds/registry";
import { TRAIN_DEFAULTS } from "@/workers/kinds/train";
import type { TaskContext } from "@/workers/kinds/types";
import { EntrypointError, loadKind } from "@/workers/node/entrypoints";

function context(): TaskContext {
  return { log: () => {}, metric: () => {}, progress: () => {}, signal: new AbortController().signal };
}

function parameterError(fn: () => unknown): KindParameterError {
  try {
    fn();
  } catch (err) {
    if (err instanceof KindParameterError) return err;
    throw err;
  }
  throw new Error("no KindParameterError was thrown");
}

describe("kinds registry", () => {
  it("lists the public kinds, and no internals", () => {
    expect([...KIND_NAMES].sort()).toEqual(["cluster", "encode", "infer", "pdf", "train"]);
    for (const internal of ["kmeans", "tokenize", "tfidf", "svd", "pca", "silhouette", "encode-lexical", "context", "registry"]) {
      expect(KIND_NAMES).not.toContain(internal);
    }
    expect([...kindsOn("tab")].sort()).toEqual(["cluster", "encode", "infer", "pdf"]);
    expect(kindsOn("gpu")).toEqual(["train"]);
    expect(kindOfEntrypoint("kind:cluster")).toBe("cluster");
    expect(kindOfEntrypoint("flows/etl.ts:etl")).toBeUndefined();
  });

  it.each(KIND_NAMES)("%s: its example is valid for its zod schema and for its JSON schema on the server", (name) => {
    expect(() => checkKindParameters(name, KINDS[name].example)).not.toThrow();
    const info = kindInfo(name);
    expect(info.parameterSchema.$schema).toBeUndefined();
    expect(() => checkParameterSchema(info.parameterSchema)).not.toThrow();
    expect(() => checkParameters({ schema: info.parameterSchema, parameters: info.example })).not.toThrow();
    expect(() => checkParameterSchema(info.resultSchema)).not.toThrow();
    expect(info.summary.length).toBeGreaterThan(10);
    expect(describeParameters(info.parameterSchema).length).toBeGreaterThan(0);
  });

  it("cluster given texts is refused before it runs, naming the fields and saying what to do", () => {
    const err = parameterError(() => checkKindParameters("cluster", { texts: ["a", "b", "c"] }));
    expect(err.field).toBe("parameters.vectors");
    expect(err.message).toContain("parameters.vectors: is required");
    expect(err.message).toMatch(/parameters\.texts: is not a parameter of cluster: .*encode the texts first \(kind:encode\)/);
  });

  it("names nested fields, and the server's JSON schema refuses the same parameters", () => {
    const bad = { vectors: [[1, 2], [3]], k: 0, terms: { texts: ["only one"] } };
    const err = parameterError(() => checkKindParameters("cluster", bad));
    expect(err.field).toBe("parameters.k");
    expect(err.message).toContain("parameters.k: must be 1 or more");
    // The cross-field checks (lengths) run once the types are right.
    const lengths = parameterError(() => checkKindParameters("cluster", { vectors: [[1, 2], [3]], terms: { texts: ["one"] } }));
    expect(lengths.message).toContain("parameters.vectors.1: has 1 number, the first vector 2");
    expect(lengths.message).toContain("parameters.terms.texts: has 1 texts for 2 vectors");
    expect(() => checkParameters({ schema: kindInfo("cluster").parameterSchema, parameters: { texts: ["a"] } })).toThrow(/parameters\.texts: is not an allowed parameter/);
    expect(parameterError(() => checkKindParameters("train", { embeddings: [[1], [2]], labels: ["a"] })).field).toBe("parameters.labels");
    expect(parameterError(() => checkKindParameters("infer", { embeddings: [[1]] })).message).toContain("parameters.model: give the classifier as model, modelPath");
    expect(parameterError(() => checkKindParameters("pdf", { name: "x.pdf" })).field).toBe("parameters.url");
    expect(parameterError(() => checkKindParameters("encode", { texts: "one" })).message).toBe("encode: parameters.texts: must be an array of strings");
    expect(parameterError(() => checkKindParameters("encode", [])).field).toBe("parameters");
  });

  it("takes typed arrays from flow code, and bytes only from flow code", () => {
    expect(() => checkKindParameters("cluster", { vectors: [Float32Array.of(1, 2), Float32Array.of(3, 4)], k: 1 })).not.toThrow();
    expect(() => checkKindParameters("pdf", { data: new Uint8Array(4) })).not.toThrow();
    expect(parameterError(() => checkKindParameters("pdf", { data: [1, 2, 3] })).field).toBe("parameters.data");
    // JSON cannot carry bytes: the stored schema refuses `data` outright.
    expect(() => checkParameters({ schema: kindInfo("pdf").parameterSchema, parameters: { data: "JVBERi0=" } })).toThrow(/parameters\.data/);
  });

  it("documents the kinds' own defaults", () => {
    const defaults = (name: "train" | "cluster") =>
      Object.fromEntries(describeParameters(kindInfo(name).parameterSchema).filter((p) => "default" in p).map((p) => [p.name, p.default]));
    expect(defaults("train")).toEqual(TRAIN_DEFAULTS);
    expect(defaults("cluster")).toMatchObject({ restarts: 4, maxIterations: 300, silhouetteSample: 1500, topTerms: 8 });
    const chunk = (kindInfo("pdf").parameterSchema.properties as Record<string, { anyOf: { properties?: Record<string, { default?: unknown }> }[] }>).chunk;
    const options = chunk!.anyOf.find((s) => s.properties)!.properties!;
    expect({ size: options.size!.default, overlap: options.overlap!.default, unit: options.unit!.default }).toEqual(DEFAULT_CHUNK);
  });
});

describe("the Node worker's kinds", () => {
  it("refuses internals and unknown names, listing the kinds", async () => {
    for (const name of ["kmeans", "tokenize", "nope"]) {
      await expect(loadKind(name)).rejects.toThrow(EntrypointError);
      await expect(loadKind(name)).rejects.toThrow(/the kinds: pdf, encode, cluster, train, infer/);
    }
  });

  it("checks parameters before the kind runs", async () => {
    const cluster = await loadKind("cluster");
    await expect(cluster({ texts: ["a", "b"] }, context())).rejects.toThrow(/parameters\.vectors: is required/);
  });

  it.each(["cluster", "train", "encode"] as const)("%s: its example runs, and its result fits its result schema", async (name) => {
    const kind = await loadKind(name);
    const result = await kind(KINDS[name].example, context());
    const parsed = KINDS[name].result.safeParse(result);
    expect(parsed.error?.issues).toBeUndefined();
  });
});
