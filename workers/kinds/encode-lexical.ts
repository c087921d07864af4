/**
 * The built-in lexical encoder: TF-IDF fitted on the job's own corpus, reduced by truncated SVD
 * (LSA) to a set dimension, L2-normalised. It needs no weights, so encode works offline and on a
 * first run; on technical manuals it separates documents better than averaged word vectors.
 *
 *   fitLexical(texts, options) → { model, vectors }   (model: JSON-serialisable artifact)
 *   transformLexical(model, texts) → vectors           (new text, encoded the same way)
 *
 * Pure TypeScript, Float64 maths in a fixed order from a seeded generator: Node and a browser
 * Web Worker give the same vectors. `encodeLexical` is the task-kind entry; the encoder choice
 * (transformer when a model is present) lives with the transformer encoder and calls it.
 */
import type { TaskContext, TaskKind } from "./types";
import { checkModel, decodeFloat32, encodeFloat32, LEXICAL_ENCODER, type LexicalModel } from "./encode-lexical-model";
import { truncatedSvd } from "./svd";
import { fitVocabulary, tfidfRows, type SparseRows, type VocabularyOptions } from "./tfidf";
import { resolveSegmenter, tokenize, type TokenizerOptions } from "./tokenize";

export { LEXICAL_ENCODER, type LexicalModel } from "./encode-lexical-model";

export interface LexicalOptions extends VocabularyOptions {
  /** Size of the dense vectors (fewer when the corpus has fewer documents or terms). */
  dimensions?: number;
  seed?: number;
  tokenizer?: TokenizerOptions;
  sublinearTf?: boolean;
  /** Power iterations of the randomized SVD: more is closer to the exact SVD, and slower. */
  powerIterations?: number;
}

/** Fewer documents than this cannot give a meaningful document frequency. */
export const MIN_DOCUMENTS = 3;

export function fitLexical(
  texts: string[],
  options: LexicalOptions = {},
  log?: TaskContext["log"],
): { model: LexicalModel; vectors: Float64Array[] } {
  const tokenizer: Required<TokenizerOptions> = {
    segmenter: resolveSegmenter(options.tokenizer),
    stopWords: options.tokenizer?.stopWords ?? true,
    minLength: options.tokenizer?.minLength ?? 2,
  };
  const docs = texts.map((t) => tokenize(t, tokenizer));
  const withWords = docs.filter((d) => d.length > 0).length;
  if (withWords < MIN_DOCUMENTS) {
    throw new Error(
      `The lexical encoder needs at least ${MIN_DOCUMENTS} texts with words in them to fit on; got ${withWords} of ${texts.length}. ` +
        "Give it more documents or chunks, or encode with a model fitted earlier.",
    );
  }
  const vocabulary = fitVocabulary(docs, { maxFeatures: 50_000, ...options });
  if (vocabulary.terms.length === 0) {
    throw new Error(
      `The lexical encoder found no usable terms in ${texts.length} texts after filtering by document frequency ` +
        `(minDf ${options.minDf ?? "default"}, maxDf ${options.maxDf ?? "default"}): the texts are too short or share too few words. ` +
        "Give it more text, or lower minDf / raise maxDf.",
    );
  }
  const sublinearTf = options.sublinearTf ?? true;
  const rows = tfidfRows(docs, vocabulary, sublinearTf);
  const seed = options.seed ?? 42;
  const wanted = options.dimensions ?? 128;
  const svd = truncatedSvd(rows, wanted, { seed, powerIterations: options.powerIterations });
  if (svd.components.length < wanted) {
    log?.("warn", `lexical encoder: ${svd.components.length} dimensions instead of ${wanted} (only ${rows.rows} texts and ${rows.cols} terms)`);
  }
  const model: LexicalModel = {
    encoder: LEXICAL_ENCODER,
    version: 1,
    tokenizer,
    sublinearTf,
    terms: vocabulary.terms,
    idf: Array.from(vocabulary.idf),
    dimensions: svd.components.length,
    components: encodeFloat32(svd.components),
    singularValues: Array.from(svd.singularValues),
    fittedOn: { documents: texts.length, seed },
  };
  const empty = texts.length - withWords;
  if (empty > 0) log?.("warn", `lexical encoder: ${empty} of ${texts.length} texts have no words; their vectors are zero`);
  return { model, vectors: project(model, rows) };
}

export function transformLexical(model: LexicalModel, texts: string[]): Float64Array[] {
  const checked = checkModel(model);
  const docs = texts.map((t) => tokenize(t, checked.tokenizer));
  const rows = tfidfRows(docs, { terms: checked.terms, idf: Float64Array.from(checked.idf) }, checked.sublinearTf);
  return project(checked, rows);
}

/** TF-IDF rows × projectionᵀ, then L2-normalised (a text with no known term stays all zeros). */
function project(model: LexicalModel, rows: SparseRows): Float64Array[] {
  const components = decodeFloat32(model.components, model.dimensions, model.terms.length);
  const out: Float64Array[] = [];
  for (let r = 0; r < rows.rows; r++) {
    const v = new Float64Array(model.dimensions);
    for (let k = 0; k < model.dimensions; k++) {
      const comp = components[k]!;
      let s = 0;
      for (let p = rows.indptr[r]!; p < rows.indptr[r + 1]!; p++) s += rows.values[p]! * comp[rows.indices[p]!]!;
      v[k] = s;
    }
    let norm = 0;
    for (let k = 0; k < v.length; k++) norm += v[k]! * v[k]!;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let k = 0; k < v.length; k++) v[k]! /= norm;
    out.push(v);
  }
  return out;
}

export interface EncodeLexicalParams extends LexicalOptions {
  texts: string[];
  /** A model fitted earlier (a previous run's artifact): encode with it instead of fitting. */
  model?: LexicalModel;
}

export interface EncodeLexicalResult {
  vectors: number[][];
  model: LexicalModel;
  encoder: typeof LEXICAL_ENCODER;
  dimensions: number;
}

export const encodeLexical: TaskKind<EncodeLexicalParams, EncodeLexicalResult> = async (params, ctx) => {
  ctx.signal.throwIfAborted();
  const { texts, model: given, ...options } = params;
  ctx.log("info", `encoder ${LEXICAL_ENCODER}: ${given ? "encoding with a fitted model" : "fitting TF-IDF + LSA"} on ${texts.length} texts`);
  const started = Date.now();
  const { model, vectors } = given ? { model: checkModel(given), vectors: transformLexical(given, texts) } : fitLexical(texts, options, ctx.log);
  ctx.log("info", `encoder ${LEXICAL_ENCODER}: ${model.terms.length} terms, ${model.dimensions} dimensions, ${Date.now() - started} ms`);
  ctx.metric("encode.terms", model.terms.length);
  ctx.progress(1);
  return { vectors: vectors.map((v) => Array.from(v)), model, encoder: LEXICAL_ENCODER, dimensions: model.dimensions };
};

/** The task-kind entry under its kind's name; the transformer engineer's encoder choice wraps it. */
export const encode = encodeLexical;
