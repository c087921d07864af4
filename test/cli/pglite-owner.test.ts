/**
 * One owner per embedded database, with real processes: while one process holds a PGlite data
 * directory, a second opener and the CLI commands that open it (db migrate, services start, auth
 * bootstrap, server start) are refused with one line naming the owner's pid, and the owner's
 * acknowledged writes are intact afterwards; a SIGKILLed owner's lock is taken over; a close (or
 * a plain exit) releases it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { LOCK_FILE, readDataDirOwner } from "../../server/db/pglite-lock";
import { REPO_ROOT, runCli, show, type CliResult } from "./run-cli";

interface Owner {
  child: ChildProcess;
  pid: number;
  /** Sends a command and waits for the answer line that starts with `expect`. */
  send(command: string, expect: string): Promise<string>;
  exited: Promise<number | null>;
  output(): string;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A BATON_DATA_DIR; the embedded database lives in its db/ folder. */
function tempBase(): { base: string; dbDir: string } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "baton-owner-"));
  dirs.push(base);
  return { base, dbDir: path.join(base, "db") };
}

/** Starts test/fixtures/pglite-owner.ts on `dbDir`; resolves with its first line ("ready <pid>" or "refused …"). */
function startFixture(dbDir: string): Promise<{ first: string; owner: Owner }> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/pglite-owner.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, BATON_TEST_DATA_DIR: dbDir },
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  const waiting: { prefixes: string[]; resolve: (line: string) => void }[] = [];
  const lines: string[] = [];
  const matches = (line: string, prefixes: string[]) => prefixes.some((p) => line.startsWith(p));
  readline.createInterface({ input: child.stdout! }).on("line", (line) => {
    output += `${line}\n`;
    const i = waiting.findIndex((w) => matches(line, w.prefixes));
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(line);
    else lines.push(line);
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const next = (...prefixes: string[]) =>
    new Promise<string>((resolve, reject) => {
      const seen = lines.findIndex((l) => matches(l, prefixes));
      if (seen >= 0) return resolve(lines.splice(seen, 1)[0]!);
      waiting.push({ prefixes, resolve });
      void exited.then(() => setTimeout(() => reject(new Error(`the fixture exited before "${prefixes.join('" or "')}":\n${output}`)), 100));
    });
  const owner: Owner = {
    child,
    pid: child.pid!,
    send: (command, expect) => {
      child.stdin!.write(`${command}\n`);
      return next(expect);
    },
    exited,
    output: () => output,
  };
  return next("ready ", "refused ").then((first) => ({ first, owner }));
}

/** The environment of a CLI run on the embedded database in `base`, with no server to find. */
function embeddedEnv(base: string): Record<string, string | undefined> {
  return {
    BATON_DATA_DIR: base,
    DATABASE_URL: undefined,
    BATON_DB_DRIVER: undefined,
    // Nothing listens there: the commands' own "a server answers" check finds none.
    BATON_API_URL: "http://127.0.0.1:9/api",
    PORT: "9",
    BATON_API_KEY: undefined,
    BATON_AUTH: undefined,
  };
}

function expectRefusal(result: CliResult, dbDir: string, pid: number, prefix = ""): void {
  expect(result.code, show(result)).not.toBe(0);
  const lines = result.stderr.trim().split("\n");
  expect(lines, show(result)).toHaveLength(1);
  expect(lines[0]).toMatch(
    new RegExp(
      `^Error: ${prefix}The embedded database in ${escape(dbDir)} is in use by Baton process ${pid} \\(pglite-owner\\.ts, started \\S+Z\\)\\. ` +
        `Stop it first, or use the API \\(BATON_API_URL\\) instead of opening the database directly\\.$`,
    ),
  );
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("the embedded database has one owner", () => {
  it("refuses a second opener and the CLI while one process holds it, naming its pid; the owner's writes survive; close releases it", async () => {
    const { base, dbDir } = tempBase();
    const { first, owner } = await startFixture(dbDir);
    expect(first, owner.output()).toBe(`ready ${owner.pid}`);
    await owner.send("write before", "wrote before");
    expect(readDataDirOwner(dbDir)).toMatchObject({ pid: owner.pid, hostname: os.hostname(), command: "pglite-owner.ts" });

    // A second process opening the same directory (as a second server would).
    const second = await startFixture(dbDir);
    expect(second.first).toMatch(new RegExp(`^refused The embedded database in ${escape(dbDir)} is in use by Baton process ${owner.pid} \\(`));
    expect(await second.owner.exited).toBe(3);

    // The real CLI commands that open the embedded database, side by side.
    const env = embeddedEnv(base);
    const [migrate, services, bootstrap, server] = await Promise.all([
      runCli(["db", "migrate"], env, 90_000),
      runCli(["services", "start"], env, 90_000),
      runCli(["auth", "bootstrap", "--email", "owner@example.com"], { ...env, BATON_AUTH_SECRET: "s".repeat(40), BATON_BOOTSTRAP_PASSWORD: "a long password 1" }, 90_000),
      runCli(["server", "start", "--port", "9"], env, 90_000),
    ]);
    expectRefusal(migrate, dbDir, owner.pid);
    expectRefusal(services, dbDir, owner.pid);
    expectRefusal(bootstrap, dbDir, owner.pid);
    expectRefusal(server, dbDir, owner.pid, "The server did not start: ");

    // The owner still owns it, and everything it wrote is there.
    expect(readDataDirOwner(dbDir)?.pid).toBe(owner.pid);
    await owner.send("write after", "wrote after");
    expect(await owner.send("count", "rows ")).toBe("rows before,after");
    await owner.send("close", "closed");
    expect(await owner.exited).toBe(0);
    expect(fs.existsSync(path.join(dbDir, LOCK_FILE))).toBe(false);

    // Released: the CLI may open it now, and leaves it released.
    const migrated = await runCli(["db", "migrate"], env, 90_000);
    expect(migrated.code, show(migrated)).toBe(0);
    expect(migrated.stdout).toMatch(/Applied \d+ migrations to the embedded PGlite database/);
    expect(fs.existsSync(path.join(dbDir, LOCK_FILE))).toBe(false);

    const reopened = await startFixture(dbDir);
    expect(reopened.first).toBe(`ready ${reopened.owner.pid}`);
    expect(await reopened.owner.send("count", "rows ")).toBe("rows before,after");
    await reopened.owner.send("close", "closed");
  }, 240_000);

  it("takes over the lock of a SIGKILLed owner with a log line, keeping its data; a plain exit releases it too", async () => {
    const { base, dbDir } = tempBase();
    const { first, owner } = await startFixture(dbDir);
    expect(first, owner.output()).toBe(`ready ${owner.pid}`);
    await owner.send("write kept", "wrote kept");
    owner.child.kill("SIGKILL");
    await owner.exited;
    expect(readDataDirOwner(dbDir)?.pid).toBe(owner.pid);

    const migrated = await runCli(["db", "migrate"], embeddedEnv(base), 90_000);
    expect(migrated.code, show(migrated)).toBe(0);
    expect(migrated.stderr).toMatch(
      new RegExp(
        `^\\[baton\\] Took over the embedded database in ${escape(dbDir)} from Baton process ${owner.pid} \\(pglite-owner\\.ts, started \\S+Z\\), which is no longer running\\.$`,
        "m",
      ),
    );
    expect(fs.existsSync(path.join(dbDir, LOCK_FILE))).toBe(false);

    const after = await startFixture(dbDir);
    expect(after.first).toBe(`ready ${after.owner.pid}`);
    expect(await after.owner.send("count", "rows ")).toBe("rows kept");
    // Exiting without closing: the exit hook removes the lock.
    after.owner.child.stdin!.write("exit\n");
    expect(await after.owner.exited).toBe(0);
    expect(fs.existsSync(path.join(dbDir, LOCK_FILE))).toBe(false);
  }, 180_000);

  it("db migrate still refuses first when a Baton server answers at the configured URL, opening nothing", async () => {
    const { base, dbDir } = tempBase();
    const server = http.createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
      const result = await runCli(["db", "migrate"], { ...embeddedEnv(base), BATON_API_URL: apiUrl }, 90_000);
      expect(result.code, show(result)).toBe(1);
      expect(result.stderr).toContain(`Error: A Baton server answers at ${apiUrl}; stop it before migrating the embedded database`);
      expect(fs.existsSync(dbDir)).toBe(false);
    } finally {
      server.close();
    }
  }, 120_000);
});
