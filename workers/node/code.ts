/**
 * Delivered code on a worker: a run whose deployment was made with `baton deploy` (a bundle,
 * cli/bundle.ts) carries its code version; the worker fetches that version once
 * (`workers.code`, which a worker key gets only for runs of its own pool), checks its hash,
 * keeps it on disk by version, checks that the npm packages it imports are installed here, and
 * the run's flow process imports exactly that file. Nothing of the author's checkout is needed.
 *
 * The cache sits inside Baton's installation (node_modules/.cache/baton/code/<hash>/), so the
 * packages a bundle imports by name resolve against the worker's own node_modules.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { BatonClient } from "../../server/client";
import { EntrypointError, parseEntrypoint } from "./entrypoints";

const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
export const CODE_CACHE = path.join(REPO_ROOT, "node_modules", ".cache", "baton", "code");
/** Where a bundle reads Baton's SDK from (cli/bundle.ts writes the other side). */
export const SDK_GLOBAL = Symbol.for("baton.sdk");

const hexOf = (version: string) => {
  const m = /^sha256:([0-9a-f]{64})$/.exec(version);
  if (!m) throw new EntrypointError(`code version ${version} is not a sha256 this worker can check`);
  return m[1]!;
};

/** Packages a bundle names that are not installed where it will be imported from. */
export function missingPackages(file: string, dependencies: Record<string, string>): string[] {
  return Object.keys(dependencies).filter((name) => {
    for (let d = path.dirname(file); ; d = path.dirname(d)) {
      if (existsSync(path.join(d, "node_modules", name, "package.json"))) return false;
      if (path.dirname(d) === d) return true;
    }
  });
}

const fetching = new Map<string, Promise<string>>();
/** Versions this process has checked already: a run of one costs no disk reads after the first. */
const ready = new Map<string, string>();
const remember = (hex: string, file: string) => (ready.set(hex, file), file);

/**
 * The file of `version` for this run: from the cache, or fetched, checked and stored. Refuses a
 * bundle whose bytes do not hash to its version, or whose packages are not installed here,
 * naming them.
 */
export function codeFile(client: BatonClient, workerId: string, run: { id: string; codeVersion: string }): Promise<string> {
  const hex = hexOf(run.codeVersion);
  const file = path.join(CODE_CACHE, hex, "flow.mjs");
  const meta = path.join(CODE_CACHE, hex, "dependencies.json");
  const known = ready.get(hex);
  // (Still on disk: code-cache.ts may have pruned it since, in this process or another.)
  if (known && existsSync(known)) return Promise.resolve(known);
  if (existsSync(file) && existsSync(meta)) return Promise.resolve(remember(hex, checked(file, JSON.parse(readFileSync(meta, "utf8")) as Record<string, string>)));
  let pending = fetching.get(hex);
  if (!pending) {
    pending = (async () => {
      const code = await client.workers.code.query({ workerId, flowRunId: run.id });
      const got = createHash("sha256").update(code.source).digest("hex");
      if (`sha256:${got}` !== run.codeVersion || code.version !== run.codeVersion) {
        throw new EntrypointError(`the code the server sent for version ${run.codeVersion} hashes to sha256:${got}: refusing to run it`);
      }
      mkdirSync(path.dirname(file), { recursive: true });
      // Written whole, then renamed: a worker stopped mid-write never leaves half a module.
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, code.source);
      writeFileSync(`${meta}.tmp`, JSON.stringify(code.dependencies));
      renameSync(`${meta}.tmp`, meta);
      renameSync(tmp, file);
      return remember(hex, checked(file, code.dependencies));
    })().finally(() => fetching.delete(hex));
    fetching.set(hex, pending);
  }
  return pending;
}

/**
 * A flow from a pulled tree (./pull.ts): bundled here as `baton deploy` would, so it reads the
 * worker's SDK and packages like any delivered flow, kept in the same cache by its hash.
 */
export async function codeFileFromTree(dir: string, entrypoint: string): Promise<{ file: string; version: string }> {
  // A pulled tree is one commit's and never changes: bundled once per process.
  const key = `${dir}\n${entrypoint}`;
  let pending = fromTree.get(key);
  if (!pending) {
    pending = bundleTree(dir, entrypoint);
    fromTree.set(key, pending);
    pending.catch(() => fromTree.delete(key));
  }
  const bundled = await pending;
  // Pruned from the cache since (code-cache.ts): bundled again.
  if (!existsSync(bundled.file) && fromTree.get(key) === pending) {
    fromTree.delete(key);
    return codeFileFromTree(dir, entrypoint);
  }
  return bundled;
}

const fromTree = new Map<string, Promise<{ file: string; version: string }>>();

async function bundleTree(dir: string, entrypoint: string): Promise<{ file: string; version: string }> {
  const { bundleFlow } = await import("../../cli/bundle");
  const { file: relative } = parseEntrypoint(entrypoint);
  const bundle = await bundleFlow(relative, dir).catch((err: unknown) => {
    throw new EntrypointError(err instanceof Error ? err.message : String(err));
  });
  const hex = hexOf(bundle.version);
  const file = path.join(CODE_CACHE, hex, "flow.mjs");
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, bundle.source);
    writeFileSync(path.join(CODE_CACHE, hex, "dependencies.json"), JSON.stringify(bundle.dependencies));
    renameSync(tmp, file);
  }
  return { file: checked(file, bundle.dependencies), version: bundle.version };
}

function checked(file: string, dependencies: Record<string, string>): string {
  const missing = missingPackages(file, dependencies);
  if (missing.length) {
    const list = missing.map((m) => `${m}@${dependencies[m]}`).join(", ");
    throw new EntrypointError(`this flow's code imports ${list}, not installed on this worker: npm install ${missing.map((m) => `${m}@"${dependencies[m]}"`).join(" ")} in ${REPO_ROOT}`);
  }
  return file;
}
