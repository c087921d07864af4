/**
 * The engine's SQL functions come from one source each (server/engine/sql/), installed at
 * migrate: a fresh database and one upgraded from an older release (whose functions came from
 * drizzle's migrations alone: the claim of drizzle/0010) end with the same definitions, a
 * function replaced behind Baton's back is put back, and migrating again rewrites nothing.
 */
import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import type { DatabaseConfig } from "../../server/config";
import { migrationsFolder, openDatabase, type Database } from "../../server/db/client";
import { rowsOf } from "../../server/engine/rows";
import { functionBody } from "../../server/engine/sql/engine-function";
import { ENGINE_FUNCTIONS, engineFunctionNote } from "../../server/engine/sql/install";
import { useTestDatabase } from "../helpers/db";
import { databaseUrl, dropDatabase, withAdmin } from "../helpers/postgres";

const claim = ENGINE_FUNCTIONS.find((fn) => fn.signature.startsWith("baton_claim_flow_runs("))!;

interface InstalledFunction {
  sig: string;
  def: string | null;
  src: string | null;
  note: string | null;
  xmin: string | null;
}

async function engineFunctions(database: Database): Promise<InstalledFunction[]> {
  const sigs = sql.raw(`ARRAY[${ENGINE_FUNCTIONS.map((fn) => `'${fn.signature}'`).join(", ")}]::text[]`);
  const result = await database.db.execute(sql`
    SELECT s.sig, pg_get_functiondef(p.oid) AS def, p.prosrc AS src, obj_description(p.oid, 'pg_proc') AS note, p.xmin::text AS xmin
    FROM unnest(${sigs}) WITH ORDINALITY AS s(sig, n)
    LEFT JOIN pg_proc p ON p.oid = to_regprocedure(s.sig)
    ORDER BY s.n`);
  return rowsOf(result) as unknown as InstalledFunction[];
}

/** The claim as drizzle/0010 wrote it: what a database migrated by the release before this one has. */
function claimOf0010(): string {
  const text = fs.readFileSync(path.join(migrationsFolder(), "0010_claim_fresh_heartbeat.sql"), "utf8");
  const create = text.split("--> statement-breakpoint").find((part) => part.includes("CREATE OR REPLACE FUNCTION baton_claim_flow_runs"));
  if (!create) throw new Error("drizzle/0010 no longer holds the old claim");
  return create;
}

/** An empty database on this project's driver (another PGlite in memory, or a new database on the server). */
async function openEmptyDatabase(): Promise<{ database: Database; dispose(): Promise<void> }> {
  const mode = inject("dbMode") ?? "pglite";
  if (mode === "pglite") {
    const database = await openDatabase({ driver: "pglite", dataDir: "memory://" });
    return { database, dispose: () => database.close() };
  }
  const name = `${inject("pgPrefix")}up_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
  const config: DatabaseConfig =
    mode === "pg"
      ? { driver: "pg", url: databaseUrl(name) }
      : { driver: "neon", url: databaseUrl(name), neonWsProxy: `ws://127.0.0.1:${inject("neonProxyPort")}/v2` };
  const database = await openDatabase(config);
  return {
    database,
    dispose: async () => {
      await database.close();
      await dropDatabase(name);
    },
  };
}

/** What the release before this one did at start: drizzle's migrations and nothing else. */
async function migrateAsTheOldRelease(database: Database): Promise<void> {
  const migrationsConfig = { migrationsFolder: migrationsFolder() };
  if (database.driver === "pglite") {
    const { migrate } = await import("drizzle-orm/pglite/migrator");
    await migrate(database.db as never, migrationsConfig);
  } else if (database.driver === "pg") {
    const { migrate } = await import("drizzle-orm/node-postgres/migrator");
    await migrate(database.db as never, migrationsConfig);
  } else {
    const { migrate } = await import("drizzle-orm/neon-serverless/migrator");
    await migrate(database.db as never, migrationsConfig);
  }
}

describe("engine SQL installed from its sources", () => {
  const t = useTestDatabase();

  it("a migrated database has each engine function exactly as its source defines it", async () => {
    const installed = await engineFunctions(t.database);
    expect(installed.map((f) => f.sig)).toEqual(ENGINE_FUNCTIONS.map((fn) => fn.signature));
    ENGINE_FUNCTIONS.forEach((fn, i) => {
      expect(installed[i]!.src, fn.signature).toBe(functionBody(fn));
      expect(installed[i]!.note, fn.signature).toBe(engineFunctionNote(fn));
    });
    // The pre-0010 claim (eight arguments, no worker-timeout check) is gone.
    const old = rowsOf(await t.database.db.execute(sql`SELECT to_regprocedure('baton_claim_flow_runs(uuid, uuid, uuid[], uuid, integer, jsonb, boolean, text)') AS oid`));
    expect(old[0]!.oid).toBeNull();
  });

  it("migrating an up-to-date database again rewrites no function", async () => {
    const before = await engineFunctions(t.database);
    await t.database.migrate();
    const after = await engineFunctions(t.database);
    // A CREATE OR REPLACE would give the pg_proc row a new xmin.
    expect(after.map((f) => f.xmin)).toEqual(before.map((f) => f.xmin));
  });

  it("a claim replaced behind Baton's back (its COMMENT kept) is put back at the next migrate", async () => {
    await t.database.db.execute(sql.raw(claimOf0010()));
    const replaced = (await engineFunctions(t.database)).find((f) => f.sig === claim.signature)!;
    expect(replaced.src).not.toBe(functionBody(claim));
    expect(replaced.note).toBe(engineFunctionNote(claim)); // CREATE OR REPLACE keeps the comment
    await t.database.migrate();
    const restored = (await engineFunctions(t.database)).find((f) => f.sig === claim.signature)!;
    expect(restored.src).toBe(functionBody(claim));
  });

  it("a database upgraded from the old release ends with the same functions as a fresh one", async () => {
    const upgraded = await openEmptyDatabase();
    try {
      await migrateAsTheOldRelease(upgraded.database);
      const old = await engineFunctions(upgraded.database);
      const oldClaim = old.find((f) => f.sig === claim.signature)!;
      expect(oldClaim.def).not.toBeNull(); // drizzle/0010's claim is there…
      expect(oldClaim.src).not.toBe(functionBody(claim)); // …not the source's
      expect(oldClaim.note).toBeNull();

      await upgraded.database.migrate();
      const fresh = await engineFunctions(t.database);
      const after = await engineFunctions(upgraded.database);
      expect(after.map((f) => f.def)).toEqual(fresh.map((f) => f.def));
      expect(after.map((f) => f.note)).toEqual(fresh.map((f) => f.note));
      expect(after.map((f) => f.src)).toEqual(ENGINE_FUNCTIONS.map(functionBody));
    } finally {
      await upgraded.dispose();
    }
  });
});
