/**
 * The encode task kind: texts → embeddings, with the encoder as a parameter.
 *
 * - "transformer": a Transformers.js model from the models directory (encode-transformer.ts).
 * - "lexical": the model-free lexical encoder (encode-lexical.ts), for installs with no model.
 * - "auto" (default): the transformer when its model loads, else the lexical encoder — so a
 *   fresh offline install still encodes, and says in the run's logs which encoder it used.
 */
import { DEFAULT_MODEL, encodeTransformer, type EncodeResult, type EncodeTransformerParams } from "./encode-transformer";
import type { TaskKind } from "./types";

export type { EncodeResult } from "./encode-transformer";

export interface EncodeParams extends EncodeTransformerParams {
  encoder?: "transformer" | "lexical" | "auto";
}

/** The lexical encoder, registered by encode-lexical's host module when it is part of the build. */
type LexicalEncoder = TaskKind<EncodeParams, EncodeResult>;
let lexicalEncoder: LexicalEncoder | undefined;

export function registerLexicalEncoder(kind: LexicalEncoder): void {
  lexicalEncoder = kind;
}

function lexical(): LexicalEncoder {
  if (!lexicalEncoder) throw new Error("The lexical encoder is not available in this runtime");
  return lexicalEncoder;
}

export const encode: TaskKind<EncodeParams, EncodeResult> = async (params, ctx) => {
  if (!Array.isArray(params.texts)) throw new Error("encode needs `texts`: an array of strings");
  const encoder = params.encoder ?? "auto";
  if (encoder === "transformer") return encodeTransformer(params, ctx);
  if (encoder === "lexical") return lexical()(params, ctx);
  try {
    return await encodeTransformer(params, ctx);
  } catch (err) {
    if (ctx.signal.aborted || !lexicalEncoder) throw err;
    ctx.log("warn", `No transformer model "${params.model ?? DEFAULT_MODEL}" (${(err as Error).message}); using the lexical encoder`);
    return lexicalEncoder(params, ctx);
  }
};
