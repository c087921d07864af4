/**
 * Real workers against a real HTTP API: a test database, the API over HTTP with fast engine
 * settings and a RunSignals (so long-polling claims wake at once), and `baton worker start`
 * child processes. Every worker started is killed after the file, whatever happened.
 *
 * Fault tests can bring their own database (`database`: a private PostgreSQL cluster they may
 * kill) and run the background services in the same process (`services`: zombie killer,
 * lazarus… with the engine settings), as the real server does.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { startHttpApiServer, type HttpApiServer } from "../helpers/http-api-server";
import { useTestDatabase } from "../helpers/db";
import { fastSettings, sleep } from "../helpers/services";
import { RunSignals } from "../../server/engine/signals";
import { startServices, type RunningServices } from "../../server/services";
import { lineLog } from "../../server/services/resources";
import type { Database } from "../../server/db/client";
import { createBatonClient, type BatonClient } from "../../server/client";
import { FilesystemBlobStore, setBlobStore } from "../../server/blobs";
import type { EngineSettings } from "../../server/engine/settings";
import type { AuthSettings } from "../../server/auth/identity";
import { createTRPCClient, httpLink } from "@trpc/client";
import type { AppRouter } from "../../server/api/root";
import { SETUP_TOKEN_HEADER, setupToken } from "../../server/auth/better-auth";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const BIN = path.join(REPO_ROOT, "bin/baton.mjs");

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

export interface HarnessOptions {
  auth?: AuthSettings;
  /** Opens the database instead of a clone of the shared test template (closed after the file). */
  database?: () => Promise<Database>;
  /** Run the background services here too, with the engine settings; their log lines are kept. */
  services?: boolean;
}

export function useWorkerHarness(settings: Partial<EngineSettings> = {}, opts: HarnessOptions = {}) {
  const own: { database?: Database } = {};
  const handle = opts.database
    ? {
        get database() {
          if (!own.database) throw new Error("the harness database is not open yet");
          return own.database;
        },
      }
    : useTestDatabase();
  const signals = new RunSignals();
  let services: RunningServices | undefined;
  const serviceLog: string[] = [];
  const engineSettings = fastSettings({ heartbeatIntervalMs: 250, workerTimeoutMs: 5_000, claimFallbackPollMs: 500, ...settings });
  const workers: WorkerProcess[] = [];
  let server: HttpApiServer | undefined;
  let client: BatonClient | undefined;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "baton-worker-test-"));

  beforeAll(async () => {
    if (opts.database) own.database = await opts.database();
    setBlobStore(new FilesystemBlobStore(path.join(dataDir, "blobs")));
    await signals.start(handle.database);
    server = await startHttpApiServer(() => handle.database.db, () => ({ settings: engineSettings, signals }), opts.auth);
    client = createBatonClient({ apiUrl: server.apiUrl, batch: false });
    if (opts.services) services = startServices({ database: handle.database, settings: engineSettings, log: lineLog((m) => serviceLog.push(`${new Date().toISOString().slice(11, 23)} ${m}`)) });
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
    await Promise.all(workers.map((w) => w.exited));
    await services?.stop();
    await server?.close();
    await signals.stop();
    if (opts.database) await own.database?.close();
    setBlobStore(undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  /** `cwd`: where the worker starts (its checkout); Baton's own directory unless given. */
  function startWorker(args: string[], env: Record<string, string> = {}, cwd = REPO_ROOT): WorkerProcess {
    const child = spawn(process.execPath, [BIN, "worker", "start", ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: "1", BATON_API_URL: server!.apiUrl, BATON_WORKER_CLAIM_WAIT_MS: "3000", BATON_WORKER_KILL_GRACE_S: "1", BATON_WORKER_DATA_DIR: path.join(dataDir, "worker"), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    const worker = { child, output: () => out, exited };
    workers.push(worker);
    return worker;
  }

  return {
    get apiUrl() {
      return server!.apiUrl;
    },
    get client() {
      return client!;
    },
    get db() {
      return handle.database.db;
    },
    get database() {
      return handle.database;
    },
    /** What the background services logged (with `services: true`). */
    serviceLog,
    engineSettings,
    startWorker,
    /** Takes the API down (connections cut, port closed) for `downMs`, then back on the same port. */
    async outage(downMs: number) {
      const port = Number(new URL(server!.apiUrl).port);
      await server!.close();
      await sleep(downMs);
      server = await startHttpApiServer(() => handle.database.db, () => ({ settings: engineSettings, signals }), opts.auth, port);
    },
    /** Waits until the worker has registered and is polling. */
    async waitForWorker(worker: WorkerProcess, timeoutMs = 30_000) {
      await waitFor(() => /polling pool/.test(worker.output()) || worker.child.exitCode !== null, timeoutMs, () => worker.output());
      if (worker.child.exitCode !== null) throw new Error(`worker exited:\n${worker.output()}`);
    },
  };
}

/** Polls `check` until it is truthy; the error says what was last seen. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 30_000, describe?: () => string): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms${describe ? `\n${describe()}` : ""}`);
    await sleep(100);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads a side-effect file of test/worker/fixtures/counted.ts: per flow run id, its lines in
 * order as "start <lease>" / "end <lease>" (the lease tells one attempt from another).
 */
export function sideEffects(marker: string): Map<string, string[]> {
  const byRun = new Map<string, string[]>();
  let text = "";
  try {
    text = readFileSync(marker, "utf8");
  } catch {
    return byRun;
  }
  for (const line of text.split("\n").filter(Boolean)) {
    const [what, runId, lease] = line.split(" ");
    const list = byRun.get(runId!) ?? [];
    list.push(`${what} ${lease}`);
    byRun.set(runId!, list);
  }
  return byRun;
}

/**
 * A harness with auth on, for tests of worker keys: `client(headers)` is a typed client with
 * those headers, and `signUpOwner()` makes the workspace's first account (its owner) and
 * returns a client signed in as it.
 */
export function useKeyedWorkerHarness(secret: string, settings: Partial<EngineSettings> = {}) {
  const h = useWorkerHarness(settings, { auth: { enabled: true, secret, baseUrl: "http://127.0.0.1", trustedOrigins: ["http://127.0.0.1"] } });
  const client = (headers: Record<string, string>) => createTRPCClient<AppRouter>({ links: [httpLink({ url: `${h.apiUrl}/trpc`, headers })] });
  const signUpOwner = async () => {
    const res = await fetch(`${h.apiUrl}/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", [SETUP_TOKEN_HEADER]: setupToken(secret) },
      body: JSON.stringify({ name: "Owner", email: "owner@example.com", password: "owner's long password" }),
    });
    if (res.status !== 200) throw new Error(`sign-up answered ${res.status}: ${await res.text()}`);
    const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]!).find((c) => c.includes("session_token="));
    if (!cookie) throw new Error("sign-up set no session cookie");
    return client({ cookie });
  };
  return { h, client, signUpOwner };
}
