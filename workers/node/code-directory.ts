/**
 * A delivered directory on a worker (`baton deploy --dir`, ../../common/code-archive.ts): a
 * process-pool run whose deployment carries one has its code version; the worker fetches that
 * version once (`workers.code`, which a worker key gets only for runs of its own pool), checks
 * its hash and every path in it, unpacks it once per version into its cache
 * (node_modules/.cache/baton/dirs/<hex>/, beside flow bundles) and runs the pool's command in it.
 *
 * Unpacked into a fresh folder, then renamed: a worker stopped mid-way never leaves half a
 * directory, and two workers unpacking the same version at once both end with the one folder.
 * Its files are made read-only, so a run cannot change the code the next run of that version
 * gets (a job writes its outputs to BATON_OUTPUT_DIR); its folders stay writable so the cache
 * can be removed like any other.
 */
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { BatonClient } from "../../server/client";
import { ArchiveError, entryBytes, isDirectoryArchive, readDirectoryArchive } from "../../common/code-archive";
import { EntrypointError } from "./entrypoints";

const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
export const DIRECTORY_CACHE = path.join(REPO_ROOT, "node_modules", ".cache", "baton", "dirs");

const inFlight = new Map<string, Promise<string>>();

/** The unpacked directory of `run.codeVersion`: from the cache, or fetched, checked and unpacked. */
export function codeDirectory(client: BatonClient, workerId: string, run: { id: string; codeVersion: string }, cache = DIRECTORY_CACHE): Promise<string> {
  const m = /^sha256:([0-9a-f]{64})$/.exec(run.codeVersion);
  if (!m) return Promise.reject(new EntrypointError(`code version ${run.codeVersion} is not a sha256 this worker can check`));
  const hex = m[1]!;
  const dir = path.join(cache, hex);
  if (existsSync(dir)) return Promise.resolve(dir);
  let pending = inFlight.get(hex);
  if (!pending) {
    pending = (async () => {
      const code = await client.workers.code.query({ workerId, flowRunId: run.id });
      const got = `sha256:${createHash("sha256").update(code.source).digest("hex")}`;
      if (got !== run.codeVersion || code.version !== run.codeVersion) {
        throw new EntrypointError(`the code the server sent for version ${run.codeVersion} hashes to ${got}: refusing to run it`);
      }
      if (!isDirectoryArchive(code.source)) {
        throw new EntrypointError(`this run's code (${run.codeVersion.slice(0, 19)}) is a bundled flow, not a directory: a process pool runs a command, so deploy its files with baton deploy --dir <folder>`);
      }
      return unpackDirectory(code.source, dir);
    })().finally(() => inFlight.delete(hex));
    inFlight.set(hex, pending);
  }
  return pending;
}

/**
 * Unpacks a checked archive into `target` (which must not exist yet) and returns it. Every path
 * is checked (and resolved, to be sure it stays inside) and every file's size before anything is
 * written; an archive that fails is refused whole, naming the entry.
 */
export function unpackDirectory(source: string, target: string): string {
  let entries;
  try {
    entries = readDirectoryArchive(source);
  } catch (err) {
    throw new EntrypointError(`refusing this run's code: ${(err as ArchiveError).message}`);
  }
  const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const contents = entries.map((e) => {
      const file = path.resolve(tmp, ...e.path.split("/"));
      if (!file.startsWith(tmp + path.sep)) throw new ArchiveError(`path ${e.path} would escape the directory`);
      return { file, bytes: entryBytes(e), mode: e.executable ? 0o555 : 0o444 };
    });
    for (const c of contents) {
      mkdirSync(path.dirname(c.file), { recursive: true });
      // "wx": a fresh file in a fresh folder; nothing here is a link to follow.
      writeFileSync(c.file, c.bytes, { flag: "wx" });
      chmodSync(c.file, c.mode);
    }
    mkdirSync(path.dirname(target), { recursive: true });
    try {
      renameSync(tmp, target);
    } catch (err) {
      // Another worker unpacked the same version first: its copy is the same bytes.
      if (!existsSync(target)) throw err;
      rmSync(tmp, { recursive: true, force: true });
    }
    return target;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (err instanceof ArchiveError) throw new EntrypointError(`refusing this run's code: ${err.message}`);
    throw err;
  }
}
