/**
 * A fresh, migrated database for one test file, on the driver the vitest project names:
 * PGlite in memory, node-postgres on a clone of the template, or the Neon driver on a clone
 * reached through the WebSocket proxy.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, inject } from "vitest";
import type { DatabaseConfig } from "../../server/config";
import { openDatabase, type Database } from "../../server/db/client";
import { cloneTemplate, databaseUrl, dropDatabase } from "./postgres";

export interface TestDatabase {
  database: Database;
  /** How to open another connection to the same database (not for PGlite, which is in memory). */
  config: DatabaseConfig;
  dispose(): Promise<void>;
}

export async function openTestDatabase(): Promise<TestDatabase> {
  const mode = inject("dbMode") ?? "pglite";
  if (mode === "pglite") {
    const config: DatabaseConfig = { driver: "pglite", dataDir: "memory://" };
    const database = await openDatabase(config);
    await database.migrate();
    return { database, config, dispose: () => database.close() };
  }
  const name = `${inject("pgPrefix")}${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await cloneTemplate(inject("pgTemplate"), name);
  const config: DatabaseConfig =
    mode === "pg"
      ? { driver: "pg", url: databaseUrl(name) }
      : { driver: "neon", url: databaseUrl(name), neonWsProxy: `ws://127.0.0.1:${inject("neonProxyPort")}/v2` };
  const database = await openDatabase(config);
  return {
    database,
    config,
    dispose: async () => {
      await database.close();
      await dropDatabase(name);
    },
  };
}

/** Opens a test database before the file's tests and disposes of it after them. */
export function useTestDatabase(): { readonly database: Database; readonly config: DatabaseConfig } {
  let handle: TestDatabase | undefined;
  beforeAll(async () => {
    handle = await openTestDatabase();
  }, 60_000);
  afterAll(async () => {
    await handle?.dispose();
  });
  return {
    get database() {
      if (!handle) throw new Error("the test database is not open yet (use it inside a test or hook)");
      return handle.database;
    },
    get config() {
      if (!handle) throw new Error("the test database is not open yet (use it inside a test or hook)");
      return handle.config;
    },
  };
}
