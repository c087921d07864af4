/**
 * Baton as the end-to-end tests meet it: a real `baton server start` in its own process group,
 * on a fresh embedded database in a temporary folder and a free port, stopped with its whole
 * group (Next.js can leave a `next-server` child behind otherwise).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The e2e tests run the production server: build the web UI once if there is no build. */
export function ensureProductionBuild(): void {
  if (fs.existsSync(path.join(ROOT, ".next", "BUILD_ID"))) return;
  const result = spawnSync(process.execPath, [path.join(ROOT, "node_modules/next/dist/bin/next"), "build"], {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (result.status !== 0) throw new Error(`next build failed (exit ${result.status ?? result.signal})`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface BatonProcess {
  url: string;
  apiUrl: string;
  dataDir: string;
  /** Everything the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
  /** SIGKILL to the server's process group: gone at once, nothing closed cleanly. */
  kill(): Promise<void>;
}

export interface StartBatonOptions {
  startTimeoutMs?: number;
  /** More environment for the server, e.g. `{ BATON_AUTH: "on", BATON_AUTH_SECRET: "…" }`. */
  env?: Record<string, string>;
  /** Listen on this port (a restarted server where workers expect it); default: a free one. */
  port?: number;
  /** Use this data directory (a restarted server on the same database); the caller removes it. Default: a fresh one, removed on stop. */
  dataDir?: string;
}

export async function startBaton(opts: StartBatonOptions = {}): Promise<BatonProcess> {
  const ownData = !opts.dataDir;
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "baton-e2e-"));
  const port = opts.port ?? (await freePort());
  const env: NodeJS.ProcessEnv = { ...process.env, BATON_DATA_DIR: dataDir, NODE_ENV: "production" };
  // The embedded database and auth off, whatever the developer's shell says, unless asked.
  delete env.DATABASE_URL;
  delete env.BATON_DB_DRIVER;
  delete env.BATON_API_URL;
  delete env.BATON_API_KEY;
  delete env.BATON_AUTH;
  delete env.BATON_AUTH_SECRET;
  delete env.BATON_PUBLIC_URL;
  Object.assign(env, opts.env);

  const child = spawn(
    process.execPath,
    [path.join(ROOT, "bin/baton.mjs"), "server", "start", "--port", String(port), "--host", "127.0.0.1"],
    { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));

  const url = `http://127.0.0.1:${port}`;
  const baton: BatonProcess = {
    url,
    apiUrl: `${url}/api`,
    dataDir,
    output: () => output,
    stop: async () => {
      await stopGroup(child);
      if (ownData) fs.rmSync(dataDir, { recursive: true, force: true });
    },
    kill: async () => {
      const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // gone already
      }
      await exited;
    },
  };

  try {
    await waitForHealth(url, child, opts.startTimeoutMs ?? 90_000);
  } catch (err) {
    await baton.stop();
    throw new Error(`${(err as Error).message}\n--- server output ---\n${output}`);
  }
  return baton;
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Baton exited before it was healthy (${child.exitCode ?? child.signalCode})`);
    }
    try {
      const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Baton was not healthy at ${url}/api/health within ${timeoutMs} ms`);
}

/** SIGTERM to the group (Baton closes PGlite on it), then SIGKILL if it lingers. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // The group is gone already.
    }
  };
  signalGroup("SIGTERM");
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(true), 10_000)),
  ]);
  // Whatever else is in the group (a next-server child) goes too.
  signalGroup("SIGKILL");
  if (timedOut) await exited;
}
