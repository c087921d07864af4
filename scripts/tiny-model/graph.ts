/**
 * A tiny BERT encoder as an ONNX graph: token + position + segment embeddings, then transformer
 * layers (multi-head self-attention with the padding mask, GELU feed-forward, post-layer-norm),
 * output `last_hidden_state` — the inputs and output Transformers.js's feature-extraction
 * pipeline feeds and reads for `model_type: "bert"`.
 *
 * Only standard opset-17 operators that both ONNX Runtime Web execution providers (WASM and
 * WebGPU) run, so the same file checks both paths. Weights are random but seeded: the point is a
 * real model through the real loading code, not good embeddings.
 */
import { createRng } from "../../workers/kinds/random";
import { FLOAT, INT64, encodeModel, floatTensor, int64Tensor, node, valueInfo, type Node, type Tensor } from "./onnx";

export interface TinyBertShape {
  vocabSize: number;
  hidden: number;
  heads: number;
  intermediate: number;
  layers: number;
  maxPositions: number;
}

export function buildTinyBert(shape: TinyBertShape, seed = 42): Uint8Array {
  // The kinds' seeded generator, so `npm run models:tiny` always writes the same bytes; Box–Muller
  // normal samples, 12 decimal digits: plenty, and they keep the file reproducible.
  const rng = createRng(seed);
  const randn = (n: number, scale: number) => Float32Array.from({ length: n }, () => Number((rng.normal() * scale).toFixed(12)));

  const H = shape.hidden;
  const headDim = H / shape.heads;
  if (!Number.isInteger(headDim)) throw new Error("hidden must divide by heads");
  const nodes: Node[] = [];
  const inits: Tensor[] = [];
  const weight = (name: string, dims: number[], scale: number) => {
    inits.push(floatTensor(name, dims, randn(dims.reduce((a, b) => a * b, 1), scale)));
    return name;
  };
  const constant = (name: string, dims: number[], values: number[]) => (inits.push(floatTensor(name, dims, values)), name);
  const ints = (name: string, values: number[]) => (inits.push(int64Tensor(name, [values.length], values)), name);
  const ones = (name: string, n: number) => constant(name, [n], Array(n).fill(1));
  const zeros = (name: string, n: number) => constant(name, [n], Array(n).fill(0));
  const op = (type: string, inputs: string[], out: string, attrs: Parameters<typeof node>[3] = {}) => {
    nodes.push(node(type, inputs, [out], attrs));
    return out;
  };
  const layerNorm = (x: string, prefix: string) =>
    op("LayerNormalization", [x, ones(`${prefix}.gamma`, H), zeros(`${prefix}.beta`, H)], `${prefix}.out`, {
      axis: -1,
      epsilon: { float: 1e-12 },
    });
  const linear = (x: string, prefix: string, inDim: number, outDim: number) =>
    op(
      "Add",
      [op("MatMul", [x, weight(`${prefix}.weight`, [inDim, outDim], 1 / Math.sqrt(inDim))], `${prefix}.mm`), zeros(`${prefix}.bias`, outDim)],
      `${prefix}.out`,
    );

  // Embeddings: positions 0..seq-1 come from the input's own shape.
  const seqLen = op("Gather", [op("Shape", ["input_ids"], "ids_shape"), ints("one_index", [1])], "seq_len", { axis: 0 });
  inits.push(int64Tensor("zero_scalar", [], [0]), int64Tensor("one_scalar", [], [1]));
  const seqScalar = op("Squeeze", [seqLen, ints("axis0", [0])], "seq_scalar");
  const positions = op("Range", ["zero_scalar", seqScalar, "one_scalar"], "position_ids");
  const words = op("Gather", [weight("embeddings.word", [shape.vocabSize, H], 0.5), "input_ids"], "emb.words");
  const pos = op("Gather", [weight("embeddings.position", [shape.maxPositions, H], 0.1), positions], "emb.positions");
  const segs = op("Gather", [weight("embeddings.token_type", [2, H], 0.1), "token_type_ids"], "emb.segments");
  let hidden = layerNorm(op("Add", [op("Add", [words, pos], "emb.wp"), segs], "emb.sum"), "embeddings.ln");

  // Additive mask: 0 where attention_mask is 1, -10000 where it is padding; [batch, 1, 1, seq].
  const maskF = op("Cast", ["attention_mask"], "mask.float", { to: FLOAT });
  const inverted = op("Sub", [constant("one_f", [], [1]), maskF], "mask.inverted");
  const additive = op("Mul", [inverted, constant("mask_min", [], [-10000])], "mask.additive");
  const mask4 = op("Unsqueeze", [additive, ints("axes12", [1, 2])], "mask.4d");
  const splitHeads = ints("split_heads", [0, 0, shape.heads, headDim]);
  const mergeHeads = ints("merge_heads", [0, 0, H]);
  const scale = constant("attn_scale", [], [1 / Math.sqrt(headDim)]);

  for (let l = 0; l < shape.layers; l++) {
    const p = `layer${l}`;
    const heads = (name: string, perm: number[]) =>
      op("Transpose", [op("Reshape", [linear(hidden, `${p}.${name}`, H, H), splitHeads], `${p}.${name}.heads`)], `${p}.${name}.t`, { perm });
    const q = heads("query", [0, 2, 1, 3]);
    const k = heads("key", [0, 2, 3, 1]);
    const v = heads("value", [0, 2, 1, 3]);
    const scores = op("Add", [op("Mul", [op("MatMul", [q, k], `${p}.qk`), scale], `${p}.scaled`), mask4], `${p}.masked`);
    const probs = op("Softmax", [scores], `${p}.probs`, { axis: -1 });
    const context = op("Transpose", [op("MatMul", [probs, v], `${p}.ctx`)], `${p}.ctx.t`, { perm: [0, 2, 1, 3] });
    const merged = op("Reshape", [context, mergeHeads], `${p}.ctx.merged`);
    const attnOut = layerNorm(op("Add", [linear(merged, `${p}.attn_out`, H, H), hidden], `${p}.attn_res`), `${p}.attn_ln`);
    // GELU as BERT defines it: x * 0.5 * (1 + erf(x / sqrt 2)).
    const up = linear(attnOut, `${p}.ffn_in`, H, shape.intermediate);
    const erf = op("Erf", [op("Mul", [up, constant(`${p}.rsqrt2`, [], [Math.SQRT1_2])], `${p}.gelu_in`)], `${p}.erf`);
    const gate = op("Mul", [op("Add", [erf, constant(`${p}.one`, [], [1])], `${p}.erf1`), constant(`${p}.half`, [], [0.5])], `${p}.gate`);
    const gelu = op("Mul", [up, gate], `${p}.gelu`);
    const down = linear(gelu, `${p}.ffn_out`, shape.intermediate, H);
    hidden = layerNorm(op("Add", [down, attnOut], `${p}.ffn_res`), `${p}.ffn_ln`);
  }
  nodes.push(node("Identity", [hidden], ["last_hidden_state"]));

  return encodeModel({
    nodes,
    initializers: inits,
    inputs: ["input_ids", "attention_mask", "token_type_ids"].map((n) => valueInfo(n, INT64, ["batch_size", "sequence_length"])),
    outputs: [valueInfo("last_hidden_state", FLOAT, ["batch_size", "sequence_length", H])],
    opset: 17,
    doc: "Tiny BERT-shaped encoder with seeded random weights, for Baton's tests and offline use.",
  });
}
