/**
 * The `infer` kind in Node: onnxruntime-node (native, CPU) for classifiers, a `modelPath`
 * read from the worker's disk, and Transformers.js pipelines from a local models directory
 * only (no hub: workers may have no network, and a run should not fetch models by surprise).
 */
import { readFile } from "node:fs/promises";
import { createInferKind, type InferParams, type InferResult, type OrtLike, type PipelineFactory } from "../infer";
import type { TaskKind } from "../types";

export const loadOrtNode = async (): Promise<OrtLike> => (await import("onnxruntime-node")) as unknown as OrtLike;

/** Transformers.js set to load models from `localModelPath` and never from the hub. */
export function transformersPipeline(localModelPath: string): () => Promise<PipelineFactory> {
  return async () => {
    const t = await import("@huggingface/transformers");
    t.env.localModelPath = localModelPath;
    t.env.allowRemoteModels = false;
    t.env.allowLocalModels = true;
    return t.pipeline as unknown as PipelineFactory;
  };
}

export type NodeInferParams = InferParams | (Omit<Extract<InferParams, { model: unknown }>, "model"> & { modelPath: string });

export function nodeInfer(opts: { localModelPath?: string } = {}): TaskKind<NodeInferParams, InferResult> {
  const kind = createInferKind({
    ort: loadOrtNode,
    pipeline: transformersPipeline(opts.localModelPath ?? process.env.BATON_MODELS_DIR ?? "./models/"),
  });
  return async (params, ctx) => {
    if ("modelPath" in params) {
      const { modelPath, ...rest } = params;
      return kind({ ...rest, model: await readFile(modelPath) }, ctx);
    }
    return kind(params, ctx);
  };
}

export const infer = nodeInfer();
