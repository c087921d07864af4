/**
 * Whose lease governs a write about a flow run, as SQL the writing statement embeds. A run made
 * for a work pool is claimed on its own, and its lease is on its own row; a subflow (no pool:
 * it runs inline, inside its parent's worker) is governed by the nearest ancestor that has a
 * pool — the top-level run the worker claimed — walking parent_flow_run_id, the same walk the
 * pool scope of worker keys makes (server/auth/scope.ts). A run that has neither (a flow called
 * at the top level with BATON_API_URL set) governs itself and never holds a lease.
 *
 * Every write a worker makes about a run carries that lease's token and is checked against the
 * lease row in the statement that writes, with the row share-locked: a claim or the zombie
 * killer changing the lease waits for the write, or the write (waiting on them) re-reads the new
 * token and is refused. Nothing is read first and written later.
 *
 * The walk is a recursive CTE: a statement embedding it must begin `WITH RECURSIVE`. For a
 * top-level run (the hot path) it is one index lookup.
 */
import { SQL, getTableColumns, sql, type Table } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { flowRuns } from "../../drizzle/schema";
import { AppError } from "../errors";

/** What a writer says about the lease: its token, and whether it must have one. */
export interface LeaseClaim {
  /** The worker's lease token on the run's governing (top-level) flow run. */
  token?: string | null;
  /**
   * Refuse the write without a token when the governing run holds a lease: what a worker key's
   * writes and every API state change must meet. Left off, a write without a token is not checked.
   */
  strict?: boolean;
}

/** Raised when a worker reports on a run whose lease it no longer holds. */
export class LeaseLostError extends AppError {
  constructor(runId: string, detail: string) {
    super("CONFLICT", `Lease lost for flow run ${runId}: ${detail}. Stop this run; it is not yours any more.`, {
      field: "leaseToken",
      reason: "LEASE_LOST",
    });
  }
}

/** Raised when a write without a lease token is about a run a worker holds. */
export class LeaseHeldError extends AppError {
  constructor(what: string, detail: string) {
    super("CONFLICT", `${what} is held by a worker: ${detail}`, { field: "leaseToken", reason: "LEASE_HELD" });
  }
}

/**
 * Two CTEs: `lease_up` (the walk) and `lease_of (run_id, lease_run_id)`: for each flow run that
 * `runIds` selects and that exists in the workspace, the run whose lease governs it.
 */
export function leaseOfRuns(runIds: SQL, workspaceId: string): SQL {
  return sql`
    lease_up AS (
      SELECT f.id AS run_id, f.id, f.parent_flow_run_id AS parent, f.work_pool_id AS pool, 0 AS depth
      FROM ${flowRuns} f
      WHERE f.id IN (${runIds}) AND f.workspace_id = ${workspaceId}::uuid
      UNION ALL
      SELECT u.run_id, p.id, p.parent_flow_run_id, p.work_pool_id, u.depth + 1
      FROM lease_up u JOIN ${flowRuns} p ON p.id = u.parent AND p.workspace_id = ${workspaceId}::uuid
      WHERE u.pool IS NULL AND u.depth < 50
    ),
    lease_of AS (
      SELECT DISTINCT ON (run_id) run_id, id AS lease_run_id FROM lease_up ORDER BY run_id, depth DESC
    )`;
}

/**
 * `lease_up`, `lease_of` and `lease (run_id, lease_run_id, lease_token)` for one flow run, the
 * lease row locked FOR SHARE when the claim is checked (a token, or strict). `lease` is empty
 * when the run does not exist in the workspace.
 */
export function leaseOfRun(runId: string, workspaceId: string, claim: LeaseClaim): SQL {
  const lock = claim.token || claim.strict ? sql`FOR SHARE OF l` : sql``;
  return sql`${leaseOfRuns(sql`${runId}::uuid`, workspaceId)},
    lease AS (
      SELECT lo.run_id, l.id AS lease_run_id, l.lease_token
      FROM lease_of lo JOIN ${flowRuns} l ON l.id = lo.lease_run_id
      ${lock}
    )`;
}

/**
 * SQL true when the claim may write under the lease token `current` (a column or expression).
 * `token` may be a column too (each log line carries its own).
 */
export function leaseAllows(claim: { token?: string | null | SQL; strict?: boolean }, current: SQL): SQL {
  const token = claim.token instanceof SQL ? claim.token : sql`${claim.token ?? null}::uuid`;
  return sql`(CASE WHEN ${token} IS NULL THEN NOT (${sql.raw(claim.strict === true ? "true" : "false")} AND ${current} IS NOT NULL)
    ELSE ${current} IS NOT DISTINCT FROM ${token} END)`;
}

/**
 * Why the claim may not write, given the lease the statement saw (undefined: it may). `what`
 * names the write for the message, e.g. "its logs".
 */
export function leaseRefusal(
  claim: LeaseClaim,
  seen: { runId: string; leaseRunId: string; leaseToken: string | null },
  what: string,
): AppError | undefined {
  if (claim.token) {
    if (seen.leaseToken === claim.token) return undefined;
    const via = seen.leaseRunId !== seen.runId ? ` (the run ${seen.runId} is part of it)` : "";
    return new LeaseLostError(
      seen.leaseRunId,
      `${what} may not be written by a worker that no longer holds it${via}${seen.leaseToken ? "" : "; it holds no lease"}`,
    );
  }
  if (claim.strict && seen.leaseToken) {
    const via = seen.leaseRunId !== seen.runId ? ` (through its top-level run ${seen.leaseRunId})` : "";
    return new LeaseHeldError(`Flow run ${seen.runId}${via}`, `${what} must carry that worker's lease token`);
  }
  return undefined;
}

/**
 * The column list and the values of a row for `INSERT INTO t (<names>) SELECT <params> FROM lease
 * WHERE <leaseAllows>`: each value encoded as its column encodes it and cast to the column's
 * type (an INSERT ... SELECT does not infer parameter types); undefined values are left to their
 * column defaults.
 */
export function insertSelectParts<T extends Table>(table: T, values: Partial<T["$inferInsert"]>): { names: SQL; params: SQL } {
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  const given = Object.entries(values).filter(([, v]) => v !== undefined);
  return {
    names: sql.join(given.map(([key]) => sql.identifier(columns[key]!.name)), sql`, `),
    params: sql.join(
      given.map(([key, v]) => sql`${v === null ? sql`NULL` : sql.param(v, columns[key]!)}::${sql.raw(columns[key]!.getSQLType())}`),
      sql`, `,
    ),
  };
}

/** A `lease` CTE for a write about no run: one row, no lease, so `leaseAllows` passes. */
export const NO_LEASE = sql`lease AS (SELECT NULL::uuid AS run_id, NULL::uuid AS lease_run_id, NULL::uuid AS lease_token)`;
