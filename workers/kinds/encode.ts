/**
 * The encode task kind: texts → embeddings, with the encoder as a parameter.
 *
 * - "transformer": a Transformers.js model from the models directory (encode-transformer.ts);
 *   `model` defaults to tiny-bert, the generated test model (its vectors are noise).
 * - "lexical": TF-IDF + LSA fitted on the job's own texts (encode-lexical.ts): no weights needed.
 * - "auto" (default): the transformer when a model is named and loads, else the lexical encoder,
 *   so a fresh offline install still gets meaningful vectors. The tiny test model is never picked
 *   by "auto" on its own. The run's logs and the result's `encoder` say which one ran.
 */
import { encodeLexical, type EncodeLexicalParams, type EncodeLexicalResult } from "./encode-lexical";
import { DEFAULT_MODEL, encodeTransformer, type EncodeResult, type EncodeTransformerParams } from "./encode-transformer";
import type { TaskKind } from "./types";

export type EncodeParams = Omit<EncodeTransformerParams, "model"> &
  Omit<EncodeLexicalParams, "model" | "texts"> & {
    encoder?: "transformer" | "lexical" | "auto";
    /** A transformer model folder (or hub id); or, for the lexical encoder, a fitted model to reuse. */
    model?: string | EncodeLexicalParams["model"];
  };

export type EncodeKindResult = EncodeResult | EncodeLexicalResult;

function lexical(params: EncodeParams, ctx: Parameters<TaskKind<EncodeParams, EncodeKindResult>>[1]) {
  const { encoder: _encoder, device: _device, batchSize: _batch, normalize: _normalize, model, ...options } = params;
  ctx.device = "cpu";
  return encodeLexical({ ...options, model: typeof model === "object" ? model : undefined }, ctx);
}

export const encode: TaskKind<EncodeParams, EncodeKindResult> = async (params, ctx) => {
  if (!Array.isArray(params.texts) || params.texts.some((t) => typeof t !== "string")) {
    throw new Error("encode needs `texts`: an array of strings");
  }
  const encoder = params.encoder ?? "auto";
  const named = typeof params.model === "string" ? params.model : undefined;
  if (encoder === "lexical" || (encoder === "auto" && !named)) {
    if (encoder === "auto") ctx.log("info", "encode: no transformer model named; using the lexical encoder (TF-IDF + LSA)");
    return lexical(params, ctx);
  }
  const transformerParams = { ...params, model: named ?? DEFAULT_MODEL };
  if (encoder === "transformer") return encodeTransformer(transformerParams, ctx);
  try {
    return await encodeTransformer(transformerParams, ctx);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    ctx.log("warn", `encode: transformer model "${named}" did not load (${(err as Error).message}); using the lexical encoder`);
    return lexical(params, ctx);
  }
};
