/**
 * One database layer over three drivers, chosen by configuration:
 *   - PGlite (embedded Postgres in WASM) stored under the data directory — the default;
 *   - node-postgres for a postgres:// URL;
 *   - @neondatabase/serverless over WebSockets for Neon (or BATON_DB_DRIVER=neon).
 * All three get the same drizzle schema, migrations and queries; callers see `Db`.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import * as schema from "../../drizzle/schema";
import type { DatabaseConfig, DbDriver } from "../config";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle has the query API of `Db`. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  driver: DbDriver;
  /** Apply pending migrations (safe to call from several processes at once on pg and neon). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/** Any number that fits in a bigint; two processes migrating at once wait on it. */
const MIGRATION_LOCK_KEY = 7_220_411_001;

export function migrationsFolder(): string {
  // Next.js bundles server code into .next/, so a path relative to this file is not reliable
  // there; the working directory is the project root in every supported way of starting Baton.
  const candidates = [
    process.env.BATON_MIGRATIONS_DIR,
    path.resolve(process.cwd(), "drizzle"),
    typeof import.meta.url === "string" && import.meta.url.startsWith("file:")
      ? path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../drizzle")
      : undefined,
  ].filter((p): p is string => Boolean(p));
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, "meta", "_journal.json")));
  if (!found) throw new Error(`Cannot find Baton's migrations (looked in ${candidates.join(", ")})`);
  return found;
}

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  switch (config.driver) {
    case "pglite":
      return openPglite(config.dataDir ?? "memory://");
    case "pg":
      return openNodePostgres(requireUrl(config));
    case "neon":
      return openNeon(requireUrl(config), config.neonWsProxy);
  }
}

function requireUrl(config: DatabaseConfig): string {
  if (!config.url) throw new Error(`The ${config.driver} driver needs DATABASE_URL`);
  return config.url;
}

async function openPglite(dataDir: string): Promise<Database> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  const inMemory = dataDir.startsWith("memory://");
  // PGlite does not create the parent folders of its data directory.
  if (!inMemory) fs.mkdirSync(path.dirname(path.resolve(dataDir)), { recursive: true });
  const client = await PGlite.create(inMemory ? dataDir : path.resolve(dataDir));
  const db = drizzle(client, { schema });
  return {
    db: db as unknown as Db,
    driver: "pglite",
    // One process owns a PGlite directory, so no lock is needed.
    migrate: () => migrate(db, { migrationsFolder: migrationsFolder() }),
    close: () => client.close(),
  };
}

async function openNodePostgres(url: string): Promise<Database> {
  const { Pool } = (await import("pg")).default;
  const { drizzle } = await import("drizzle-orm/node-postgres");
  const { migrate } = await import("drizzle-orm/node-postgres/migrator");
  const pool = new Pool({ connectionString: url, max: Number(process.env.BATON_DB_POOL_SIZE ?? 10) });
  // An idle client that errors (server restart) must not crash the process.
  pool.on("error", (err) => console.error(`[baton] postgres pool error: ${err.message}`));
  const db = drizzle(pool, { schema });
  return {
    db: db as unknown as Db,
    driver: "pg",
    migrate: async () => {
      const conn = await pool.connect();
      try {
        await conn.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
        try {
          await migrate(drizzle(conn, { schema }), { migrationsFolder: migrationsFolder() });
        } finally {
          await conn.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
        }
      } finally {
        conn.release();
      }
    },
    close: () => pool.end(),
  };
}

async function openNeon(url: string, wsProxy?: string): Promise<Database> {
  const neon = await import("@neondatabase/serverless");
  const { drizzle } = await import("drizzle-orm/neon-serverless");
  const { migrate } = await import("drizzle-orm/neon-serverless/migrator");
  const { default: WebSocket } = await import("ws");
  // Node 20 has no global WebSocket.
  neon.neonConfig.webSocketConstructor = WebSocket as never;
  if (wsProxy) {
    // A self-hosted WebSocket-to-TCP proxy in front of a plain Postgres (as in Baton's tests):
    // "ws://host:port/path" talks plain WebSocket and Postgres does the TLS-less handshake itself.
    const secure = !wsProxy.startsWith("ws://");
    const base = wsProxy.replace(/^wss?:\/\//, "");
    neon.neonConfig.wsProxy = (host, port) => `${base}?address=${host}:${port}`;
    neon.neonConfig.useSecureWebSocket = secure;
    neon.neonConfig.pipelineConnect = false;
    neon.neonConfig.pipelineTLS = false;
  }
  const pool = new neon.Pool({ connectionString: url, max: Number(process.env.BATON_DB_POOL_SIZE ?? 10) });
  pool.on("error", (err: Error) => console.error(`[baton] neon pool error: ${err.message}`));
  const db = drizzle(pool, { schema });
  return {
    db: db as unknown as Db,
    driver: "neon",
    migrate: async () => {
      const conn = await pool.connect();
      try {
        await conn.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
        try {
          await migrate(drizzle(conn as never, { schema }), { migrationsFolder: migrationsFolder() });
        } finally {
          await conn.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
        }
      } finally {
        conn.release();
      }
    },
    close: () => pool.end(),
  };
}
