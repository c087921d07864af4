/**
 * Baton's server process: one HTTP server that serves the web UI and the API (both Next.js),
 * over one database opened here and shared with every route through the process runtime.
 *
 * Order matters:
 *   1. build the web UI if there is no production build (first start only);
 *   2. open the database, apply migrations, LISTEN for run wake-ups, install the runtime on
 *      `globalThis`, so no route handler opens a second client (for PGlite that would be a
 *      second owner of the folder) and every claim in the process shares one set of signals;
 *   3. start the background services (scheduler, late marker, zombie killer, lazarus, log
 *      retention; with several servers on one Postgres only the leader runs them);
 *   4. start Next.js programmatically and listen.
 *
 * Signals are the caller's business (the CLI): this module only hands back `close()`.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { assertSafeBinding, type BatonConfig, type DatabaseConfig } from "./config";
import { openDatabase } from "./db/client";
import { createHttpGuard } from "./http-guard";
import { loadEngineSettings } from "./engine/settings";
import { RunSignals } from "./engine/signals";
import { ChangeFeed } from "./live/change-feed";
import { setRuntime } from "./runtime";
import { startServices, type RunningServices } from "./services";
import { countUsers, setupToken } from "./auth/better-auth";
import { serveNodeRequest } from "./node-request";

export interface StartServerOptions {
  port: number;
  host: string;
  /** `next dev`: compile on demand with hot reload; no production build needed. */
  dev?: boolean;
  config: BatonConfig;
  /** Where the banner and progress lines go (default: stdout). */
  log?: (line: string) => void;
  /** Print the banner once listening (default true); a caller with its own can turn it off. */
  banner?: boolean;
  /** Run the background services in this process (default true). */
  services?: boolean;
}

export interface RunningServer {
  /** The web UI's base URL, e.g. `http://localhost:4200`. */
  url: string;
  /** Stops accepting requests, shuts Next.js down and closes the database. Safe to call twice. */
  close(): Promise<void>;
}

/** The folder with package.json, next.config.js and app/: one up from this file. */
export function projectRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
}

export function hasProductionBuild(root = projectRoot()): boolean {
  return fs.existsSync(path.join(root, ".next", "BUILD_ID"));
}

/** Runs `next build` in a child process, its output going to ours. */
export async function buildWebUi(root = projectRoot()): Promise<void> {
  const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [nextBin, "build"], {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`Building the web UI failed (next build exited with ${signal ?? `code ${code}`})`));
    });
  });
}

export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const dev = opts.dev ?? false;
  assertSafeBinding({ host: opts.host, auth: opts.config.auth });
  const root = projectRoot();
  // Next.js reads NODE_ENV to pick React's build; set it before it loads.
  const env = process.env as Record<string, string | undefined>;
  env.NODE_ENV ??= dev ? "development" : "production";
  env.NEXT_TELEMETRY_DISABLED ??= "1";

  if (!dev && !hasProductionBuild(root)) {
    log("Building the web UI (first start only)…");
    await buildWebUi(root);
  }

  // Bad engine settings fail here, before anything is opened.
  const settings = loadEngineSettings();
  const signals = new RunSignals();
  const database = await openDatabase(opts.config.database);
  const live = new ChangeFeed(() => database.db);
  let httpServer: http.Server | undefined;
  let nextApp: { close(): Promise<void> } | undefined;
  let services: RunningServices | undefined;
  const cleanup = async () => {
    if (httpServer) await closeHttpServer(httpServer);
    await services?.stop().catch((err: unknown) => log(`[baton] stopping the services failed: ${describe(err)}`));
    await nextApp?.close().catch((err: unknown) => log(`[baton] stopping Next.js failed: ${describe(err)}`));
    // Wakes any claim still long-polling, so nothing waits on a closed database.
    await signals.stop().catch((err: unknown) => log(`[baton] stopping run signals failed: ${describe(err)}`));
    await live.stop().catch((err: unknown) => log(`[baton] stopping live updates failed: ${describe(err)}`));
    setRuntime(undefined);
    await database.close();
  };

  try {
    await database.migrate();
    await signals.start(database);
    await live.start(database);
    setRuntime({ config: opts.config, database, engine: { settings, signals, live } });

    // Loaded now, after NODE_ENV is set: tRPC decides at load whether errors carry stacks.
    const { apiEndpointFor } = await import("./api/endpoint");
    const { default: next } = await import("next");
    // Handing Next the server lets it attach its own WebSocket upgrade handler (hot reload in
    // dev); a second handler of ours would answer the same upgrade twice.
    const server = http.createServer();
    httpServer = server;
    const app = next({ dev, dir: root, hostname: opts.host, port: opts.port, httpServer: server });
    nextApp = app;
    await app.prepare();
    const handle = app.getRequestHandler();
    // Remote address, Host check and declared body size before Next.js reads anything.
    const guard = createHttpGuard({ config: opts.config, port: () => (server.address() as AddressInfo | null)?.port });
    server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (guard(req, res)) return;
      // The API ahead of Next's router: the same handlers, without its routing (ms per call).
      const endpoint = apiEndpointFor((req.url ?? "/").split("?")[0]!);
      if (endpoint) {
        serveNodeRequest(endpoint, req, res).catch((err: unknown) => {
          console.error(`[baton] ${req.method} ${req.url} failed:`, err);
          if (!res.headersSent) res.statusCode = 500;
          res.end();
        });
        return;
      }
      handle(req, res).catch((err: unknown) => {
        console.error(`[baton] ${req.method} ${req.url} failed:`, err);
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
    });
    await listen(httpServer, opts.port, opts.host);
    // The services start once requests can arrive: the zombie killer counts a worker's silence
    // from then (servingSince), so a slow start (Next.js preparing on a loaded machine) must not
    // eat the time live workers have to heartbeat again after a restart.
    if (opts.services !== false) services = startServices({ database, settings, signals });
  } catch (err) {
    await cleanup().catch(() => {});
    throw err;
  }

  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${displayHost(opts.host)}:${port}`;
  if (opts.banner ?? true) log(banner({ url, dev, database: opts.config.database, auth: opts.config.auth.enabled }));
  if (opts.config.auth.enabled && opts.config.auth.secret && (await countUsers(database.db)) === 0) {
    // The one way in on a fresh database, printed where only the operator sees it.
    const base = opts.config.auth.publicUrl?.replace(/\/+$/, "") ?? url;
    log(`  No accounts yet. Create the first owner at:\n    ${base}/setup?token=${setupToken(opts.config.auth.secret)}\n  (or run \`baton auth bootstrap\` with the server stopped)\n`);
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    close: () => (closing ??= cleanup()),
  };
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      if (err.code === "EADDRINUSE") {
        reject(
          new Error(
            `Port ${port} on ${host} is already in use (is another Baton running?). ` +
              `Choose another with --port or PORT.`,
          ),
        );
      } else if (err.code === "EACCES") {
        reject(new Error(`Not allowed to listen on port ${port} on ${host}: choose a port above 1023.`));
      } else {
        reject(err);
      }
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

function closeHttpServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    // Keep-alive connections from browsers would hold close() open for minutes.
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 2_000).unref();
  });
}

/** 0.0.0.0 and :: listen everywhere; a browser needs a name it can open. */
function displayHost(host: string): string {
  if (host === "0.0.0.0" || host === "::" || host === "") return "localhost";
  return host.includes(":") ? `[${host}]` : host;
}

function describeDatabase(database: DatabaseConfig): string {
  switch (database.driver) {
    case "pglite":
      return database.dataDir && !database.dataDir.startsWith("memory://")
        ? `PGlite (embedded), data in ${database.dataDir}`
        : "PGlite (embedded), in memory: nothing is kept after stop";
    case "pg":
      return `PostgreSQL at ${redactUrl(database.url)}`;
    case "neon":
      return `Neon (serverless driver) at ${redactUrl(database.url)}`;
  }
}

/** Shows where the database is without printing its password. */
export function redactUrl(url: string | undefined): string {
  if (!url) return "(no URL)";
  try {
    const u = new URL(url);
    if (u.password) u.password = "****";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}

function banner(info: { url: string; dev: boolean; database: DatabaseConfig; auth: boolean }): string {
  return [
    "",
    `  Baton is running${info.dev ? " (development mode)" : ""}`,
    "",
    `    Web UI     ${info.url}`,
    `    API        ${info.url}/api/trpc`,
    `    Health     ${info.url}/api/health`,
    `    Database   ${describeDatabase(info.database)}`,
    `    Auth       ${info.auth ? "on: sign-in or an API key for every request" : "off: one local user, loopback only"}`,
    "",
    `  Point workers and the CLI at it with BATON_API_URL=${info.url}/api${info.auth ? " and BATON_API_KEY" : ""}`,
    "",
  ].join("\n");
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
