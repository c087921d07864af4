/**
 * One database layer over three drivers, chosen by configuration:
 *   - PGlite (embedded Postgres in WASM) stored under the data directory — the default;
 *   - node-postgres for a postgres:// URL;
 *   - @neondatabase/serverless over WebSockets for Neon (or BATON_DB_DRIVER=neon).
 * All three get the same drizzle schema, migrations and queries; callers see `Db`.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import * as schema from "../../drizzle/schema";
import type { DatabaseConfig, DbDriver } from "../config";
import { installEngineSql, type SqlConnection } from "../engine/sql/install";
import { lockDataDir } from "./pglite-lock";
import { transientConnectReason } from "../errors";

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

/** How long a query waits for the database to come back before it fails (BATON_DB_CONNECT_WAIT_S). */
function connectWaitMs(): number {
  const seconds = Number(process.env.BATON_DB_CONNECT_WAIT_S ?? 30);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 30_000;
}

/**
 * Makes the pool wait for a restarting database instead of failing every request at once:
 * opening a connection is retried with backoff while the failure is transient, up to
 * BATON_DB_CONNECT_WAIT_S (default 30 s). Nothing was sent on a connection that never opened,
 * so waiting is safe for every statement; a statement in flight when the database went down
 * fails as before (whether it committed is unknown, so only its caller may retry it). Before,
 * a PostgreSQL restart failed every call made while it was down with a 500 — a task's
 * COMPLETED report among them, which failed its flow run (test/worker/pg-restart.test.ts).
 */
function waitForDatabaseOnConnect(pool: { connect: (cb?: (err?: Error, client?: unknown, done?: unknown) => void) => unknown }, label: string): void {
  const connectOnce = pool.connect.bind(pool) as () => Promise<{ release: unknown }>;
  let lastLog = 0;
  const connect = async () => {
    const giveUpAt = Date.now() + connectWaitMs();
    for (let attempt = 0; ; attempt++) {
      try {
        return await connectOnce();
      } catch (err) {
        const reason = transientConnectReason(err);
        if (!reason || Date.now() >= giveUpAt) throw err;
        if (Date.now() - lastLog > 5_000) {
          lastLog = Date.now();
          console.error(`[baton] ${label}: the database is not answering (${reason}); queries wait for it up to ${connectWaitMs() / 1000} s (BATON_DB_CONNECT_WAIT_S)`);
        }
        const delay = Math.min(1_000, 50 * 2 ** Math.min(attempt, 5));
        await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, giveUpAt - Date.now()))));
      }
    }
  };
  pool.connect = ((cb?: (err?: Error, client?: unknown, done?: unknown) => void) => {
    // Promise style is how drizzle checks out a client for a transaction (pool.query, a
    // single statement, uses the callback style and is left as it is).
    if (!cb) return connect().then((client) => beginOnLiveConnection(client as unknown as PooledClient, connect as never));
    connect().then(
      (client) => cb(undefined, client, client.release),
      (err: Error) => cb(err),
    );
    return undefined;
  }) as typeof pool.connect;
}

interface PooledClient {
  query(query: unknown, values?: unknown): Promise<unknown>;
  release(err?: Error | boolean): void;
  on(event: "error", listener: (err: Error) => void): unknown;
  removeListener(event: "error", listener: (err: Error) => void): unknown;
}

/**
 * A checked-out client's connection error is also emitted as an 'error' event, which pg-pool
 * listens to only while the client is idle: unheard, it is an uncaught exception that ends
 * the server. The statement in flight gets the same error, and the pool destroys the client
 * when it is released, so hearing it is all that is needed.
 */
const heardWhileCheckedOut = (_err: Error) => {};

/**
 * A checked-out client whose BEGIN meets a dead connection is swapped for a fresh one and the
 * BEGIN sent again. A pooled connection can die while idle (PostgreSQL restarts or ends the
 * backend) a moment before the pool notices, and is then handed to the next transaction:
 * its BEGIN fails with "Connection terminated" though nothing of the transaction has run, so
 * sending it again on a new connection is safe. Without this the request answered 500, a
 * worker's task creation among them (2 of 16 runs FAILED with "Failed query: begin" in
 * test/worker/pg-restart.test.ts), and drizzle, which releases a client only after a BEGIN
 * that succeeded, kept the dead one checked out for good: one pool slot fewer per restart.
 * Only BEGIN, the first statement of a checkout, is sent again: a statement after it may have
 * run, so its failure is the caller's to handle.
 */
function beginOnLiveConnection(first: PooledClient, connect: () => Promise<PooledClient>): PooledClient {
  let current = first;
  current.on("error", heardWhileCheckedOut);
  let firstQuery = true;
  let released = false;
  const releaseCurrent = (err?: Error | boolean) => {
    current.removeListener("error", heardWhileCheckedOut);
    current.release(err);
  };
  const wrapper: Pick<PooledClient, "query" | "release"> = {
    async query(query, values) {
      const text = typeof query === "string" ? query : (query as { text?: unknown } | null)?.text;
      if (!firstQuery || typeof text !== "string" || !/^\s*begin\b/i.test(text)) {
        firstQuery = false;
        return current.query(query, values);
      }
      firstQuery = false;
      for (let attempt = 0; ; attempt++) {
        try {
          return await current.query(query, values);
        } catch (err) {
          // Destroy the dead connection (release with an error): drizzle will not release a
          // client whose BEGIN failed, so this is the only release it gets.
          releaseCurrent(err instanceof Error ? err : true);
          if (attempt >= 3 || !transientConnectReason(err)) {
            released = true;
            throw err;
          }
          current = await connect();
          current.on("error", heardWhileCheckedOut);
        }
      }
    },
    release: (err) => {
      if (released) return;
      released = true;
      releaseCurrent(err);
    },
  };
  // Anything else drizzle or pg may read (processID, on, …) is the live client's.
  return new Proxy(wrapper as PooledClient, {
    get: (target, prop) => (prop in target ? target[prop as "query" | "release"] : Reflect.get(current as object, prop)),
  });
}

/** Statement texts given a prepared-statement name, process-wide; at most MAX_NAMED_STATEMENTS. */
const statementNames = new Map<string, string>();
const MAX_NAMED_STATEMENTS = 500;
/** Shorter statements are cheap to plan: not worth a prepared statement on every connection. */
const MIN_NAMED_LENGTH = 160;

/**
 * Sends each of the process's repeated statements as a named prepared statement, so that
 * PostgreSQL parses and plans it once per connection instead of at every call. drizzle sends
 * the same text for the same query shape (values are parameters), and the engine's hot
 * statements are large: the state change of a run — one CTE that locks, checks the lease and the
 * transition, updates and writes history — cost more to plan than to run (pg_stat_statements on
 * the user's path: plan 3.6–4.0 ms against exec 5.7–6.6 ms a call on a loaded machine, about a
 * fifth of all the database's time per run). A statement is named by a hash of its text; the
 * number of names is capped, so SQL with literals in it cannot grow the backends' caches for
 * good (beyond the cap a new text is sent unnamed, as before).
 */
function prepareRepeatedStatements(client: { query: (...args: unknown[]) => unknown }): void {
  const query = client.query;
  client.query = function (this: unknown, config: unknown, ...rest: unknown[]) {
    if (config && typeof config === "object" && !(config as { name?: unknown }).name) {
      const text = (config as { text?: unknown }).text;
      if (typeof text === "string" && text.length >= MIN_NAMED_LENGTH) {
        let name = statementNames.get(text);
        if (!name && statementNames.size < MAX_NAMED_STATEMENTS) {
          name = `baton_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`;
          statementNames.set(text, name);
        }
        if (name) config = { ...(config as object), name };
      }
    }
    return query.call(this, config, ...rest);
  };
}

async function openNodePostgres(url: string): Promise<Database> {
  const pg = (await import("pg")).default;
  const { drizzle } = await import("drizzle-orm/node-postgres");
  const { migrate } = await import("drizzle-orm/node-postgres/migrator");
  const pool = new pg.Pool({ connectionString: url, max: Number(process.env.BATON_DB_POOL_SIZE ?? 10) });
  // An idle client that errors (server restart) must not crash the process.
  pool.on("error", (err) => console.error(`[baton] postgres pool error: ${err.message}`));
  waitForDatabaseOnConnect(pool as never, "postgres");
  pool.on("connect", (client) => prepareRepeatedStatements(client as never));
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
  waitForDatabaseOnConnect(pool as never, "neon");
  pool.on("connect", (client: unknown) => prepareRepeatedStatements(client as never));
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
