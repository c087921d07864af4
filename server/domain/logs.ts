/**
 * Run logs: written in batches by workers, read oldest first with keyset pagination on
 * (timestamp, id), which the logs_flow_run_idx index serves.
 */
import { and, asc, eq, gt, gte, sql } from "drizzle-orm";
import { flowRuns, logs, taskRuns } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { leaseAllows, leaseOfRuns } from "../engine/leases";
import { rowsOf } from "../engine/rows";
import { AppError } from "../errors";
import { decodeCursor, encodeCursor, preciseTimestamp, timeCursorSchema } from "./refs";

export type LogRow = typeof logs.$inferSelect;
export const MAX_LOG_BATCH = 1000;

export interface LogInput {
  flowRunId?: string | null;
  taskRunId?: string | null;
  level: number;
  message: string;
  timestamp?: Date;
  /**
   * A worker's lease on the flow run (a subflow's line: on its top-level run). Lines carrying a
   * token the run no longer holds are not stored, and the reply names their runs, so a worker
   * that lost a run learns to stop it.
   */
  leaseToken?: string | null;
}

/**
 * Writes a batch; every run it names must be in the workspace. A task run's log is filed under
 * its flow run too. One batch may mix runs: a stale lease drops only that run's lines.
 *
 * One statement resolves each line's run, checks its lease against the governing run's row
 * (share-locked, see server/engine/leases.ts) and inserts the lines that pass: a reclaim between
 * a check and the insert cannot let a stale worker's lines in. A line naming a missing run
 * refuses the whole batch, with nothing stored.
 */
export async function createLogs(opts: {
  db: DbOrTx;
  workspaceId: string;
  logs: LogInput[];
  /** Lines without a token about a run a worker holds are dropped too (a worker key's batch). */
  requireLease?: boolean;
}): Promise<{ count: number; leaseLost: string[]; leaseHeld?: string[] }> {
  if (opts.logs.length === 0) return { count: 0, leaseLost: [] };
  if (opts.logs.length > MAX_LOG_BATCH) {
    throw AppError.badRequest(`logs: at most ${MAX_LOG_BATCH} logs at once`, "logs");
  }
  const now = new Date().toISOString();
  const lines = opts.logs.map((l, ord) => ({
    ord,
    flow_run_id: l.flowRunId ?? null,
    task_run_id: l.taskRunId ?? null,
    level: l.level,
    message: l.message,
    ts: (l.timestamp ?? null)?.toISOString() ?? now,
    token: l.leaseToken ?? null,
  }));
  const strict = opts.requireLease === true;
  const lock = strict || lines.some((l) => l.token) ? sql`FOR SHARE OF l` : sql``;
  const result = await opts.db.execute(sql`
    WITH RECURSIVE lines AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(lines)}::jsonb) AS x(
        ord int, flow_run_id uuid, task_run_id uuid, level int, message text, ts timestamptz, token uuid)
    ),
    tasks AS (
      SELECT t.id, t.flow_run_id FROM ${taskRuns} t
      WHERE t.id IN (SELECT task_run_id FROM lines) AND t.workspace_id = ${opts.workspaceId}::uuid
    ),
    ${leaseOfRuns(sql`SELECT flow_run_id FROM lines UNION SELECT flow_run_id FROM tasks`, opts.workspaceId)},
    leases AS (
      SELECT lo.run_id, l.id AS lease_run_id, l.lease_token
      FROM lease_of lo JOIN ${flowRuns} l ON l.id = lo.lease_run_id
      ${lock}
    ),
    resolved AS (
      SELECT x.*, coalesce(t.flow_run_id, x.flow_run_id) AS run_id,
        (x.task_run_id IS NOT NULL AND t.id IS NULL) AS task_missing,
        (x.flow_run_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM lease_of lo WHERE lo.run_id = x.flow_run_id)) AS flow_missing,
        (t.id IS NOT NULL AND x.flow_run_id IS NOT NULL AND x.flow_run_id <> t.flow_run_id) AS task_elsewhere,
        le.lease_run_id, le.lease_token,
        (le.run_id IS NULL OR ${leaseAllows({ token: sql`x.token`, strict }, sql`le.lease_token`)}) AS allowed
      FROM lines x
      LEFT JOIN tasks t ON t.id = x.task_run_id
      LEFT JOIN leases le ON le.run_id = coalesce(t.flow_run_id, x.flow_run_id)
    ),
    ins AS (
      INSERT INTO ${logs} (workspace_id, flow_run_id, task_run_id, level, message, timestamp)
      SELECT ${opts.workspaceId}::uuid, r.run_id, r.task_run_id, r.level, r.message, r.ts
      FROM resolved r
      WHERE r.allowed
        AND NOT EXISTS (SELECT 1 FROM resolved b WHERE b.task_missing OR b.flow_missing OR b.task_elsewhere)
      ORDER BY r.ord
      RETURNING 1
    )
    SELECT r.ord, r.flow_run_id, r.task_run_id, r.run_id, r.lease_run_id, r.token, r.task_missing, r.flow_missing, r.task_elsewhere, r.allowed,
      (SELECT count(*) FROM ins)::int AS inserted
    FROM resolved r ORDER BY r.ord`);
  const rows = rowsOf(result) as {
    ord: number;
    flow_run_id: string | null;
    task_run_id: string | null;
    run_id: string | null;
    lease_run_id: string | null;
    token: string | null;
    task_missing: boolean;
    flow_missing: boolean;
    task_elsewhere: boolean;
    allowed: boolean;
    inserted: number;
  }[];
  for (const r of rows) {
    const i = r.ord;
    if (r.flow_missing) throw new AppError("NOT_FOUND", `Flow run ${r.flow_run_id} was not found`, { field: `logs.${i}.flowRunId` });
    if (r.task_missing) throw new AppError("NOT_FOUND", `Task run ${r.task_run_id} was not found`, { field: `logs.${i}.taskRunId` });
    if (r.task_elsewhere) {
      throw AppError.badRequest(`logs.${i}.taskRunId: task run ${r.task_run_id} belongs to another flow run`, `logs.${i}.taskRunId`);
    }
  }
  // A stale token names the run the worker holds (a subflow's line: its top-level run), which
  // the worker stops; a line without one, about a held run, is dropped and named apart.
  const refused = rows.filter((r) => !r.allowed);
  const leaseLost = [...new Set(refused.filter((r) => r.token).map((r) => r.lease_run_id!))];
  const leaseHeld = [...new Set(refused.filter((r) => !r.token).map((r) => r.run_id!))];
  return { count: rows[0]?.inserted ?? 0, leaseLost, ...(leaseHeld.length ? { leaseHeld } : {}) };
}

export async function listLogs(opts: {
  db: DbOrTx;
  workspaceId: string;
  flowRunId?: string;
  taskRunId?: string;
  minLevel?: number;
  limit?: number;
  cursor?: string | null;
  /**
   * Follow mode, for a page that tails a run: only lines stored after the line with this id, in
   * the order they were stored (a worker's batch can carry lines older than ones already shown).
   */
  afterId?: number;
}): Promise<{ items: LogRow[]; nextCursor: string | null; lastId: number | null }> {
  const limit = opts.limit ?? 200;
  const after = opts.cursor ? decodeCursor(opts.cursor, timeCursorSchema) : undefined;
  if (after && typeof after.i !== "number") throw AppError.badRequest("cursor: is not a cursor this list handed out", "cursor");
  const rows = await opts.db
    .select({ log: logs, cursorTime: preciseTimestamp(logs.timestamp) })
    .from(logs)
    .where(
      and(
        eq(logs.workspaceId, opts.workspaceId),
        opts.flowRunId ? eq(logs.flowRunId, opts.flowRunId) : undefined,
        opts.taskRunId ? eq(logs.taskRunId, opts.taskRunId) : undefined,
        opts.minLevel !== undefined ? gte(logs.level, opts.minLevel) : undefined,
        after ? sql`(${logs.timestamp}, ${logs.id}) > (${after.t}::timestamptz, ${after.i}::bigint)` : undefined,
        opts.afterId !== undefined ? gt(logs.id, opts.afterId) : undefined,
      ),
    )
    .orderBy(...(opts.afterId !== undefined ? [asc(logs.id)] : [asc(logs.timestamp), asc(logs.id)]))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last ? encodeCursor({ t: last.cursorTime, i: last.log.id }) : null;
  const lastId = page.reduce<number | null>((max, r) => (max === null || r.log.id > max ? r.log.id : max), null);
  return { items: page.map((r) => r.log), nextCursor, lastId };
}
