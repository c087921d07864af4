/**
 * Installs the engine's SQL functions from their one source each (this folder) every time the
 * database is migrated, after drizzle's migrations: migrations own the tables, these files own
 * the functions. So a fresh database and an upgraded one end with the same definitions, and the
 * next change to the claim is one diff in ./claim-flow-runs.ts, no new migration.
 *
 * Idempotent and cheap: each function carries a COMMENT naming its source file and a hash of its
 * whole definition, and one catalogue query compares that and the stored body (pg_proc.prosrc)
 * with the source; only a function that differs (new, changed here, left by an older release's
 * migration, or replaced by hand — CREATE OR REPLACE keeps the old COMMENT, hence the body check)
 * is replaced, all in one transaction. An unchanged database costs that one query (~20 ms for a
 * whole `migrate()` with nothing to do, on PostgreSQL here). Callers run this where the migrations run: under the
 * migration advisory lock on node-postgres and Neon; PGlite has one owner process.
 */
import { createHash } from "node:crypto";
import { claimFlowRunsFunction } from "./claim-flow-runs";
import { functionBody, type EngineFunction } from "./engine-function";
import { notifyChangesFunction } from "./notify-changes";
import { notifyRunsFunction } from "./notify-runs";
import { satisfiesFunction } from "./satisfies";

/** In install order (the claim calls baton_satisfies). */
export const ENGINE_FUNCTIONS: readonly EngineFunction[] = [satisfiesFunction, claimFlowRunsFunction, notifyRunsFunction, notifyChangesFunction];

/** One connection (not a pool: the transaction below must stay on it). */
export interface SqlConnection {
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** The COMMENT a function installed from `fn` carries: where to edit it, and what was installed. */
export function engineFunctionNote(fn: EngineFunction): string {
  const hash = createHash("sha256")
    .update(JSON.stringify([fn.signature, fn.replaces ?? [], fn.definition]))
    .digest("hex")
    .slice(0, 16);
  return `Baton engine SQL from ${fn.source}, installed at migrate: edit it there, not in a migration. sha256:${hash}`;
}

/** Brings every engine function up to its source; returns the signatures it (re)installed. */
export async function installEngineSql(conn: SqlConnection, functions: readonly EngineFunction[] = ENGINE_FUNCTIONS): Promise<string[]> {
  const { rows } = await conn.query(
    `SELECT s.sig, obj_description(p.oid, 'pg_proc') AS note, md5(p.prosrc) AS body_md5
     FROM unnest($1::text[]) AS s(sig) LEFT JOIN pg_proc p ON p.oid = to_regprocedure(s.sig)`,
    [functions.map((fn) => fn.signature)],
  );
  const installed = new Map(rows.map((r) => [String(r.sig), { note: r.note, bodyMd5: r.body_md5 }]));
  const stale = functions.filter((fn) => {
    const found = installed.get(fn.signature);
    return found?.note !== engineFunctionNote(fn) || found.bodyMd5 !== createHash("md5").update(functionBody(fn)).digest("hex");
  });
  if (stale.length === 0) return [];
  await conn.query("BEGIN");
  try {
    for (const fn of stale) {
      for (const old of fn.replaces ?? []) await conn.query(`DROP FUNCTION IF EXISTS ${old}`);
      await conn.query(fn.definition);
      // Fails (and rolls everything back) if `signature` does not name what `definition` made.
      await conn.query(`COMMENT ON FUNCTION ${fn.signature} IS '${engineFunctionNote(fn).replaceAll("'", "''")}'`);
    }
    await conn.query("COMMIT");
  } catch (err) {
    await conn.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
  return stale.map((fn) => fn.signature);
}
