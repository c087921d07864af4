/**
 * The default blob store: one file per key under a directory (`BATON_DATA_DIR/blobs`).
 * Writes go to a temporary file first and are renamed into place, so a reader never sees half
 * a blob and a crash leaves at most a stray temporary file.
 */
import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { BlobTooLargeError, checkBlobKey, type BlobInfo, type BlobStore } from "./store";

export class FilesystemBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  private file(key: string): string {
    return path.join(this.root, ...checkBlobKey(key).split("/"));
  }

  async put(key: string, data: Uint8Array): Promise<BlobInfo> {
    const file = this.file(key);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, file);
    return { key, sizeBytes: data.byteLength };
  }

  async putStream(key: string, chunks: AsyncIterable<Uint8Array>, maxBytes: number): Promise<BlobInfo & { sha256: string }> {
    const file = this.file(key);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    const hash = createHash("sha256");
    let size = 0;
    async function* counted() {
      for await (const chunk of chunks) {
        size += chunk.byteLength;
        if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
        hash.update(chunk);
        yield chunk;
      }
    }
    try {
      await pipeline(counted(), createWriteStream(tmp));
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { key, sizeBytes: size, sha256: hash.digest("hex") };
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.file(key)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    try {
      const s = await stat(this.file(key));
      return { key, sizeBytes: s.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }
}
