/**
 * The owner lock of a PGlite data directory, in this process: who is refused, which leftover
 * locks are taken over, and what is released. (test/cli/pglite-owner.test.ts does the same with
 * real processes and a real database.)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { describeCliError } from "../../cli/errors";
import { DataDirInUseError, describeCommand, LOCK_FILE, lockDataDir, readDataDirOwner, type DataDirOwner } from "../../server/db/pglite-lock";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "baton-lock-"));
  dirs.push(d);
  return path.join(d, "db");
}

function writeLock(dir: string, owner: Partial<DataDirOwner>, ageMs = 0): void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const full = { pid: 1, hostname: os.hostname(), startedAt: "2026-01-01T00:00:00.000Z", command: "baton server start", token: "t", ...owner };
  fs.writeFileSync(file, JSON.stringify(full));
  const when = new Date(Date.now() - ageMs);
  fs.utimesSync(file, when, when);
}

async function refusal(promise: Promise<unknown>): Promise<DataDirInUseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataDirInUseError);
  return error as DataDirInUseError;
}

describe("lockDataDir", () => {
  it("creates the directory and a lock naming this process; a second lock in the same process is refused; release removes it", async () => {
    const dir = tempDir();
    const lock = await lockDataDir(dir, { command: "baton db migrate" });
    const owner = readDataDirOwner(dir);
    expect(owner).toMatchObject({ pid: process.pid, hostname: os.hostname(), command: "baton db migrate" });
    expect(Date.parse(owner!.startedAt)).toBeLessThanOrEqual(Date.now());

    const error = await refusal(lockDataDir(dir));
    expect(error.message).toBe(
      `The embedded database in ${dir} is in use by Baton process ${process.pid} (baton db migrate, started ${owner!.startedAt.replace(/\.\d{3}Z$/, "Z")}). ` +
        "Stop it first, or use the API (BATON_API_URL) instead of opening the database directly.",
    );
    // The CLI prints it as it is, on one line.
    expect(describeCliError(error)).toBe(error.message);

    lock.release();
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    const again = await lockDataDir(dir);
    again.release();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("refuses while a live process on this host holds it", async () => {
    const dir = tempDir();
    // The test runner's parent is alive and is not this process.
    writeLock(dir, { pid: process.ppid, command: "baton server start --port 4200" });
    const error = await refusal(lockDataDir(dir));
    expect(error.owner.pid).toBe(process.ppid);
    expect(error.message).toContain(`in use by Baton process ${process.ppid} (baton server start --port 4200, started 2026-01-01T00:00:00Z)`);
  });

  it("takes over, with a log line, a lock whose pid is gone, is this process's own from an earlier life, or now belongs to another process", async () => {
    const cases: [Partial<DataDirOwner>, string][] = [
      [{ pid: 2 ** 22 + 12345 }, "is no longer running"],
      [{ pid: process.pid }, "was an earlier process with this one's pid"],
      [{ pid: process.ppid, processStart: "1" }, "is no longer running (its pid belongs to another process now)"],
      [{ pid: process.ppid, bootId: "00000000-0000-0000-0000-000000000000" }, "ran before this machine restarted"],
    ];
    for (const [owner, reason] of cases) {
      if (process.platform !== "linux" && (owner.processStart || owner.bootId)) continue;
      const dir = tempDir();
      writeLock(dir, owner);
      const lines: string[] = [];
      const lock = await lockDataDir(dir, { log: (l) => lines.push(l) });
      expect(readDataDirOwner(dir)?.pid).toBe(process.pid);
      expect(lines).toEqual([
        `[baton] Took over the embedded database in ${dir} from Baton process ${owner.pid} (baton server start, started 2026-01-01T00:00:00Z), which ${reason}.`,
      ]);
      lock.release();
    }
  });

  it("from another host: refused while its heartbeat is fresh, taken over once it is a minute old", async () => {
    const dir = tempDir();
    writeLock(dir, { pid: process.pid, hostname: "elsewhere" }, 5_000);
    const error = await refusal(lockDataDir(dir));
    expect(error.message).toContain(`in use by Baton process ${process.pid} on elsewhere (baton server start`);
    expect(error.message).toMatch(/its lock is taken over once it is 60 s old; it was renewed \d s ago/);

    writeLock(dir, { pid: process.pid, hostname: "elsewhere" }, 61_000);
    const lines: string[] = [];
    const lock = await lockDataDir(dir, { log: (l) => lines.push(l) });
    expect(lines[0]).toMatch(/from Baton process \d+ on elsewhere .*which has not renewed its lock for 61 s\.$/);
    lock.release();
  });

  it("an unreadable lock file is waited on while young and removed once old", async () => {
    const dir = tempDir();
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, LOCK_FILE);
    fs.writeFileSync(file, "");
    // Someone is writing it this instant: it becomes a live owner's lock.
    setTimeout(() => fs.writeFileSync(file, JSON.stringify({ pid: process.ppid, hostname: os.hostname(), command: "x", token: "y" })), 200);
    await refusal(lockDataDir(dir));

    fs.writeFileSync(file, "garbage");
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(file, old, old);
    const lines: string[] = [];
    const lock = await lockDataDir(dir, { log: (l) => lines.push(l) });
    expect(lines[0]).toMatch(/Removed an unreadable lock file/);
    lock.release();
  });

  it("the owner renews its lock file (the heartbeat other hosts judge it by)", async () => {
    const dir = tempDir();
    const lock = await lockDataDir(dir);
    const old = new Date(Date.now() - 30_000);
    fs.utimesSync(lock.file, old, old);
    await new Promise((r) => setTimeout(r, 5_500));
    expect(Date.now() - fs.statSync(lock.file).mtimeMs).toBeLessThan(6_000);
    lock.release();
  }, 15_000);
});

describe("describeCommand", () => {
  it("names the CLI as baton and keeps secrets out", () => {
    expect(describeCommand(["/usr/bin/node", "/srv/baton/bin/baton.mjs", "server", "start", "--port", "4200"])).toBe("baton server start --port 4200");
    expect(describeCommand(["node", "/x/scripts/own.ts", "--api-key", "bk_secret", "--database-url=postgres://u:p@h/db"])).toBe(
      "own.ts --api-key *** --database-url=***",
    );
  });
});
