/**
 * encode, transformer encoder: texts → sentence embeddings with Transformers.js's
 * feature-extraction pipeline (mean pooling over real tokens, L2-normalised), in batches.
 *
 * Runs in a browser Web Worker (WebGPU when the browser offers an adapter, WASM otherwise) and in
 * Node (onnxruntime-node on the CPU). Where models come from is the host's choice, made once with
 * `configureTransformers`: a models directory (a URL path in browsers, a folder in Node) and the
 * Hugging Face hub only when the user allows it.
 */
import { env, pipeline, type FeatureExtractionPipeline } from "@huggingface/transformers";
import type { TaskContext, TaskKind } from "./types";

export type TransformerDevice = "webgpu" | "wasm" | "cpu";

export interface EncodeTransformerParams {
  texts: string[];
  /** A model folder under the models directory (or a hub id when the hub is allowed). */
  model?: string;
  batchSize?: number;
  normalize?: boolean;
  /** "auto": WebGPU when an adapter is there, else WASM (browsers) or CPU (Node). */
  device?: "auto" | TransformerDevice;
}

export interface EncodeResult {
  encoder: "transformer" | "lexical";
  model: string;
  device: string;
  dimensions: number;
  vectors: number[][];
}

export interface TransformersConfig {
  /** Browser: a URL path such as "/models/" (not an absolute URL: Transformers.js then drops the tokenizer). Node: a folder. */
  modelsPath: string;
  allowRemoteModels?: boolean;
  /** Browser only: where the app serves ONNX Runtime's .mjs/.wasm pair. */
  wasmPaths?: { mjs: string; wasm: string };
}

export const DEFAULT_MODEL = "tiny-bert";
const DEFAULT_BATCH = 32;

// A page or a Web Worker; Node has neither global.
const isBrowser = typeof window !== "undefined" || typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined";

let configured = false;

export function configureTransformers(config: TransformersConfig): void {
  configured = true;
  env.allowLocalModels = true;
  env.localModelPath = config.modelsPath;
  env.allowRemoteModels = config.allowRemoteModels ?? false;
  // Browser cache would keep a stale copy of a model regenerated under the same name.
  env.useBrowserCache = false;
  const onnx = env.backends.onnx as { wasm?: { wasmPaths?: unknown } } | undefined;
  if (config.wasmPaths && onnx?.wasm) onnx.wasm.wasmPaths = { ...config.wasmPaths };
}

/** WebGPU's adapter, if this runtime offers one; the check ONNX Runtime's own fallback would hide. */
export async function webgpuAdapterInfo(): Promise<string | undefined> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string; description?: string } } | null> } } | undefined)?.gpu;
  if (!gpu) return undefined;
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return undefined;
    const info = adapter.info ?? {};
    return [info.vendor, info.architecture, info.description].filter(Boolean).join(" ") || "unknown adapter";
  } catch {
    return undefined;
  }
}

async function pickDevice(wanted: EncodeTransformerParams["device"], ctx: TaskContext): Promise<TransformerDevice> {
  if (!isBrowser) return "cpu";
  if (wanted === "wasm" || wanted === "cpu") return "wasm";
  const adapter = await webgpuAdapterInfo();
  if (adapter) {
    ctx.log("info", `WebGPU adapter: ${adapter}`);
    return "webgpu";
  }
  ctx.log(wanted === "webgpu" ? "warn" : "info", "No WebGPU adapter in this browser; encoding on WASM");
  return "wasm";
}

// One pipeline per model and device, kept for the life of the worker: loading is the slow part.
const pipelines = new Map<string, Promise<FeatureExtractionPipeline>>();

function loadPipeline(model: string, device: TransformerDevice): Promise<FeatureExtractionPipeline> {
  const key = `${model}@${device}`;
  let loading = pipelines.get(key);
  if (!loading) {
    // fp32 on every device: the committed test model has no quantised variant, and the WebGPU
    // and WASM paths must agree to within float rounding.
    loading = pipeline("feature-extraction", model, { device, dtype: "fp32" }) as Promise<FeatureExtractionPipeline>;
    pipelines.set(key, loading);
    loading.catch(() => pipelines.delete(key));
  }
  return loading;
}

/** Node hosts that configured nothing (a worker running `kind:encode`) read BATON_MODELS_DIR, else ./models. */
function configureNodeDefaults() {
  if (configured || isBrowser) return;
  const proc = (globalThis as { process?: { env: Record<string, string | undefined>; cwd(): string } }).process;
  const dir = proc?.env.BATON_MODELS_DIR ?? `${proc?.cwd() ?? "."}/models`;
  configureTransformers({ modelsPath: dir.endsWith("/") ? dir : `${dir}/`, allowRemoteModels: proc?.env.BATON_ALLOW_HUB === "1" });
}

/** Loads the pipeline on the chosen device; if WebGPU fails to start, says so and uses WASM. */
export async function featureExtractor(model: string, wanted: EncodeTransformerParams["device"], ctx: TaskContext) {
  configureNodeDefaults();
  let device = await pickDevice(wanted, ctx);
  try {
    return { device, extractor: await loadPipeline(model, device) };
  } catch (err) {
    if (device !== "webgpu") throw err;
    ctx.log("warn", `WebGPU could not run ${model} (${(err as Error).message}); falling back to WASM`);
    device = "wasm";
    return { device, extractor: await loadPipeline(model, device) };
  }
}

export const encodeTransformer: TaskKind<EncodeTransformerParams, EncodeResult> = async (params, ctx) => {
  const model = params.model ?? DEFAULT_MODEL;
  const batchSize = Math.max(1, params.batchSize ?? DEFAULT_BATCH);
  const started = performance.now();
  const { device, extractor } = await featureExtractor(model, params.device ?? "auto", ctx);
  ctx.device = device;
  ctx.log("info", `encode: ${params.texts.length} texts with ${model} on ${device}, batches of ${batchSize}`);

  const vectors: number[][] = [];
  for (let i = 0; i < params.texts.length; i += batchSize) {
    ctx.signal.throwIfAborted();
    const batch = params.texts.slice(i, i + batchSize);
    const output = await extractor(batch, { pooling: "mean", normalize: params.normalize ?? true });
    vectors.push(...(output.tolist() as number[][]));
    output.dispose();
    ctx.progress(vectors.length / params.texts.length, `${vectors.length}/${params.texts.length} texts`);
  }
  const seconds = (performance.now() - started) / 1000;
  ctx.metric("texts_per_second", params.texts.length / seconds);
  return { encoder: "transformer", model, device, dimensions: vectors[0]?.length ?? 0, vectors };
};
