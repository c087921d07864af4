/**
 * The per-process runtime: configuration and the open database. It lives on `globalThis`
 * because Next.js can load route handlers and the custom server as separate module instances,
 * and there must be exactly one database client (one PGlite owner) per process.
 */
import { loadConfig, type BatonConfig } from "./config";
import { openDatabase, type Database } from "./db/client";
import type { EngineDeps } from "./api/trpc";
import { authSettingsFrom, type AuthSettings } from "./auth/identity";

export interface Runtime {
  config: BatonConfig;
  database: Database;
  /** The engine's settings and wake-up signals, when the server process set them up. */
  engine?: EngineDeps;
}

const KEY = Symbol.for("baton.runtime");
type GlobalWithRuntime = typeof globalThis & { [KEY]?: Promise<Runtime> };

/** Install a runtime built elsewhere (the server entry point, tests). */
export function setRuntime(runtime: Runtime | undefined): void {
  (globalThis as GlobalWithRuntime)[KEY] = runtime ? Promise.resolve(runtime) : undefined;
}

/**
 * The process's runtime, opened from the environment on first use when nothing installed one
 * (for example under a bare `next dev`).
 */
export function getRuntime(): Promise<Runtime> {
  const g = globalThis as GlobalWithRuntime;
  g[KEY] ??= (async () => {
    const config = loadConfig();
    const database = await openDatabase(config.database);
    await database.migrate();
    return { config, database };
  })();
  return g[KEY];
}

/** The process's auth settings (off unless BATON_AUTH=on). */
export async function getAuthSettings(): Promise<AuthSettings> {
  return authSettingsFrom((await getRuntime()).config);
}
