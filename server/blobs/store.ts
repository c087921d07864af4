/**
 * Where large results live (embeddings, files, models): bytes under a key, behind an interface
 * small enough for an S3-compatible store to implement (put/get/head/delete on object keys).
 * Small results stay inline in the results table; see server/domain/results.ts.
 */
export interface BlobInfo {
  key: string;
  sizeBytes: number;
}

export interface BlobStore {
  /** Writes the bytes under `key`, replacing what was there. */
  put(key: string, data: Uint8Array): Promise<BlobInfo>;
  /**
   * Writes a stream under `key` without holding it in memory, with its SHA-256. More than
   * `maxBytes` aborts the write (BlobTooLargeError) and leaves nothing under the key.
   */
  putStream(key: string, chunks: AsyncIterable<Uint8Array>, maxBytes: number): Promise<BlobInfo & { sha256: string }>;
  /** The bytes under `key`, or undefined when there are none. */
  get(key: string): Promise<Uint8Array | undefined>;
  head(key: string): Promise<BlobInfo | undefined>;
  delete(key: string): Promise<void>;
}

/** Keys are paths of safe segments (`<workspace>/<uuid>`), so no store can be walked out of. */
export function checkBlobKey(key: string): string {
  if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_.-]+)*$/.test(key) || key.split("/").some((s) => s === "." || s === "..")) {
    throw new Error(`invalid blob key "${key}": use letters, digits, "-", "_", "." and "/" between segments`);
  }
  return key;
}

export class BlobTooLargeError extends Error {
  override name = "BlobTooLargeError";
  constructor(readonly maxBytes: number) {
    super(`a blob may be at most ${maxBytes} bytes`);
  }
}
