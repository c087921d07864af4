/**
 * A pooled PostgreSQL connection that died while idle (the server restarted or ended its
 * backend) and is handed to the next transaction before the pool has noticed. Made
 * deterministic with a TCP proxy between the pool and PostgreSQL that resets the connection
 * the moment a BEGIN is sent on it, before it reaches the server — as a dead socket answers a
 * write. The transaction must go through on a fresh connection (nothing of it had run), the
 * pool must not lose a slot to the dead client, and a statement other than BEGIN is not sent
 * again (it may have run).
 */
import { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { toTrpcError } from "../../server/api/trpc";
import { openDatabase, type Database } from "../../server/db/client";
import { openTestDatabase, type TestDatabase } from "../helpers/db";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy";

// The proxy sits on node-postgres's TCP connection; PGlite has none, and the Neon driver
// talks WebSocket through its own proxy.
const onPg = inject("dbMode") === "pg";

describe.skipIf(!onPg)("a transaction handed a pooled connection that died while idle (node-postgres only)", () => {
  let t: TestDatabase;
  let proxy: TcpProxy;
  let viaProxy: Database;

  beforeAll(async () => {
    t = await openTestDatabase();
    const url = new URL((t.config as { url: string }).url);
    proxy = await startTcpProxy({ targetPort: Number(url.port || 5432), targetHost: url.hostname });
    url.port = String(proxy.port);
    // One connection in the pool: a leaked dead client would leave none, and the next
    // transaction would wait for ever.
    const before = process.env.BATON_DB_POOL_SIZE;
    process.env.BATON_DB_POOL_SIZE = "1";
    try {
      viaProxy = await openDatabase({ driver: "pg", url: url.toString() });
    } finally {
      if (before === undefined) delete process.env.BATON_DB_POOL_SIZE;
      else process.env.BATON_DB_POOL_SIZE = before;
    }
    await viaProxy.db.execute(sql`SELECT 1`);
  });

  afterAll(async () => {
    await viaProxy?.close();
    await proxy?.close();
    await t?.dispose();
  });

  it("sends BEGIN again on a fresh connection, and the pool keeps its slot", async () => {
    const cut = proxy.resetNext(/begin/i, { when: "before" });
    const acceptedBefore = proxy.accepted;
    const value = await viaProxy.db.transaction(async (tx) => {
      const r = (await tx.execute(sql`SELECT 41 + 1 AS answer`)) as unknown as { rows: { answer: number }[] };
      return Number(r.rows[0]!.answer);
    });
    await cut; // the trap did fire: the first BEGIN met a dead connection
    expect(value).toBe(42);
    expect(proxy.accepted, "a new connection was opened for the retried BEGIN").toBeGreaterThan(acceptedBefore);

    // The only slot is free again: two more transactions and a plain query go through.
    for (let i = 0; i < 2; i++) {
      await expect(viaProxy.db.transaction((tx) => tx.execute(sql`SELECT ${i}::int AS i`))).resolves.toBeDefined();
    }
    await expect(viaProxy.db.execute(sql`SELECT 1`)).resolves.toBeDefined();
  });

  it("does not send again a statement that may have run: its failure is the caller's", async () => {
    const cut = proxy.resetNext(/pg_sleep/i, { when: "after", afterMs: 50 });
    const failure = await viaProxy.db.transaction((tx) => tx.execute(sql`SELECT pg_sleep(0.5)`)).then(
      () => undefined,
      (err: unknown) => err,
    );
    await cut;
    expect(failure, "the statement cut mid-way failed").toBeInstanceOf(Error);
    // The API answers it as 503 "the database is not answering", not as a bare 500.
    const mapped = toTrpcError(failure);
    expect(mapped).toBeInstanceOf(TRPCError);
    expect((mapped as TRPCError).code).toBe("SERVICE_UNAVAILABLE");
    expect((mapped as TRPCError).message).toMatch(/^the database is not answering \(.+\); try again shortly$/);
    // And the pool recovers from that one too.
    await expect(viaProxy.db.transaction((tx) => tx.execute(sql`SELECT 2 AS two`))).resolves.toBeDefined();
  });
});
