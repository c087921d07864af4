/**
 * The worker's code caches are bounded (workers/node/code-cache.ts): the most recently used N
 * versions stay, older ones go, never one a live process pins — this one's or another's — and a
 * dead process's pin keeps nothing. Real folders (read-only files, as unpacked directories have)
 * and real processes for the pins.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { pinVersion, pruneCodeCache } from "../../workers/node/code-cache";
import { loadWorkerSettings } from "../../workers/node/settings";

const hex = (i: number) => String(i).repeat(64).slice(0, 64);
const version = (i: number) => `sha256:${hex(i)}`;

let cache = "";
afterEach(() => rmSync(cache, { recursive: true, force: true }));

/** A fresh cache of versions 1..n, version i last used i minutes ago (1 is the newest). */
function fill(n: number): void {
  if (cache) rmSync(cache, { recursive: true, force: true });
  cache = mkdtempSync(path.join(os.tmpdir(), "baton-code-cache-"));
  const now = Date.now() / 1000;
  for (let i = 1; i <= n; i++) {
    const dir = path.join(cache, hex(i));
    mkdirSync(path.join(dir, "sub"), { recursive: true });
    writeFileSync(path.join(dir, "sub", "train.py"), "print('hi')\n");
    chmodSync(path.join(dir, "sub", "train.py"), 0o444);
    utimesSync(dir, now - i * 60, now - i * 60);
  }
}
const left = () => readdirSync(cache).filter((n) => /^[0-9a-f]{64}$/.test(n)).sort();

describe("code cache bound", () => {
  it("keeps the N most recently used versions and removes the rest, read-only files included", async () => {
    fill(5);
    const removed = await pruneCodeCache(cache, 2);
    expect(removed.sort()).toEqual([hex(3), hex(4), hex(5)]);
    expect(left()).toEqual([hex(1), hex(2)]);
    expect(readdirSync(cache).filter((n) => n.endsWith(".removing"))).toEqual([]);
    expect(await pruneCodeCache(cache, 2)).toEqual([]);
  });

  it("never removes a version a run of this process pins; a pin makes it the most recently used; released, it can go", async () => {
    fill(4);
    const pin = pinVersion(cache, version(4), "run-a");
    // Pinning touched it: now the newest, so keep 1 keeps it and removes 1, 2, 3.
    expect((await pruneCodeCache(cache, 1)).sort()).toEqual([hex(1), hex(2), hex(3)]);
    expect(left()).toEqual([hex(4)]);
    // Older than every other version and pinned: still kept.
    fill(3);
    const old = pinVersion(cache, version(3), "run-b");
    utimesSync(path.join(cache, hex(3)), new Date(0), new Date(0));
    expect((await pruneCodeCache(cache, 1)).sort()).toEqual([hex(2)]);
    expect(left()).toEqual([hex(1), hex(3)]);
    old.release();
    expect(await pruneCodeCache(cache, 1)).toEqual([hex(3)]);
    expect(left()).toEqual([hex(1)]);
    pin.release();
  });

  it("a pin of another live process keeps its version; a pin of a process that is gone does not, and is cleared", async () => {
    fill(3);
    const other = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
      const deadPid = Number(dead.stdout);
      expect(deadPid).toBeGreaterThan(0);
      for (const [i, pid] of [[2, other.pid!], [3, deadPid]] as const) {
        mkdirSync(path.join(cache, ".pins", hex(i)), { recursive: true });
        writeFileSync(path.join(cache, ".pins", hex(i), `${pid}.some-run`), "");
      }
      // A prune of a worker that died mid-way left a version moved aside: cleared too.
      mkdirSync(path.join(cache, `.${hex(7)}.${deadPid}.removing`, "x"), { recursive: true });
      expect(await pruneCodeCache(cache, 1)).toEqual([hex(3)]);
      expect(left()).toEqual([hex(1), hex(2)]);
      expect(existsSync(path.join(cache, ".pins", hex(3)))).toBe(false);
      expect(existsSync(path.join(cache, `.${hex(7)}.${deadPid}.removing`))).toBe(false);
    } finally {
      other.kill("SIGKILL");
    }
  });

  it("is set by BATON_WORKER_CODE_CACHE_VERSIONS (default 20); a bad value is refused naming it", () => {
    expect(loadWorkerSettings({ pool: "p" }, {}).codeCacheVersions).toBe(20);
    expect(loadWorkerSettings({ pool: "p" }, { BATON_WORKER_CODE_CACHE_VERSIONS: "3" }).codeCacheVersions).toBe(3);
    expect(() => loadWorkerSettings({ pool: "p" }, { BATON_WORKER_CODE_CACHE_VERSIONS: "0" })).toThrow("BATON_WORKER_CODE_CACHE_VERSIONS must be at least 1");
  });
});
