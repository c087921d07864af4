/**
 * The `infer` kind in a browser tab: classifiers from `train` on onnxruntime-web (the same ORT
 * module and .wasm Transformers.js uses, so one runtime is loaded, not two), and Transformers.js
 * pipelines from the models directory. A run claimed from the API carries JSON parameters, so
 * the classifier's ONNX bytes come by reference: `modelUrl` (say /models/x.onnx) or
 * `modelResultId` (the `train` run's result in Baton's blob store).
 */
import { pipeline } from "@huggingface/transformers";
import { createInferKind, type InferParams, type InferResult, type OrtLike, type PipelineFactory } from "../kinds/infer";
import type { TaskKind } from "../kinds/types";

export type BrowserInferParams = InferParams | (Omit<Extract<InferParams, { model: unknown }>, "model"> & { modelUrl?: string; modelResultId?: string });

const kind = createInferKind({
  // The alias in next.config.js makes this the prebuilt ORT WebGPU build Transformers.js imports.
  ort: async () => (await import("onnxruntime-web/webgpu")) as unknown as OrtLike,
  pipeline: async () => pipeline as unknown as PipelineFactory,
});

async function fetchBytes(url: string, signal: AbortSignal): Promise<Uint8Array> {
  const res = await fetch(url, { signal });
  if (!res.ok) throw new Error(`infer: ${url} answered ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** A result's bytes through the API's plain HTTP form of tRPC (a GET with the input as JSON). */
async function resultBytes(id: string, signal: AbortSignal): Promise<Uint8Array> {
  const input = encodeURIComponent(JSON.stringify({ id, includeData: true }));
  const res = await fetch(`/api/trpc/results.get?input=${input}`, { signal });
  const body = (await res.json()) as { result?: { data?: { base64?: string | null } }; error?: { message?: string } };
  const base64 = body.result?.data?.base64;
  if (!base64) throw new Error(`infer: result ${id} has no bytes (${body.error?.message ?? "not a blob"})`);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

export const browserInfer: TaskKind<BrowserInferParams, InferResult> = async (params, ctx) => {
  if ("model" in params || "pipeline" in params) return kind(params as InferParams, ctx);
  const { modelUrl, modelResultId, ...rest } = params;
  if (!modelUrl && !modelResultId) throw new Error("infer: give the classifier as `modelUrl` or `modelResultId`");
  const model = modelUrl ? await fetchBytes(modelUrl, ctx.signal) : await resultBytes(modelResultId!, ctx.signal);
  ctx.device = rest.executionProviders?.[0] ?? "wasm";
  return kind({ ...rest, model }, ctx);
};
