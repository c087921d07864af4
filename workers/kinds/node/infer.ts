/**
 * The `infer` kind in Node: onnxruntime-node (native, CPU) for classifiers, a `modelPath`
 * read from the worker's disk, and Transformers.js pipelines from a local models directory
 * only (no hub: workers may have no network, and a run should not fetch models by surprise), or
 * a model a run exported (`pipeline.model: { runId } | { resultId }`), fetched through Baton's
 * API into a folder of its own.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ExportedModel } from "../exported-model";
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

/**
 * A model a run exported, as a folder Transformers.js loads by absolute path: one per result
 * (a result never changes), written whole into a temporary folder and renamed, so a concurrent
 * run never sees half of it.
 */
export function modelFolderPlacer(root: string) {
  return async (model: ExportedModel): Promise<string> => {
    const dir = path.join(root, model.resultId);
    if (await stat(path.join(dir, "config.json")).catch(() => undefined)) return dir;
    const tmp = `${dir}.${randomUUID()}.tmp`;
    for (const [rel, bytes] of model.files) {
      const file = path.join(tmp, rel);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, bytes);
    }
    try {
      await rename(tmp, dir);
    } catch (err) {
      // Another run placed it first: theirs is the same model.
      await rm(tmp, { recursive: true, force: true });
      if (!(await stat(path.join(dir, "config.json")).catch(() => undefined))) throw err;
    }
    return dir;
  };
}

export type NodeInferParams = InferParams | (Omit<Extract<InferParams, { model: unknown }>, "model"> & { modelPath: string });

export function nodeInfer(opts: { localModelPath?: string; exportedModelsDir?: string } = {}): TaskKind<NodeInferParams, InferResult> {
  const kind = createInferKind({
    ort: loadOrtNode,
    pipeline: transformersPipeline(opts.localModelPath ?? process.env.BATON_MODELS_DIR ?? "./models/"),
    placeModel: modelFolderPlacer(opts.exportedModelsDir ?? path.join(os.tmpdir(), "baton-exported-models")),
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
