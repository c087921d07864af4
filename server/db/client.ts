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
import { installEngineSql, type SqlConnection } from "../engine/sql/install";
import { lockDataDir } from "./pglite-lock";
import { hardenPool } from "./pool";

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
  /**
   * LISTEN on a channel: `handler` gets each NOTIFY payload. On pg and Neon this holds one
   * dedicated connection per channel; on PGlite the notifications never leave the process.
   * Returns a function that stops listening.
   */
  listen(channel: string, handler: (payload: string) => void, opts?: ListenOptions): Promise<() => Promise<void>>;
  /**
   * Tries to take a session-level advisory lock on a dedicated connection, for leader election:
   * null if another process holds it. The lock lives as long as the connection: if this process
   * dies, Postgres releases it and another takes over. PGlite has one owner process, so it is
   * always granted there.
   */
  tryAdvisoryLock(key: number): Promise<AdvisoryLock | null>;
  close(): Promise<void>;
}

export interface ListenOptions {
  /**
   * Told when the LISTEN is back after its connection was lost (a database restart): NOTIFYs
   * sent meanwhile were lost, so whoever waits on them should look for themselves.
   */
  onReconnect?: () => void;
}

export interface AdvisoryLock {
  /** False once the connection holding the lock has gone. */
  readonly held: boolean;
  release(): Promise<void>;
}

interface LockConnection {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  on(event: "error" | "end", fn: (err?: Error) => void): unknown;
  end(): Promise<void>;
}

async function lockOnConnection(connect: () => Promise<LockConnection>, key: number): Promise<AdvisoryLock | null> {
  const conn = await connect();
  let held = false;
  try {
    const { rows } = await conn.query("SELECT pg_try_advisory_lock($1) AS ok", [key]);
    held = rows[0]?.ok === true;
  } catch (err) {
    await conn.end().catch(() => undefined);
    throw err;
  }
  if (!held) {
    await conn.end().catch(() => undefined);
    return null;
  }
  const lost = () => {
    held = false;
  };
  conn.on("error", lost);
  conn.on("end", lost);
  return {
    get held() {
      return held;
    },
    release: async () => {
      if (!held) return;
      held = false;
      await conn.query("SELECT pg_advisory_unlock($1)", [key]).catch(() => undefined);
      await conn.end().catch(() => undefined);
    },
  };
}

/**
 * A LISTEN on a dedicated connection that reconnects if the connection drops, for as long as it
 * takes: a database restart can keep it away for seconds or minutes, and each failed attempt
 * schedules the next (with backoff up to 5 s). Before, one failed reconnect ended the retries
 * and the process listened to nothing until it was restarted (found by test/worker/pg-restart).
 * NOTIFYs sent while no connection listened are lost, so `onReconnect` is told each time the
 * LISTEN is back: callers treat it as "anything may have happened".
 */
async function listenOnConnection(
  connect: () => Promise<{
    query(text: string): Promise<unknown>;
    on(event: "notification", fn: (msg: { channel: string; payload?: string }) => void): unknown;
    on(event: "error" | "end", fn: (err?: Error) => void): unknown;
    release?(destroy?: boolean): void;
    end?(): Promise<void>;
  }>,
  channel: string,
  handler: (payload: string) => void,
  onReconnect?: () => void,
): Promise<() => Promise<void>> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name ${channel}`);
  let stopped = false;
  let current: Awaited<ReturnType<typeof connect>> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let failures = 0;
  const close = (conn: NonNullable<typeof current>) => {
    if (conn.release) conn.release(true);
    else void conn.end?.().catch(() => undefined);
  };
  const open = async (): Promise<void> => {
    const conn = await connect();
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      if (current === conn) current = undefined;
      close(conn);
      // Listeners fall back to polling meanwhile.
      if (!stopped) scheduleRetry();
    };
    conn.on("error", onLost);
    conn.on("end", onLost);
    conn.on("notification", (msg) => {
      if (msg.channel === channel) handler(msg.payload ?? "");
    });
    try {
      await conn.query(`LISTEN ${channel}`);
    } catch (err) {
      lost = true;
      close(conn);
      throw err;
    }
    if (stopped) {
      close(conn);
      return;
    }
    current = conn;
  };
  const scheduleRetry = () => {
    if (stopped || retryTimer) return;
    const delay = Math.min(5_000, 250 * 2 ** Math.min(failures, 5));
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      open().then(
        () => {
          failures = 0;
          if (!stopped) onReconnect?.();
        },
        () => {
          failures++;
          scheduleRetry();
        },
      );
    }, delay);
    retryTimer.unref();
  };
  await open();
  return async () => {
    stopped = true;
    clearTimeout(retryTimer);
    retryTimer = undefined;
    const conn = current;
    current = undefined;
    if (!conn) return;
    try {
      await conn.query(`UNLISTEN ${channel}`);
    } catch {
      // The connection is going away anyway.
    }
    close(conn);
  };
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
  // pg_trgm serves the run list's name search (drizzle/0017): PGlite has it only when loaded here.
  const { pg_trgm } = await import("@electric-sql/pglite/contrib/pg_trgm");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  const inMemory = dataDir.startsWith("memory://");
  // One process owns a PGlite directory (PGlite has no lock of its own): a second opener is
  // refused with DataDirInUseError, naming the owner. This also creates the directory (PGlite
  // does not create the parent folders of its data directory).
  const lock = inMemory ? undefined : await lockDataDir(dataDir);
  let client: InstanceType<typeof PGlite>;
  try {
    client = await PGlite.create(inMemory ? dataDir : path.resolve(dataDir), { extensions: { pg_trgm } });
  } catch (err) {
    lock?.release();
    throw err;
  }
  const db = drizzle(client, { schema });
  return {
    db: db as unknown as Db,
    driver: "pglite",
    // This process owns the PGlite directory (the lock above), so migrations need no lock.
    // Then the engine's functions from their sources (server/engine/sql/install.ts).
    migrate: async () => {
      await migrate(db, { migrationsFolder: migrationsFolder() });
      await installEngineSql(client as unknown as SqlConnection);
    },
    listen: async (channel, handler) => {
      const unsubscribe = await client.listen(channel, handler);
      return async () => {
        if (!client.closed) await unsubscribe();
      };
    },
    tryAdvisoryLock: async () => {
      let held = true;
      return {
        get held() {
          return held && !client.closed;
        },
        release: async () => {
          held = false;
        },
      };
    },
    close: async () => {
      try {
        if (!client.closed) await client.close();
      } finally {
        lock?.release();
      }
    },
  };
}

/** What node-postgres and Neon's driver have in common, for the parts of `Database` they share. */
interface PgLikeDriver {
  driver: "pg" | "neon";
  db: Db;
  pool: { connect(): Promise<PgLikeConnection>; end(): Promise<void> };
  /** A fresh, connected client outside the pool (for LISTEN and leader locks). */
  newClient(): Promise<LockConnection>;
  /** drizzle's migrator on one connection. */
  migrateOn(conn: PgLikeConnection): Promise<void>;
}

interface PgLikeConnection {
  query(text: string, values?: unknown[]): Promise<unknown>;
  release(): void;
}

function pgLikeDatabase(d: PgLikeDriver): Database {
  return {
    db: d.db,
    driver: d.driver,
    migrate: async () => {
      const conn = await d.pool.connect();
      try {
        await conn.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
        try {
          await d.migrateOn(conn);
          // The engine's functions from their sources (server/engine/sql/install.ts), under the same lock.
          await installEngineSql(conn as unknown as SqlConnection);
        } finally {
          await conn.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
        }
      } finally {
        conn.release();
      }
    },
    listen: (channel, handler, opts) => listenOnConnection(d.newClient as never, channel, handler, opts?.onReconnect),
    tryAdvisoryLock: (key) => lockOnConnection(d.newClient, key),
    close: () => d.pool.end(),
  };
}

async function openNodePostgres(url: string): Promise<Database> {
  const pg = (await import("pg")).default;
  const { drizzle } = await import("drizzle-orm/node-postgres");
  const { migrate } = await import("drizzle-orm/node-postgres/migrator");
  const pool = new pg.Pool({ connectionString: url, max: Number(process.env.BATON_DB_POOL_SIZE ?? 10) });
  // An idle client that errors (server restart) must not crash the process.
  pool.on("error", (err) => console.error(`[baton] postgres pool error: ${err.message}`));
  hardenPool(pool as never, "postgres");
  return pgLikeDatabase({
    driver: "pg",
    db: drizzle(pool, { schema }) as unknown as Db,
    pool: pool as never,
    newClient: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client as unknown as LockConnection;
    },
    migrateOn: (conn) => migrate(drizzle(conn as never, { schema }), { migrationsFolder: migrationsFolder() }),
  });
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
  hardenPool(pool as never, "neon");
  return pgLikeDatabase({
    driver: "neon",
    db: drizzle(pool, { schema }) as unknown as Db,
    pool: pool as never,
    newClient: async () => {
      const client = new neon.Client({ connectionString: url });
      await client.connect();
      return client as unknown as LockConnection;
    },
    migrateOn: (conn) => migrate(drizzle(conn as never, { schema }), { migrationsFolder: migrationsFolder() }),
  });
}
