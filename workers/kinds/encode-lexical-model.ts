/**
 * The lexical encoder's fitted model: a plain JSON-serialisable object (vocabulary, idf, the LSA
 * projection), saved as the encode run's artifact so later text is encoded the same way.
 * The projection is stored as little-endian Float32 in base64: a 20k-term × 128-d projection is
 * 10 MB that way and over 40 MB as JSON numbers. Encoding uses the stored (rounded) values, at
 * fit time too, so fit → save → load → transform gives exactly the fitted vectors.
 */
import type { TokenizerOptions } from "./tokenize";

export const LEXICAL_ENCODER = "lexical-tfidf-lsa" as const;

export interface LexicalModel {
  encoder: typeof LEXICAL_ENCODER;
  version: 1;
  tokenizer: Required<TokenizerOptions>;
  sublinearTf: boolean;
  terms: string[];
  idf: number[];
  dimensions: number;
  /** dimensions × terms.length, row-major, Float32 little-endian, base64. */
  components: string;
  singularValues: number[];
  fittedOn: { documents: number; seed: number };
}

export function encodeFloat32(rows: Float64Array[]): string {
  const width = rows[0]?.length ?? 0;
  const view = new DataView(new ArrayBuffer(rows.length * width * 4));
  rows.forEach((row, r) => row.forEach((x, j) => view.setFloat32((r * width + j) * 4, x, true)));
  return toBase64(new Uint8Array(view.buffer));
}

export function decodeFloat32(data: string, rows: number, width: number): Float64Array[] {
  const bytes = fromBase64(data);
  if (bytes.length !== rows * width * 4) throw new Error(`lexical model: projection has ${bytes.length} bytes, expected ${rows * width * 4}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: rows }, (_, r) => Float64Array.from({ length: width }, (_, j) => view.getFloat32((r * width + j) * 4, true)));
}

// btoa/atob exist in browsers and in Node ≥ 16; chunked because they take binary strings.
function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(data: string): Uint8Array {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function checkModel(model: unknown): LexicalModel {
  const m = model as Partial<LexicalModel> | null;
  if (!m || m.encoder !== LEXICAL_ENCODER || m.version !== 1 || !Array.isArray(m.terms) || !Array.isArray(m.idf) || typeof m.components !== "string") {
    throw new Error(`not a ${LEXICAL_ENCODER} model (version 1): fit one with the lexical encoder first`);
  }
  if (m.idf.length !== m.terms.length) throw new Error(`lexical model: ${m.terms.length} terms but ${m.idf.length} idf weights`);
  return m as LexicalModel;
}
