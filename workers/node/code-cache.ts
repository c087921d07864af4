/**
 * A bound on the worker's code caches (node_modules/.cache/baton/code/<hex>/ for flow bundles,
 * …/dirs/<hex>/ for a process pool's unpacked directories): each keeps the most recently used
 * `BATON_WORKER_CODE_CACHE_VERSIONS` versions (default 20); older ones are removed, never one
 * that a run still uses — of this worker or of another worker process sharing the installation.
 *
 * Use is marked on disk, so it holds across worker processes and restarts: a run pins its version
 * (a file `.pins/<hex>/<pid>.<run id>` in the cache, removed when the run ends; a pin of a process
 * that is gone is ignored and cleared) and touches the version's folder, whose mtime is its last
 * use. Pruning moves a version aside (one atomic rename) before it looks at its pins again, so a
 * run that pinned it meanwhile gets it back, or finds it gone and fetches it once more — a run
 * never starts in a folder being deleted. Pin first, then look in the cache: that order is what
 * makes the rename safe.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";

export const DEFAULT_CODE_CACHE_VERSIONS = 20;
const HEX = /^[0-9a-f]{64}$/;

const hexOf = (version: string) => /^sha256:([0-9a-f]{64})$/.exec(version)?.[1];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Marks `version` in use by `runId` until `release()`; touches its folder (its last use) if there. */
export function pinVersion(cache: string, version: string, runId: string): { release(): void } {
  const hex = hexOf(version);
  if (!hex) return { release: () => {} };
  const dir = path.join(cache, ".pins", hex);
  const pin = path.join(dir, `${process.pid}.${runId}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(pin, "");
  touch(path.join(cache, hex));
  return {
    release: () => {
      try {
        unlinkSync(pin);
      } catch {
        /* pruned as stale, or the cache was removed */
      }
    },
  };
}

function touch(dir: string): void {
  try {
    const now = new Date();
    utimesSync(dir, now, now);
  } catch {
    /* not in the cache yet: fetched next, which makes it new */
  }
}

/** Whether a live process pins `hex` (pins of processes that are gone are removed). */
function pinned(cache: string, hex: string): boolean {
  const dir = path.join(cache, ".pins", hex);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return false;
  }
  let live = false;
  for (const name of names) {
    const pid = Number(name.split(".")[0]);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) live = true;
    else rmSync(path.join(dir, name), { force: true });
  }
  if (!live) rmSync(dir, { recursive: true, force: true });
  return live;
}

/**
 * Keeps the `keep` most recently used versions of `cache` (and every pinned one); removes the
 * rest. Returns the versions removed. Failures are not the run's: a version that cannot be
 * removed now is left for the next prune.
 */
export async function pruneCodeCache(cache: string, keep: number): Promise<string[]> {
  let entries: { hex: string; used: number }[];
  try {
    entries = readdirSync(cache, { withFileTypes: true })
      .filter((e) => e.isDirectory() && HEX.test(e.name))
      .flatMap((e) => {
        try {
          return [{ hex: e.name, used: statSync(path.join(cache, e.name)).mtimeMs }];
        } catch {
          return [];
        }
      });
  } catch {
    return [];
  }
  // What a prune of a worker that died mid-way moved aside.
  for (const name of readdirSync(cache)) {
    const m = /^\.[0-9a-f]{64}\.(\d+)\.removing$/.exec(name);
    if (m && !alive(Number(m[1]))) await rm(path.join(cache, name), { recursive: true, force: true }).catch(() => {});
  }
  entries.sort((a, b) => b.used - a.used);
  const removed: string[] = [];
  for (const { hex } of entries.slice(Math.max(0, keep))) {
    if (pinned(cache, hex)) continue;
    const dir = path.join(cache, hex);
    const aside = path.join(cache, `.${hex}.${process.pid}.removing`);
    try {
      renameSync(dir, aside);
    } catch {
      continue; // another worker moved it first, or it is gone
    }
    if (pinned(cache, hex)) {
      // A run pinned it between the two looks: it is put back (or, if fetched again meanwhile, that copy stays).
      try {
        renameSync(aside, dir);
      } catch {
        if (existsSync(dir)) await rm(aside, { recursive: true, force: true }).catch(() => {});
      }
      continue;
    }
    await rm(aside, { recursive: true, force: true }).catch(() => {});
    removed.push(hex);
  }
  return removed;
}
