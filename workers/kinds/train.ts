/**
 * The `train` task kind: fits a classifier head (softmax regression or a one-hidden-layer MLP)
 * on embeddings, with Adam, mini-batches, a held-out validation split and early stopping on the
 * validation loss, and returns the best weights both as data and as an ONNX model.
 *
 * Pure TypeScript, shared by the Node worker and the browser. Deterministic for a seed: the
 * split, the initial weights and every epoch's shuffle come from one seeded generator.
 */
import { exportClassifierOnnx } from "./onnx/classifier";
import { createRng, type Rng } from "./random";
import { Adam } from "./train/adam";
import { backward, cloneLayers, forward, initModel, lossAndCorrect, type ClassifierModel } from "./train/model";
import type { TaskContext, TaskKind } from "./types";

export type { ClassifierModel } from "./train/model";

export interface TrainParams {
  /** One embedding per example, all of the same length. */
  embeddings: ArrayLike<number>[];
  /** One label per example. */
  labels: string[];
  model?: "logistic" | "mlp";
  /** Hidden units of the MLP. */
  hidden?: number;
  maxEpochs?: number;
  batchSize?: number;
  learningRate?: number;
  weightDecay?: number;
  /** Fraction of examples held out to choose the epoch (and to report validation accuracy). */
  validationSplit?: number;
  /** Epochs without a better validation loss before stopping. */
  patience?: number;
  /** How much lower a validation loss must be to count as better. */
  minDelta?: number;
  seed?: number;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
}

export interface TrainResult {
  model: ClassifierModel;
  onnx: Uint8Array;
  history: EpochRecord[];
  /** The epoch whose weights were kept (lowest validation loss). */
  bestEpoch: number;
  epochsRun: number;
  stoppedEarly: boolean;
  validation: { size: number; loss: number; accuracy: number };
}

export const TRAIN_DEFAULTS = {
  model: "logistic" as const,
  hidden: 64,
  maxEpochs: 200,
  batchSize: 32,
  learningRate: 0.01,
  weightDecay: 1e-4,
  validationSplit: 0.2,
  patience: 10,
  minDelta: 1e-4,
  seed: 42,
};

function shuffle(idx: Int32Array, rng: Rng): void {
  for (let i = idx.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
}

/** Rows `idx` of the data, packed for a forward pass. */
function gather(x: Float64Array, y: Int32Array, dim: number, idx: Int32Array): { x: Float64Array; y: Int32Array } {
  const bx = new Float64Array(idx.length * dim);
  const by = new Int32Array(idx.length);
  idx.forEach((r, i) => {
    bx.set(x.subarray(r * dim, (r + 1) * dim), i * dim);
    by[i] = y[r]!;
  });
  return { x: bx, y: by };
}

function validate(params: TrainParams): { dim: number; classes: string[] } {
  const n = params.embeddings.length;
  if (n === 0) throw new Error("train: no examples");
  if (params.labels.length !== n) throw new Error(`train: ${n} embeddings but ${params.labels.length} labels`);
  const dim = params.embeddings[0]!.length;
  const bad = params.embeddings.findIndex((e) => e.length !== dim);
  if (bad >= 0) throw new Error(`train: embedding ${bad} has ${params.embeddings[bad]!.length} values, the first has ${dim}`);
  const classes = [...new Set(params.labels)].sort();
  if (classes.length < 2) throw new Error(`train: need at least two classes, got ${classes.length}`);
  return { dim, classes };
}

export const train: TaskKind<TrainParams, TrainResult> = async (params, ctx: TaskContext) => {
  const o = { ...TRAIN_DEFAULTS, ...params };
  const { dim, classes } = validate(params);
  const n = params.embeddings.length;
  const x = new Float64Array(n * dim);
  params.embeddings.forEach((e, r) => x.set(Array.from(e), r * dim));
  const y = Int32Array.from(params.labels, (l) => classes.indexOf(l));

  const rng = createRng(o.seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  shuffle(order, rng);
  const valSize = Math.max(1, Math.round(n * o.validationSplit));
  if (valSize >= n) throw new Error(`train: validation split ${o.validationSplit} leaves no training examples`);
  const val = gather(x, y, dim, order.subarray(0, valSize));
  const trainIdx = order.slice(valSize);

  const model = initModel(o.model, dim, classes, o.hidden, rng);
  const adam = Adam.forLayers(model.layers, { learningRate: o.learningRate, weightDecay: o.weightDecay });
  ctx.log("info", `train ${o.model}: ${trainIdx.length} training and ${valSize} validation examples, ${dim} dimensions, ${classes.length} classes`);

  const history: EpochRecord[] = [];
  let best = { loss: Infinity, epoch: 0, layers: cloneLayers(model.layers), accuracy: 0 };
  let sinceBest = 0;
  let epoch = 0;
  while (epoch < o.maxEpochs && sinceBest < o.patience) {
    ctx.signal.throwIfAborted();
    epoch++;
    shuffle(trainIdx, rng);
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < trainIdx.length; start += o.batchSize) {
      const batch = gather(x, y, dim, trainIdx.subarray(start, start + o.batchSize));
      const acts = forward(model, batch.x, batch.y.length);
      // Training loss and accuracy as seen during the epoch (before each step): no extra pass.
      const seen = lossAndCorrect(acts.probabilities, batch.y, classes.length);
      lossSum += seen.loss * batch.y.length;
      correct += seen.correct;
      adam.update(backward(model, acts, batch.y).flatMap((g) => [g.weight, g.bias]));
    }
    const v = lossAndCorrect(forward(model, val.x, valSize).probabilities, val.y, classes.length);
    const record = { epoch, loss: lossSum / trainIdx.length, accuracy: correct / trainIdx.length, valLoss: v.loss, valAccuracy: v.correct / valSize };
    history.push(record);
    ctx.metric("loss", record.loss, epoch);
    ctx.metric("accuracy", record.accuracy, epoch);
    ctx.metric("val_loss", record.valLoss, epoch);
    ctx.metric("val_accuracy", record.valAccuracy, epoch);
    ctx.progress(epoch / o.maxEpochs, `epoch ${epoch}: loss ${record.loss.toFixed(4)}, val ${record.valLoss.toFixed(4)}`);

    if (record.valLoss < best.loss - o.minDelta) {
      best = { loss: record.valLoss, epoch, layers: cloneLayers(model.layers), accuracy: record.valAccuracy };
      sinceBest = 0;
    } else sinceBest++;
    // Yield between epochs so a worker's heartbeats and cancellations get through.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }

  model.layers = best.layers;
  const stoppedEarly = epoch < o.maxEpochs;
  ctx.log("info", `train: kept epoch ${best.epoch} of ${epoch} (val loss ${best.loss.toFixed(4)}, val accuracy ${best.accuracy.toFixed(3)})${stoppedEarly ? ", stopped early" : ""}`);
  ctx.progress(1, "done");
  return {
    model,
    onnx: exportClassifierOnnx(model),
    history,
    bestEpoch: best.epoch,
    epochsRun: epoch,
    stoppedEarly,
    validation: { size: valSize, loss: best.loss, accuracy: best.accuracy },
  };
};
