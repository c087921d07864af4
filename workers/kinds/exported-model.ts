/**
 * A model a run exported, fetched by id through Baton's results API: what `infer` loads when its
 * pipeline names `{ runId }` or `{ resultId }` instead of a folder of the models directory.
 *
 * The model is what a `process` pool's training run leaves in its output directory's `model/`
 * (examples/train-pytorch/train.py: config.json, tokenizer files, onnx/model.onnx, the layout
 * Transformers.js loads): the worker stores each file as a blob result and the run's result names
 * them, `{ outputs: { "model/onnx/model.onnx": "<result id>", … } }`. So the model's id is that
 * run (or its result), and every byte comes through the same API a worker already speaks, under
 * the caller's own access: a pool-scoped worker key reads only models of its pools' runs.
 *
 * Shared by Node and the browser: each runtime gives a `ResultReader` over its way of calling
 * the API (the typed client on a worker, same-origin fetch in a tab) and decides where the
 * files go (a folder on disk, an in-memory map served to Transformers.js).
 */

/** A model a run exported: the run, or the run's result. */
export type ExportedModelRef = { runId: string } | { resultId: string };

/** An API refusal as a reader reports it: tRPC's code (NOT_FOUND, FORBIDDEN, …) and its message. */
export class ResultAccessError extends Error {
  override name = "ResultAccessError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The part of Baton's results API a kind reads (results.get, results.ofRun). */
export interface ResultReader {
  /** A result's stored form; rejects with ResultAccessError when the API refuses. */
  get(id: string): Promise<{ storage: "inline" | "blob"; value: unknown }>;
  /** A blob result's bytes. */
  bytes(id: string): Promise<Uint8Array>;
  /** The id of a flow run's result (null while it has none). */
  ofRun(flowRunId: string): Promise<string | null>;
}

/** Where the exported model's files are in a run's outputs. */
export const MODEL_PREFIX = "model/";
const REQUIRED = ["config.json", "onnx/model.onnx"] as const;

export interface ExportedModel {
  /** The result that names the files: a stable id for caching them. */
  resultId: string;
  /** Path inside the model folder (config.json, onnx/model.onnx, …) → bytes. */
  files: Map<string, Uint8Array>;
}

export function isExportedModelRef(model: unknown): model is ExportedModelRef {
  return model !== null && typeof model === "object" && ("runId" in model || "resultId" in model);
}

export function describeRef(ref: ExportedModelRef): string {
  return "runId" in ref ? `the model run ${ref.runId} exported` : `the model of result ${ref.resultId}`;
}

function refused(err: unknown, what: string): Error {
  if (err instanceof ResultAccessError) {
    if (err.code === "NOT_FOUND") return new Error(`infer: there is no ${what} in this workspace (an unknown id, or one of another workspace)`);
    if (err.code === "FORBIDDEN") return new Error(`infer: ${what} is not readable here: ${err.message}`);
    return new Error(`infer: could not read ${what}: ${err.message}`);
  }
  return new Error(`infer: could not read ${what}: ${(err as Error).message ?? String(err)}`);
}

/** A relative path that stays inside the model folder (no absolute path, no `..`). */
function safeRelative(rel: string): boolean {
  return rel.length > 0 && !rel.startsWith("/") && !rel.includes("\\") && rel.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

/**
 * The model's files, through `reader`. Clear errors for an unknown id (or one of another
 * workspace: the API answers both alike), a run with no result yet, and a result that is not an
 * exported model.
 */
export async function fetchExportedModel(ref: ExportedModelRef, reader: ResultReader, signal?: AbortSignal): Promise<ExportedModel> {
  let resultId: string;
  let what: string;
  if ("runId" in ref) {
    const id = await reader.ofRun(ref.runId).catch((err: unknown) => {
      throw refused(err, `run ${ref.runId}`);
    });
    if (!id) throw new Error(`infer: run ${ref.runId} has no result yet (is it COMPLETED?): a training run's exported model is its result`);
    resultId = id;
    what = `run ${ref.runId}'s result ${id}`;
  } else {
    resultId = ref.resultId;
    what = `result ${resultId}`;
  }
  const result = await reader.get(resultId).catch((err: unknown) => {
    throw refused(err, what);
  });
  const outputs = result.storage === "inline" ? (result.value as { outputs?: unknown } | null)?.outputs : undefined;
  const named: [string, string][] =
    outputs !== null && typeof outputs === "object" && !Array.isArray(outputs)
      ? Object.entries(outputs as Record<string, unknown>).flatMap(([p, id]) => (p.startsWith(MODEL_PREFIX) && typeof id === "string" ? [[p.slice(MODEL_PREFIX.length), id] as [string, string]] : []))
      : [];
  const missing = REQUIRED.filter((f) => !named.some(([p]) => p === f));
  if (missing.length) {
    const has = result.storage === "blob" ? "bytes" : named.length ? `model files but no ${missing.map((f) => MODEL_PREFIX + f).join(" or ")}` : "no model/ files";
    throw new Error(
      `infer: ${what} is not an exported model: it has ${has} (a model is a run's result { outputs: { "model/config.json": …, "model/onnx/model.onnx": … } }, as a process pool stores what examples/train-pytorch/train.py exports)`,
    );
  }
  const files = new Map<string, Uint8Array>();
  for (const [rel, id] of named) {
    signal?.throwIfAborted();
    if (!safeRelative(rel)) throw new Error(`infer: ${what} names a model file outside the model folder: ${MODEL_PREFIX}${rel}`);
    files.set(
      rel,
      await reader.bytes(id).catch((err: unknown) => {
        throw refused(err, `${MODEL_PREFIX}${rel} (result ${id}) of ${what}`);
      }),
    );
  }
  return { resultId, files };
}
