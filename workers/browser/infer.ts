/**
 * The `infer` kind in a browser tab: classifiers from `train` on onnxruntime-web (the same ORT
 * module and .wasm Transformers.js uses, so one runtime is loaded, not two), and Transformers.js
 * pipelines from the models directory. A run claimed from the API carries JSON parameters, so
 * the classifier's ONNX bytes come by reference: `modelUrl` (say /models/x.onnx) or
 * `modelResultId` (the `train` run's result in Baton's blob store). A pipeline's model may be one
 * a run exported (`{ runId }` or `{ resultId }`): its files come through the API and are served
 * to Transformers.js from memory (`env.fetch`), under a path no other request uses.
 */
import { env, pipeline } from "@huggingface/transformers";
import { ResultAccessError, type ExportedModel, type ResultReader } from "../kinds/exported-model";
import { createInferKind, type InferParams, type InferResult, type OrtLike, type PipelineFactory } from "../kinds/infer";
import type { TaskKind } from "../kinds/types";

export type BrowserInferParams = InferParams | (Omit<Extract<InferParams, { model: unknown }>, "model"> & { modelUrl?: string; modelResultId?: string });

/** Where exported models are served to Transformers.js: not a model id it would look up elsewhere (a leading "/"). */
const EXPORTED_PREFIX = "/baton-exported-models/";
/** The models fetched in this tab, newest last; a few are kept so a run after the same model's is quick. */
const served = new Map<string, Map<string, Uint8Array>>();
const KEEP_MODELS = 3;
let fetchWrapped = false;

/** Transformers.js's fetch, answering the exported models' paths from memory and passing the rest on. */
function serveExportedModels() {
  if (fetchWrapped) return;
  fetchWrapped = true;
  const next = env.fetch;
  env.fetch = (input: string | URL, init?: unknown) => {
    const url = new URL(String(input), self.location.href);
    if (url.origin !== self.location.origin || !url.pathname.startsWith(EXPORTED_PREFIX)) return next(input, init);
    const [resultId, ...rest] = url.pathname.slice(EXPORTED_PREFIX.length).split("/");
    const bytes = served.get(resultId!)?.get(rest.join("/"));
    return Promise.resolve(bytes ? new Response(bytes as BlobPart, { status: 200, headers: { "content-length": String(bytes.byteLength) } }) : new Response(null, { status: 404 }));
  };
}

async function placeModel(model: ExportedModel): Promise<string> {
  serveExportedModels();
  served.delete(model.resultId);
  served.set(model.resultId, model.files);
  while (served.size > KEEP_MODELS) served.delete(served.keys().next().value!);
  return `${EXPORTED_PREFIX}${model.resultId}`;
}

const kind = createInferKind({
  // The alias in next.config.js makes this the prebuilt ORT WebGPU build Transformers.js imports.
  ort: async () => (await import("onnxruntime-web/webgpu")) as unknown as OrtLike,
  pipeline: async () => pipeline as unknown as PipelineFactory,
  placeModel,
});

/** A tRPC query through the API's plain HTTP form (a GET with the input as JSON), same origin: the tab's session. */
async function apiQuery<T>(procedure: string, input: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(`/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`, { signal });
  const body = (await res.json().catch(() => ({}))) as { result?: { data?: T }; error?: { message?: string; data?: { code?: string } } };
  if (body.error || !body.result) throw new ResultAccessError(body.error?.data?.code ?? `HTTP ${res.status}`, body.error?.message ?? `the API answered ${res.status}`);
  return body.result.data as T;
}

/** Baton's results API from the tab (its member's session). */
export function tabResultReader(signal?: AbortSignal): ResultReader {
  type Result = { storage: "inline" | "blob"; value: unknown; base64: string | null; id: string };
  return {
    get: async (id) => apiQuery<Result>("results.get", { id }, signal),
    bytes: async (id) => {
      const r = await apiQuery<Result>("results.get", { id, includeData: true }, signal);
      if (r.base64 === null) throw new ResultAccessError("BAD_REQUEST", `result ${id} holds JSON, not bytes`);
      return Uint8Array.from(atob(r.base64), (c) => c.charCodeAt(0));
    },
    ofRun: async (flowRunId) => (await apiQuery<Result | null>("results.ofRun", { flowRunId }, signal))?.id ?? null,
  };
}

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
  if ("pipeline" in params) return kind(params, ctx.results ? ctx : Object.assign(ctx, { results: tabResultReader(ctx.signal) }));
  if ("model" in params) return kind(params as InferParams, ctx);
  const { modelUrl, modelResultId, ...rest } = params;
  if (!modelUrl && !modelResultId) throw new Error("infer: give the classifier as `modelUrl` or `modelResultId`");
  const model = modelUrl ? await fetchBytes(modelUrl, ctx.signal) : await resultBytes(modelResultId!, ctx.signal);
  ctx.device = rest.executionProviders?.[0] ?? "wasm";
  return kind({ ...rest, model }, ctx);
};
