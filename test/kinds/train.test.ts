/**
 * The train kind on data the test generates (seeded Gaussian blobs in 16 dimensions): it reaches
 * a known held-out accuracy, stops early when the validation loss stops improving, keeps the best
 * epoch's weights, reports metrics per epoch, is deterministic for a seed, and exports ONNX.
 */
import { describe, expect, it } from "vitest";
import { readClassifierClasses, readOnnxMetadata } from "@/workers/kinds/onnx/classifier";
import { train } from "@/workers/kinds/train";
import { predictProba } from "@/workers/kinds/train/model";
import { recordingContext } from "./pdf-helpers";
import { accuracy, blobs } from "./train-helpers";

const DIM = 16;
const simple = { classes: 4, dim: DIM, perCenter: 100 };
// Two centres per class: a class is two blobs, which one linear boundary cannot separate.
const mixture = { ...simple, centersPerClass: 2 };

describe("train kind", () => {
  it("logistic regression reaches ≥ 0.95 held-out accuracy and reports every epoch", async () => {
    const ctx = recordingContext();
    const data = blobs({ ...simple, seed: 1 });
    const heldOut = blobs({ ...simple, seed: 2 });
    const result = await train({ ...data, model: "logistic", maxEpochs: 60, seed: 3 }, ctx);

    const p = predictProba(result.model, heldOut.embeddings.flat(), heldOut.labels.length);
    expect(accuracy(result.model, p, heldOut.labels)).toBeGreaterThanOrEqual(0.95);
    expect(result.model.classes).toEqual(["class-0", "class-1", "class-2", "class-3"]);
    expect(result.validation.size).toBe(80);

    // loss, accuracy, val_loss, val_accuracy once per epoch, with the epoch as the step.
    for (const name of ["loss", "accuracy", "val_loss", "val_accuracy"]) {
      const series = ctx.metrics.filter((m) => m.name === name);
      expect(series.map((m) => m.step)).toEqual(result.history.map((h) => h.epoch));
    }
    const losses = result.history.map((h) => h.loss);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 3);
    expect(ctx.progressed.at(-1)).toBe(1);
  });

  it("the MLP learns what logistic regression cannot (two blobs per class)", async () => {
    const data = blobs({ ...mixture, seed: 1 });
    const heldOut = blobs({ ...mixture, seed: 2 });
    const score = async (model: "logistic" | "mlp") => {
      const r = await train({ ...data, model, hidden: 32, seed: 3 }, recordingContext());
      return accuracy(r.model, predictProba(r.model, heldOut.embeddings.flat(), heldOut.labels.length), heldOut.labels);
    };
    const mlp = await score("mlp");
    const logistic = await score("logistic");
    expect(mlp).toBeGreaterThanOrEqual(0.95);
    expect(mlp).toBeGreaterThan(logistic);
  });

  it("stops early on a validation-loss plateau and keeps the best epoch's weights", async () => {
    const data = blobs({ ...mixture, seed: 1 });
    const result = await train({ ...data, model: "logistic", maxEpochs: 500, patience: 8, seed: 3 }, recordingContext());
    expect(result.stoppedEarly).toBe(true);
    expect(result.epochsRun).toBeLessThan(500);
    expect(result.epochsRun).toBe(result.bestEpoch + 8);
    const best = result.history[result.bestEpoch - 1]!;
    expect(result.validation.loss).toBe(best.valLoss);
    expect(Math.min(...result.history.map((h) => h.valLoss))).toBeGreaterThanOrEqual(best.valLoss - 1e-4);
    // The returned model is the best epoch's: its validation accuracy is that epoch's.
    expect(result.validation.accuracy).toBe(best.valAccuracy);
  });

  it("is deterministic for a seed (same ONNX bytes), and the seed matters", async () => {
    const data = blobs({ ...simple, seed: 1 });
    const run = (seed: number) => train({ ...data, model: "mlp", hidden: 8, maxEpochs: 5, seed }, recordingContext());
    const [a, b, c] = await Promise.all([run(11), run(11), run(12)]);
    expect(Buffer.from(a.onnx).equals(Buffer.from(b.onnx))).toBe(true);
    expect(a.history).toEqual(b.history);
    expect(Buffer.from(a.onnx).equals(Buffer.from(c.onnx))).toBe(false);
  });

  it("exports ONNX that names its classes and kind", async () => {
    const data = blobs({ ...simple, seed: 1 });
    const result = await train({ ...data, model: "mlp", hidden: 8, maxEpochs: 3 }, recordingContext());
    expect(readClassifierClasses(result.onnx)).toEqual(result.model.classes);
    expect(readOnnxMetadata(result.onnx)["baton.kind"]).toBe("mlp");
  });

  it("refuses bad input with a reason, and stops when cancelled", async () => {
    const ctx = recordingContext();
    await expect(train({ embeddings: [[1], [2]], labels: ["a"] }, ctx)).rejects.toThrow("2 embeddings but 1 labels");
    await expect(train({ embeddings: [[1], [2]], labels: ["a", "a"] }, ctx)).rejects.toThrow("at least two classes");
    await expect(train({ embeddings: [[1], [2, 3]], labels: ["a", "b"] }, ctx)).rejects.toThrow("embedding 1 has 2 values");
    const controller = new AbortController();
    controller.abort(new Error("cancelled"));
    await expect(train({ ...blobs({ ...simple, seed: 1 }) }, recordingContext(controller.signal))).rejects.toThrow("cancelled");
  });
});
