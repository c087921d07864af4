/**
 * One owner per PGlite data directory, enforced. PGlite has no lock of its own: two processes
 * on one directory both start, and one's acknowledged writes are lost (or the directory is
 * corrupted beyond opening). So whoever opens it first writes `<dir>/baton.lock` — created
 * atomically, naming its pid, host, start time and command — and everyone else is refused until
 * it is released (on close, or best effort on exit).
 *
 * A lock whose owner is gone is taken over, with a log line:
 *   - on this host (and pid namespace): the pid is not running (ESRCH), the machine has restarted
 *     since (boot id), the pid now belongs to another process (its start time differs), or it is
 *     our own pid from an earlier life (a container restarted as pid 1);
 *   - from another host or container, where pids mean nothing here: the owner touches the file
 *     every few seconds, and one not touched for STALE_HEARTBEAT_MS is stale.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const LOCK_FILE = "baton.lock";
/** How often an owner touches its lock file, and how long without a touch makes it stale. */
export const HEARTBEAT_MS = 5_000;
export const STALE_HEARTBEAT_MS = 60_000;
/** A takeover in progress (the short mutex around replacing a stale lock) left behind this long is stale. */
const TAKEOVER_STALE_MS = 10_000;

/** What a lock file says about its owner. */
export interface DataDirOwner {
  pid: number;
  hostname: string;
  /** When the owning process started (ISO 8601). */
  startedAt: string;
  /** The owner's command line, e.g. `baton server start --port 4200`. */
  command: string;
  /** Tells this lock apart from another one with the same pid (for release). */
  token: string;
  /** Linux: the kernel's boot id, the pid namespace and the process's start in clock ticks. */
  bootId?: string;
  pidNamespace?: string;
  processStart?: string;
}

/** A second opener of a data directory someone else holds. */
export class DataDirInUseError extends Error {
  override name = "DataDirInUseError";
  constructor(
    readonly dataDir: string,
    readonly owner: DataDirOwner,
    note = "",
  ) {
    const where = isThisHost(owner) ? "" : ` on ${owner.hostname}`;
    super(
      `The embedded database in ${dataDir} is in use by Baton process ${owner.pid}${where} ` +
        `(${owner.command}, started ${shortTime(owner.startedAt)}). ` +
        `Stop it first, or use the API (BATON_API_URL) instead of opening the database directly.${note}`,
    );
  }
}

export interface DataDirLock {
  readonly file: string;
  readonly owner: DataDirOwner;
  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): void;
}

export interface LockOptions {
  /** Recorded as the owner's command (default: this process's command line). */
  command?: string;
  /** Where the takeover of a stale lock is reported (default: stderr). */
  log?: (line: string) => void;
}

/** The locks this process holds, by directory, on globalThis (Next.js can load modules twice). */
const HELD = Symbol.for("baton.pgliteLocks");
type GlobalWithLocks = typeof globalThis & { [HELD]?: Map<string, DataDirOwner> };
function held(): Map<string, DataDirOwner> {
  const g = globalThis as GlobalWithLocks;
  if (!g[HELD]) {
    const map = new Map<string, DataDirOwner>();
    g[HELD] = map;
    // Best effort for a process that exits without closing its database (not on SIGKILL).
    process.once("exit", () => {
      for (const [dir, owner] of map) removeIfOurs(path.join(dir, LOCK_FILE), owner.token);
      map.clear();
    });
  }
  return g[HELD];
}

/** Takes the lock on `dataDir` (created if missing), or throws DataDirInUseError naming the owner. */
export async function lockDataDir(dataDir: string, opts: LockOptions = {}): Promise<DataDirLock> {
  const dir = path.resolve(dataDir);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const owner: DataDirOwner = {
    pid: process.pid,
    hostname: os.hostname(),
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    command: opts.command ?? describeCommand(process.argv),
    token: randomUUID(),
    ...linuxIdentity(),
  };
  const content = `${JSON.stringify(owner, null, 2)}\n`;

  // Each pass either takes the lock, refuses, or removes a stale one; waits are short.
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (createExclusive(file, content)) return hold(dir, file, owner);
    const current = readLock(file);
    if (current === "gone") continue; // released in between: try again
    if (current.owner === undefined) {
      // Being written this instant by another opener, or garbage left behind long ago.
      if (current.ageMs < 5_000) {
        await sleep(50);
        continue;
      }
      if (await takeOver(file, current.raw)) log(`[baton] Removed an unreadable lock file ${file} (${Math.round(current.ageMs / 1000)} s old).`);
      continue;
    }
    const verdict = judge(dir, current.owner, current.ageMs);
    if (verdict.alive) throw new DataDirInUseError(dir, current.owner, verdict.note);
    if (await takeOver(file, current.raw)) {
      const o = current.owner;
      log(
        `[baton] Took over the embedded database in ${dir} from Baton process ${o.pid}${isThisHost(o) ? "" : ` on ${o.hostname}`} ` +
          `(${o.command}, started ${shortTime(o.startedAt)}), which ${verdict.reason}.`,
      );
    }
  }
  throw new Error(`Could not take the lock ${file}: it kept changing hands`);
}

/** Who holds `dataDir` now according to its lock file, if anyone (alive or not). */
export function readDataDirOwner(dataDir: string): DataDirOwner | undefined {
  const current = readLock(path.join(path.resolve(dataDir), LOCK_FILE));
  return current === "gone" ? undefined : current.owner;
}

function hold(dir: string, file: string, owner: DataDirOwner): DataDirLock {
  held().set(dir, owner);
  const heartbeat = setInterval(() => {
    const now = new Date();
    try {
      fs.utimesSync(file, now, now);
    } catch {
      // Gone (released, or removed by hand): nothing to renew.
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  let released = false;
  return {
    file,
    owner,
    release: () => {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      if (held().get(dir)?.token === owner.token) held().delete(dir);
      removeIfOurs(file, owner.token);
    },
  };
}

/** Creates `file` with `content` only if it does not exist, never leaving it half written. */
function createExclusive(file: string, content: string): boolean {
  const tmp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  fs.writeFileSync(tmp, content, { flag: "wx" });
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    if (code(err) === "EEXIST") return false;
    // No hard links on this filesystem: an exclusive create, written at once.
    if (!["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV"].includes(code(err) ?? "")) throw err;
    try {
      fs.writeFileSync(file, content, { flag: "wx" });
      return true;
    } catch (err2) {
      if (code(err2) === "EEXIST") return false;
      throw err2;
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

type LockRead = "gone" | { raw: string; owner?: DataDirOwner; ageMs: number };

function readLock(file: string): LockRead {
  let raw: string;
  let mtimeMs: number;
  try {
    raw = fs.readFileSync(file, "utf8");
    mtimeMs = fs.statSync(file).mtimeMs;
  } catch (err) {
    if (code(err) === "ENOENT") return "gone";
    throw err;
  }
  return { raw, owner: parseOwner(raw), ageMs: Math.max(0, Date.now() - mtimeMs) };
}

function parseOwner(raw: string): DataDirOwner | undefined {
  try {
    const o = JSON.parse(raw) as Partial<DataDirOwner>;
    if (!Number.isInteger(o.pid) || (o.pid as number) <= 0 || typeof o.hostname !== "string") return undefined;
    return {
      pid: o.pid as number,
      hostname: o.hostname,
      startedAt: typeof o.startedAt === "string" ? o.startedAt : "at an unknown time",
      command: typeof o.command === "string" ? o.command : "unknown command",
      token: typeof o.token === "string" ? o.token : "",
      bootId: typeof o.bootId === "string" ? o.bootId : undefined,
      pidNamespace: typeof o.pidNamespace === "string" ? o.pidNamespace : undefined,
      processStart: typeof o.processStart === "string" ? o.processStart : undefined,
    };
  } catch {
    return undefined;
  }
}

type Verdict = { alive: true; note?: string } | { alive: false; reason: string };

/** Whether the owner a lock names may still be using the directory. */
function judge(dir: string, owner: DataDirOwner, ageMs: number): Verdict {
  if (!isThisHost(owner)) {
    // Another host or container: its pids mean nothing here; only its heartbeat tells.
    if (ageMs > STALE_HEARTBEAT_MS) return { alive: false, reason: `has not renewed its lock for ${Math.round(ageMs / 1000)} s` };
    return {
      alive: true,
      note: ` (If that process is gone, its lock is taken over once it is ${STALE_HEARTBEAT_MS / 1000} s old; it was renewed ${Math.round(ageMs / 1000)} s ago.)`,
    };
  }
  const me = linuxIdentity();
  if (owner.bootId && me.bootId && owner.bootId !== me.bootId) return { alive: false, reason: "ran before this machine restarted" };
  if (owner.pid === process.pid) {
    if (held().has(dir)) return { alive: true };
    return { alive: false, reason: "was an earlier process with this one's pid" };
  }
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if (code(err) === "ESRCH") return { alive: false, reason: "is no longer running" };
    // EPERM: it runs, as another user.
  }
  const start = processStart(owner.pid);
  if (owner.processStart && start && start !== owner.processStart) {
    return { alive: false, reason: "is no longer running (its pid belongs to another process now)" };
  }
  return { alive: true };
}

/**
 * Replaces a stale lock: under a short mutex (its own exclusive file), removes the lock if it is
 * still exactly the one judged stale, so a fresh owner that got in meanwhile is never removed.
 * True if it removed it; the caller then tries to create its own.
 */
async function takeOver(file: string, staleRaw: string): Promise<boolean> {
  const mutex = `${file}.takeover`;
  for (;;) {
    try {
      fs.writeFileSync(mutex, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (err) {
      if (code(err) !== "EEXIST") throw err;
    }
    // Another opener is replacing it right now (or died doing so, long ago).
    try {
      if (Date.now() - fs.statSync(mutex).mtimeMs > TAKEOVER_STALE_MS) fs.rmSync(mutex, { force: true });
    } catch {
      // Gone meanwhile.
    }
    await sleep(20);
    if (readLock(file) === "gone") return false;
  }
  try {
    let now: string;
    try {
      now = fs.readFileSync(file, "utf8");
    } catch (err) {
      if (code(err) === "ENOENT") return false;
      throw err;
    }
    if (now !== staleRaw) return false;
    fs.rmSync(file, { force: true });
    return true;
  } finally {
    fs.rmSync(mutex, { force: true });
  }
}

function removeIfOurs(file: string, token: string): void {
  try {
    if (parseOwner(fs.readFileSync(file, "utf8"))?.token === token) fs.rmSync(file, { force: true });
  } catch {
    // Already gone.
  }
}

/** Same host and, where known on both sides, the same pid namespace: pids can be checked. */
function isThisHost(owner: DataDirOwner): boolean {
  if (owner.hostname !== os.hostname()) return false;
  const ns = linuxIdentity().pidNamespace;
  return !owner.pidNamespace || !ns || owner.pidNamespace === ns;
}

function linuxIdentity(): Pick<DataDirOwner, "bootId" | "pidNamespace" | "processStart"> {
  if (process.platform !== "linux") return {};
  const read = (f: () => string): string | undefined => {
    try {
      return f().trim() || undefined;
    } catch {
      return undefined;
    }
  };
  return {
    bootId: read(() => fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8")),
    pidNamespace: read(() => fs.readlinkSync("/proc/self/ns/pid")),
    processStart: processStart(process.pid),
  };
}

/** Linux: when a process started, in clock ticks since boot (field 22 of /proc/<pid>/stat). */
function processStart(pid: number): string | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** `baton server start --port 4200` for the CLI, else the script and its arguments; no secrets. */
export function describeCommand(argv: string[]): string {
  const script = argv[1] ?? "node";
  const name = /(^|[\\/])bin[\\/]baton(\.mjs)?$|(^|[\\/])cli[\\/]main\.[cm]?[tj]s$/.test(script) ? "baton" : path.basename(script);
  const args = argv.slice(2).map((a, i, all) => {
    const prev = all[i - 1] ?? "";
    if (/^--?[\w-]*(key|secret|password|token|url)[\w-]*=/i.test(a)) return `${a.slice(0, a.indexOf("=") + 1)}***`;
    if (/^--?[\w-]*(key|secret|password|token|url)[\w-]*$/i.test(prev) && !a.startsWith("-")) return "***";
    return a;
  });
  const text = [name, ...args].join(" ");
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

function shortTime(iso: string): string {
  return iso.replace(/\.\d{3}Z$/, "Z");
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
