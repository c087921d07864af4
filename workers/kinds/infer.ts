/**
 * The `infer` task kind: runs a classifier the `train` kind exported (ONNX) over embeddings, or a
 * Transformers.js pipeline over texts.
 *
 * Shared by Node and the browser, so the runtimes are injected: onnxruntime-node on a worker
 * (`workers/kinds/node/infer.ts`), onnxruntime-web in a tab; the pipeline factory is
 * Transformers.js's `pipeline` with its env already pointed at local models by the caller.
 */
import { describeRef, fetchExportedModel, isExportedModelRef, type ExportedModel, type ExportedModelRef } from "./exported-model";
import { INPUT_NAME, OUTPUT_NAME, readClassifierClasses } from "./onnx/classifier";
import type { TaskContext, TaskKind } from "./types";

/** The part of onnxruntime-node / onnxruntime-web this kind uses (both export this shape). */
export interface OrtLike {
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: "float32", data: Float32Array, dims: number[]) => unknown;
}
interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown; dims: readonly number[] }>>;
  release?(): Promise<void>;
}

/** Transformers.js's `pipeline(task, model, options)`. */
export type PipelineFactory = (task: string, model: string, options?: Record<string, unknown>) => Promise<(inputs: string[], options?: Record<string, unknown>) => Promise<unknown>>;

export interface ClassifierInferParams {
  /** The ONNX bytes from `train` (its `onnx` result). */
  model: Uint8Array | ArrayBuffer;
  /** Class names; read from the model's metadata when not given. */
  classes?: string[];
  embeddings: ArrayLike<number>[];
  batchSize?: number;
  /** ONNX Runtime execution providers, e.g. ["webgpu", "wasm"] in a browser. */
  executionProviders?: string[];
}

export interface PipelineInferParams {
  /** `model`: a folder of the models directory, or a model a run exported (exported-model.ts). */
  pipeline: { task: string; model: string | ExportedModelRef; options?: Record<string, unknown> };
  inputs: string[];
  options?: Record<string, unknown>;
}

export type InferParams = ClassifierInferParams | PipelineInferParams;

export interface ClassifierPrediction {
  label: string;
  score: number;
  /** One probability per class, in `classes` order. */
  probabilities: number[];
}

export type InferResult =
  | { kind: "classifier"; classes: string[]; predictions: ClassifierPrediction[] }
  | { kind: "pipeline"; task: string; outputs: unknown };

export interface InferRuntimes {
  ort?: () => Promise<OrtLike>;
  pipeline?: () => Promise<PipelineFactory>;
  /** Puts a model fetched from Baton where the pipeline factory loads it; returns the name to give it. */
  placeModel?: (model: ExportedModel) => Promise<string>;
}

export function createInferKind(runtimes: InferRuntimes): TaskKind<InferParams, InferResult> {
  return async (params, ctx) => ("pipeline" in params ? runPipeline(params, ctx, runtimes) : runClassifier(params, ctx, runtimes));
}

async function runClassifier(params: ClassifierInferParams, ctx: TaskContext, runtimes: InferRuntimes): Promise<InferResult> {
  if (!runtimes.ort) throw new Error("infer: no ONNX Runtime was given to this worker");
  const bytes = new Uint8Array(params.model);
  const classes = params.classes ?? readClassifierClasses(bytes);
  if (!classes) throw new Error("infer: the model names no classes (not exported by train?): pass `classes`");
  const n = params.embeddings.length;
  const dim = params.embeddings[0]?.length ?? 0;
  const ort = await runtimes.ort();
  const session = await ort.InferenceSession.create(bytes, params.executionProviders ? { executionProviders: params.executionProviders } : {});
  try {
    const predictions: ClassifierPrediction[] = [];
    const batchSize = params.batchSize ?? 1024;
    for (let start = 0; start < n; start += batchSize) {
      ctx.signal.throwIfAborted();
      const rows = params.embeddings.slice(start, start + batchSize);
      const data = new Float32Array(rows.length * dim);
      rows.forEach((e, r) => {
        if (e.length !== dim) throw new Error(`infer: embedding ${start + r} has ${e.length} values, the first has ${dim}`);
        data.set(Array.from(e), r * dim);
      });
      const out = await session.run({ [INPUT_NAME]: new ort.Tensor("float32", data, [rows.length, dim]) });
      const probs = out[OUTPUT_NAME]?.data as Float32Array | undefined;
      if (!probs) throw new Error(`infer: the model has no "${OUTPUT_NAME}" output`);
      const k = classes.length;
      for (let r = 0; r < rows.length; r++) {
        const p = Array.from(probs.subarray(r * k, (r + 1) * k));
        let best = 0;
        for (let c = 1; c < k; c++) if (p[c]! > p[best]!) best = c;
        predictions.push({ label: classes[best]!, score: p[best]!, probabilities: p });
      }
      ctx.progress(Math.min(1, (start + rows.length) / n));
    }
    ctx.metric("predictions", predictions.length);
    return { kind: "classifier", classes, predictions };
  } finally {
    await session.release?.();
  }
}

async function runPipeline(params: PipelineInferParams, ctx: TaskContext, runtimes: InferRuntimes): Promise<InferResult> {
  if (!runtimes.pipeline) throw new Error("infer: no Transformers.js pipeline factory was given to this worker");
  const { task, options } = params.pipeline;
  const model = isExportedModelRef(params.pipeline.model) ? await exportedModel(params.pipeline.model, ctx, runtimes) : params.pipeline.model;
  ctx.log("info", `infer: pipeline ${task} with ${isExportedModelRef(params.pipeline.model) ? describeRef(params.pipeline.model) : model}${ctx.device ? ` on ${ctx.device}` : ""}`);
  const make = await runtimes.pipeline();
  // An exported model is one fp32 graph (onnx/model.onnx): without this, a tab's WASM backend would look for a q8 file.
  const exported = isExportedModelRef(params.pipeline.model) ? { dtype: "fp32" } : {};
  const pipe = await make(task, model, { ...(ctx.device ? { device: ctx.device } : {}), ...exported, ...options });
  ctx.signal.throwIfAborted();
  const outputs = await pipe(params.inputs, params.options);
  ctx.progress(1);
  // Feature extraction returns a Tensor: hand back plain arrays, which a result store can keep.
  const plain = typeof (outputs as { tolist?: unknown })?.tolist === "function" ? (outputs as { tolist(): unknown }).tolist() : outputs;
  return { kind: "pipeline", task, outputs: plain };
}

/** A run's exported model, fetched through Baton's API and placed where this runtime's pipeline loads it. */
async function exportedModel(ref: ExportedModelRef, ctx: TaskContext, runtimes: InferRuntimes): Promise<string> {
  if (!ctx.results || !runtimes.placeModel) throw new Error(`infer: ${describeRef(ref)} is read through Baton's API, which this runtime does not reach (run it on a worker or in a tab)`);
  const model = await fetchExportedModel(ref, ctx.results, ctx.signal);
  let bytes = 0;
  for (const b of model.files.values()) bytes += b.byteLength;
  ctx.log("info", `infer: fetched ${describeRef(ref)} (result ${model.resultId}: ${model.files.size} files, ${bytes} bytes)`);
  return runtimes.placeModel(model);
}
