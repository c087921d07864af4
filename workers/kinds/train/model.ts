/**
 * A classifier head on embeddings: dense layers (ReLU between them), softmax on top. With no
 * hidden layer it is multinomial logistic regression; with one it is a small MLP.
 *
 * Weights are Float32Array, as ONNX stores them, so the exported model computes from the very
 * numbers trained here; the arithmetic itself runs in doubles (JS numbers), which keeps training
 * stable and differs from ONNX Runtime's float32 only far below the 1e-5 the tests allow.
 */
import type { Rng } from "../random";

export interface Dense {
  inputs: number;
  outputs: number;
  /** Row-major [inputs × outputs], so `x · W` is the layer (ONNX MatMul's layout). */
  weight: Float32Array;
  bias: Float32Array;
}

export interface ClassifierModel {
  kind: "logistic" | "mlp";
  classes: string[];
  layers: Dense[];
}

export function initModel(kind: ClassifierModel["kind"], dim: number, classes: string[], hidden: number, rng: Rng): ClassifierModel {
  const sizes = kind === "mlp" ? [dim, hidden, classes.length] : [dim, classes.length];
  const layers: Dense[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inputs = sizes[l]!;
    const outputs = sizes[l + 1]!;
    // He initialisation before a ReLU, Glorot for the softmax layer: keeps activations in range.
    const beforeRelu = l + 2 < sizes.length;
    const scale = beforeRelu ? Math.sqrt(2 / inputs) : Math.sqrt(2 / (inputs + outputs));
    const weight = new Float32Array(inputs * outputs);
    for (let i = 0; i < weight.length; i++) weight[i] = rng.normal() * scale;
    layers.push({ inputs, outputs, weight, bias: new Float32Array(outputs) });
  }
  return { kind, classes, layers };
}

/** What a forward pass keeps for the backward pass: each layer's input (after ReLU). */
export interface Activations {
  inputs: Float64Array[];
  probabilities: Float64Array;
}

function dense(layer: Dense, x: Float64Array, rows: number, relu: boolean): Float64Array {
  const { inputs, outputs, weight, bias } = layer;
  const y = new Float64Array(rows * outputs);
  for (let r = 0; r < rows; r++) {
    const yo = r * outputs;
    for (let o = 0; o < outputs; o++) y[yo + o] = bias[o]!;
    for (let i = 0; i < inputs; i++) {
      const xv = x[r * inputs + i]!;
      if (xv === 0) continue; // ReLU zeros are common: skip their row of W
      const wo = i * outputs;
      for (let o = 0; o < outputs; o++) y[yo + o]! += xv * weight[wo + o]!;
    }
    if (relu) for (let o = 0; o < outputs; o++) if (y[yo + o]! < 0) y[yo + o] = 0;
  }
  return y;
}

function softmaxRows(z: Float64Array, rows: number, k: number): void {
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, z[r * k + c]!);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += z[r * k + c] = Math.exp(z[r * k + c]! - max);
    for (let c = 0; c < k; c++) z[r * k + c]! /= sum;
  }
}

/** Forward pass over `rows` inputs laid out row-major in `x`. */
export function forward(model: ClassifierModel, x: Float64Array, rows: number): Activations {
  const inputs: Float64Array[] = [];
  let h = x;
  model.layers.forEach((layer, l) => {
    inputs.push(h);
    h = dense(layer, h, rows, l + 1 < model.layers.length);
  });
  softmaxRows(h, rows, model.classes.length);
  return { inputs, probabilities: h };
}

/** Mean cross-entropy and the number of rows whose most probable class is the label. */
export function lossAndCorrect(p: Float64Array, labels: Int32Array, k: number): { loss: number; correct: number } {
  let loss = 0;
  let correct = 0;
  for (let r = 0; r < labels.length; r++) {
    const y = labels[r]!;
    loss -= Math.log(Math.max(p[r * k + y]!, 1e-12));
    let best = 0;
    for (let c = 1; c < k; c++) if (p[r * k + c]! > p[r * k + best]!) best = c;
    if (best === y) correct++;
  }
  return { loss: loss / labels.length, correct };
}

/** Gradients of the mean cross-entropy, one {weight, bias} per layer, same layout as the layer. */
export function backward(model: ClassifierModel, acts: Activations, labels: Int32Array): { weight: Float64Array; bias: Float64Array }[] {
  const rows = labels.length;
  const k = model.classes.length;
  // d loss / d logits of softmax + cross-entropy: (p − onehot) / rows.
  let delta = new Float64Array(acts.probabilities);
  for (let r = 0; r < rows; r++) delta[r * k + labels[r]!]! -= 1;
  for (let i = 0; i < delta.length; i++) delta[i]! /= rows;

  const grads: { weight: Float64Array; bias: Float64Array }[] = new Array(model.layers.length);
  for (let l = model.layers.length - 1; l >= 0; l--) {
    const { inputs, outputs, weight } = model.layers[l]!;
    const x = acts.inputs[l]!;
    const gw = new Float64Array(inputs * outputs);
    const gb = new Float64Array(outputs);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < outputs; o++) gb[o]! += delta[r * outputs + o]!;
      for (let i = 0; i < inputs; i++) {
        const xv = x[r * inputs + i]!;
        if (xv === 0) continue;
        for (let o = 0; o < outputs; o++) gw[i * outputs + o]! += xv * delta[r * outputs + o]!;
      }
    }
    grads[l] = { weight: gw, bias: gb };
    if (l > 0) {
      // Back through W, then through the ReLU that made x (zero where x was clipped).
      const prev = new Float64Array(rows * inputs);
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < inputs; i++) {
          if (x[r * inputs + i]! <= 0) continue;
          let s = 0;
          for (let o = 0; o < outputs; o++) s += weight[i * outputs + o]! * delta[r * outputs + o]!;
          prev[r * inputs + i] = s;
        }
      }
      delta = prev;
    }
  }
  return grads;
}

/** Class probabilities for each row of `x` (row-major, `dim` columns). */
export function predictProba(model: ClassifierModel, x: ArrayLike<number>, rows: number): Float64Array {
  return forward(model, Float64Array.from(x), rows).probabilities;
}

export function cloneLayers(layers: Dense[]): Dense[] {
  return layers.map((l) => ({ ...l, weight: l.weight.slice(), bias: l.bias.slice() }));
}
