/**
 * What Baton adds to a node-postgres or Neon pool (both pg-pool underneath), so that a
 * PostgreSQL restart costs waiting, not failed requests, and hot statements are planned once
 * per connection. `hardenPool` applies all of it; ./client.ts opens the pools.
 */
import { createHash } from "node:crypto";
import { transientConnectReason } from "../errors";

type PgLikePool = { connect: (cb?: (err?: Error, client?: unknown, done?: unknown) => void) => unknown; on(event: "connect", listener: (client: never) => void): unknown };

/** Waits for a restarting database on connect, retries a BEGIN on a dead connection, and prepares repeated statements. */
export function hardenPool(pool: PgLikePool, label: string): void {
  waitForDatabaseOnConnect(pool, label);
  pool.on("connect", (client) => prepareRepeatedStatements(client));
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
