/**
 * The process's blob store. Filesystem under the data directory unless something (a test, an
 * S3 adapter) installs another with `setBlobStore`. Kept on globalThis because Next.js may load
 * this module more than once per process.
 */
import path from "node:path";
import { loadConfig } from "../config";
import { FilesystemBlobStore } from "./filesystem";
import type { BlobStore } from "./store";

export type { BlobInfo, BlobStore } from "./store";
export { FilesystemBlobStore } from "./filesystem";

const holder = globalThis as { __batonBlobStore?: BlobStore };

export function getBlobStore(): BlobStore {
  holder.__batonBlobStore ??= new FilesystemBlobStore(path.join(loadConfig().dataDir, "blobs"));
  return holder.__batonBlobStore;
}

export function setBlobStore(store: BlobStore | undefined): void {
  holder.__batonBlobStore = store;
}
