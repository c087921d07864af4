/**
 * The infer kind: the ONNX model `train` exports gives the same predictions as the TypeScript
 * model it came from — in onnxruntime-node (a Node worker) and in onnxruntime-web's WASM backend
 * (what a browser tab runs; here in Node, single-threaded) — probabilities within 1e-5, labels
 * equal. And a Transformers.js pipeline from the local models directory, never the hub.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as ortWeb from "onnxruntime-web";
import { beforeAll, describe, expect, it } from "vitest";
import { createInferKind, type OrtLike } from "@/workers/kinds/infer";
import { infer, nodeInfer } from "@/workers/kinds/node/infer";
import { train, type TrainResult } from "@/workers/kinds/train";
import { predictProba } from "@/workers/kinds/train/model";
import { recordingContext } from "./pdf-helpers";
import { accuracy, blobs } from "./train-helpers";

// One thread: no worker threads to leave behind, and the same arithmetic order on every run.
ortWeb.env.wasm.numThreads = 1;
const inferWeb = createInferKind({ ort: async () => ortWeb as unknown as OrtLike });

const spec = { classes: 4, dim: 16, perCenter: 60, centersPerClass: 2 };
const data = blobs({ ...spec, seed: 1 });
const heldOut = blobs({ ...spec, seed: 2 });
const models: Record<"logistic" | "mlp", TrainResult> = {} as never;

beforeAll(async () => {
  models.logistic = await train({ ...data, model: "logistic", maxEpochs: 40, seed: 5 }, recordingContext());
  models.mlp = await train({ ...data, model: "mlp", hidden: 32, maxEpochs: 40, seed: 5 }, recordingContext());
});

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe("infer kind: exported classifiers", () => {
  for (const kind of ["logistic", "mlp"] as const) {
    it(`${kind}: onnxruntime-node and onnxruntime-web agree with the TypeScript model (≤ 1e-5)`, async () => {
      const { model, onnx } = models[kind];
      const expected = predictProba(model, heldOut.embeddings.flat(), heldOut.labels.length);
      const expectedLabels = heldOut.labels.map((_, r) => {
        const row = Array.from(expected.subarray(r * 4, r * 4 + 4));
        return model.classes[row.indexOf(Math.max(...row))];
      });
      for (const run of [infer, inferWeb]) {
        const ctx = recordingContext();
        const result = await run({ model: onnx, embeddings: heldOut.embeddings }, ctx);
        if (result.kind !== "classifier") throw new Error("expected a classifier result");
        expect(result.classes).toEqual(model.classes);
        const got = result.predictions.flatMap((p) => p.probabilities);
        expect(maxAbsDiff(got, expected)).toBeLessThanOrEqual(1e-5);
        expect(result.predictions.map((p) => p.label)).toEqual(expectedLabels);
        expect(ctx.progressed.at(-1)).toBe(1);
      }
      expect(accuracy(model, expected, heldOut.labels)).toBeGreaterThan(kind === "mlp" ? 0.9 : 0.8);
    });
  }

  it("batches give the same answers as one pass; a model file on disk works in Node", async () => {
    const { onnx } = models.mlp;
    const one = await infer({ model: onnx, embeddings: heldOut.embeddings }, recordingContext());
    const batched = await inferWeb({ model: onnx, embeddings: heldOut.embeddings, batchSize: 7 }, recordingContext());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-infer-"));
    try {
      const file = path.join(dir, "classifier.onnx");
      fs.writeFileSync(file, onnx);
      const fromDisk = await infer({ modelPath: file, embeddings: heldOut.embeddings }, recordingContext());
      const probs = (r: typeof one) => (r.kind === "classifier" ? r.predictions.flatMap((p) => p.probabilities) : []);
      expect(maxAbsDiff(probs(batched), probs(one))).toBeLessThanOrEqual(1e-6);
      expect(probs(fromDisk)).toEqual(probs(one));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("says what is wrong with its input", async () => {
    const { onnx } = models.logistic;
    await expect(infer({ model: onnx, embeddings: [new Array(16).fill(0), [1, 2]] }, recordingContext())).rejects.toThrow(
      "embedding 1 has 2 values, the first has 16",
    );
    const ctx = recordingContext();
    await expect(infer({ model: onnx, embeddings: [new Array(15).fill(0)] }, ctx)).rejects.toThrow();
    await expect(createInferKind({})({ model: onnx, embeddings: [] }, ctx)).rejects.toThrow("no ONNX Runtime");
  });
});

describe("infer kind: Transformers.js pipelines from local models", () => {
  it("runs feature extraction with the project's tiny BERT, and a classifier on its output", async () => {
    const local = nodeInfer({ localModelPath: path.resolve(__dirname, "../../models") + "/" });
    const texts = ["the cat sat on the mat", "a dog ran in the park", "stocks fell sharply today", "markets rallied after the report"];
    const result = await local(
      { pipeline: { task: "feature-extraction", model: "tiny-bert", options: { dtype: "fp32" } }, inputs: texts, options: { pooling: "mean", normalize: true } },
      recordingContext(),
    );
    if (result.kind !== "pipeline") throw new Error("expected a pipeline result");
    const vectors = result.outputs as number[][];
    expect(vectors).toHaveLength(4);
    expect(Math.hypot(...vectors[0]!)).toBeCloseTo(1, 5);
    // Embeddings → train → infer: the pieces of the MLOps pipeline fit together.
    const head = await train({ embeddings: vectors, labels: ["animals", "animals", "markets", "markets"], validationSplit: 0.25, maxEpochs: 3 }, recordingContext());
    const predicted = await infer({ model: head.onnx, embeddings: vectors }, recordingContext());
    expect(predicted.kind === "classifier" && predicted.predictions).toHaveLength(4);
  });

  it("never reaches for the hub: a model missing locally fails and says where it looked", async () => {
    const local = nodeInfer({ localModelPath: path.join(os.tmpdir(), "baton-no-models") + "/" });
    await expect(local({ pipeline: { task: "text-classification", model: "nobody/missing" }, inputs: ["hi"] }, recordingContext())).rejects.toThrow(
      /not found locally at .*baton-no-models\/nobody\/missing/,
    );
  });
});
