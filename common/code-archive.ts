/**
 * A directory delivered with its deployment (`baton deploy --dir`, cli/pack-directory.ts): the
 * code of a `process` pool — a training script, its modules, its requirements and small data
 * files — packed into one JSON document, kept in code_bundles like a flow bundle (its sha256 is
 * the code version) and unpacked by the worker (workers/node/code-directory.ts) where the pool's
 * command runs. Node only (node:zlib).
 *
 * No tar library is in Baton's dependency tree, and the directory is small (the server keeps at
 * most 8 MiB of code), so the format is Baton's own and stated here in full:
 *
 *     { "format": "baton-directory/1",
 *       "files": [ { "path": "train.py", "size": 5120, "executable": false, "deflate": "<base64>" }, … ] }
 *
 * - `path`: relative, `/`-separated, every segment a name (no `..`, `.`, empty segment, leading
 *   `/`, drive letter, backslash or NUL); no two entries the same, none inside another entry.
 * - `size`: the file's length in bytes; `deflate`: its bytes compressed with raw DEFLATE
 *   (no header with a time or an OS in it: the same files give the same version), in
 *   base64. `executable`: the file had an execute bit.
 * - Regular files only: no links, no other keys. Entries are sorted by path, so packing the same
 *   files twice gives the same version.
 *
 * The server checks the paths when the archive is stored; the worker checks everything again
 * before it writes a byte (it trusts the hash, not the server's checks).
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { z } from "zod";

export const DIRECTORY_FORMAT = "baton-directory/1";
/** The most a directory may hold, unpacked (the packed document stays under the server's 8 MiB). */
export const MAX_DIRECTORY_BYTES = 64 * 1024 * 1024;
export const MAX_DIRECTORY_FILES = 5000;

export class ArchiveError extends Error {
  override name = "ArchiveError";
}

export interface DirectoryFile {
  path: string;
  bytes: Uint8Array;
  executable: boolean;
}

const zEntry = z.strictObject({
  path: z.string(),
  size: z.number().int().min(0),
  executable: z.boolean().optional(),
  deflate: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64"),
});
const zArchive = z.strictObject({
  format: z.literal(DIRECTORY_FORMAT),
  files: z.array(z.unknown()).max(MAX_DIRECTORY_FILES, `at most ${MAX_DIRECTORY_FILES} files`),
});

export type DirectoryEntry = z.infer<typeof zEntry>;

/** Whether `source` is a packed directory (not a flow bundle, which is an ES module). */
export function isDirectoryArchive(source: string): boolean {
  return /^\{\s*"format"\s*:\s*"baton-directory\//.test(source);
}

/** Why `p` may not be a path in the archive, or null when it may. */
export function pathProblem(p: string): string | null {
  if (p.length === 0 || p.length > 1000) return "must be 1 to 1000 characters";
  if (p.includes("\0")) return "contains a NUL character";
  if (p.includes("\\")) return "contains a backslash (paths are /-separated)";
  if (p.startsWith("/") || /^[A-Za-z]:/.test(p)) return "is absolute: it would escape the directory";
  for (const segment of p.split("/")) {
    if (segment === "..") return "has a .. segment: it would escape the directory";
    if (segment === "" || segment === ".") return "has an empty or . segment";
  }
  return null;
}

/**
 * Reads and checks the archive's structure and paths, without unpacking anything. Throws an
 * ArchiveError naming the entry and what is wrong with it.
 */
export function readDirectoryArchive(source: string): DirectoryEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(source);
  } catch (err) {
    throw new ArchiveError(`the packed directory is not valid JSON: ${(err as Error).message}`);
  }
  const top = zArchive.safeParse(doc);
  if (!top.success) {
    const i = top.error.issues[0]!;
    throw new ArchiveError(`the packed directory is not a ${DIRECTORY_FORMAT} archive: ${i.path.join(".") || "the document"} ${i.message}`);
  }
  const entries: DirectoryEntry[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (const [n, raw] of top.data.files.entries()) {
    const named = raw && typeof raw === "object" && typeof (raw as { path?: unknown }).path === "string" ? ` (${(raw as { path: string }).path})` : "";
    const parsed = zEntry.safeParse(raw);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      const links = i.code === "unrecognized_keys" ? ": the archive holds regular files only (no links, no other kinds of entry)" : "";
      throw new ArchiveError(`files.${n}${named}: ${i.path.join(".") || "the entry"} ${i.message}${links}`);
    }
    const entry = parsed.data;
    const problem = pathProblem(entry.path);
    if (problem) throw new ArchiveError(`files.${n}: path ${JSON.stringify(entry.path)} ${problem}`);
    if (seen.has(entry.path)) throw new ArchiveError(`files.${n}: path ${entry.path} is in the archive twice`);
    seen.add(entry.path);
    total += entry.size;
    if (total > MAX_DIRECTORY_BYTES) throw new ArchiveError(`the packed directory unpacks to more than ${MAX_DIRECTORY_BYTES} bytes`);
    entries.push(entry);
  }
  // A file may not also be a folder of another entry ("a" and "a/b").
  for (const p of seen) {
    for (let i = p.indexOf("/"); i > 0; i = p.indexOf("/", i + 1)) {
      if (seen.has(p.slice(0, i))) throw new ArchiveError(`path ${p} lies inside ${p.slice(0, i)}, which is a file of the archive`);
    }
  }
  return entries;
}

/** The bytes of one checked entry; refuses one whose bytes are not its declared size. */
export function entryBytes(entry: DirectoryEntry): Buffer {
  let bytes: Buffer;
  try {
    // One byte over the declared size is enough to know it lies: a small archive cannot unpack to gigabytes.
    bytes = inflateRawSync(Buffer.from(entry.deflate, "base64"), { maxOutputLength: Math.max(1, entry.size + 1) });
  } catch (err) {
    throw new ArchiveError(`${entry.path}: its bytes do not unpack to ${entry.size} bytes (${(err as Error).message})`);
  }
  if (bytes.byteLength !== entry.size) throw new ArchiveError(`${entry.path}: unpacks to ${bytes.byteLength} bytes, not the ${entry.size} it declares`);
  return bytes;
}

/** Packs `files` (paths checked, sorted) into the archive's text. */
export function writeDirectoryArchive(files: DirectoryFile[]): string {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const entries = sorted.map((f) => {
    const problem = pathProblem(f.path);
    if (problem) throw new ArchiveError(`path ${JSON.stringify(f.path)} ${problem}`);
    return { path: f.path, size: f.bytes.byteLength, executable: f.executable, deflate: deflateRawSync(f.bytes, { level: 9 }).toString("base64") };
  });
  return `{"format":${JSON.stringify(DIRECTORY_FORMAT)},"files":[\n${entries.map((e) => JSON.stringify(e)).join(",\n")}\n]}\n`;
}
