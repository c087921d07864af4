/**
 * Run logs: written in batches by workers, read oldest first with keyset pagination on
 * (timestamp, id), which the logs_flow_run_idx index serves.
 */
import { and, asc, eq, gt, gte, inArray, sql } from "drizzle-orm";
import { flowRuns, logs, taskRuns } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
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
   * A worker's lease on the flow run. Lines carrying a token the run no longer holds are not
   * stored, and the reply names their runs, so a worker that lost a run learns to stop it.
   */
  leaseToken?: string | null;
}

/**
 * Writes a batch; every run it names must be in the workspace. A task run's log is filed under
 * its flow run too. One batch may mix runs: a stale lease drops only that run's lines.
 */
export async function createLogs(opts: {
  db: DbOrTx;
  workspaceId: string;
  logs: LogInput[];
}): Promise<{ count: number; leaseLost: string[] }> {
  if (opts.logs.length === 0) return { count: 0, leaseLost: [] };
  if (opts.logs.length > MAX_LOG_BATCH) {
    throw AppError.badRequest(`logs: at most ${MAX_LOG_BATCH} logs at once`, "logs");
  }
  const taskIds = [...new Set(opts.logs.flatMap((l) => (l.taskRunId ? [l.taskRunId] : [])))];
  const tasks = taskIds.length
    ? await opts.db
        .select({ id: taskRuns.id, flowRunId: taskRuns.flowRunId })
        .from(taskRuns)
        .where(and(inArray(taskRuns.id, taskIds), eq(taskRuns.workspaceId, opts.workspaceId)))
    : [];
  const flowOfTask = new Map(tasks.map((t) => [t.id, t.flowRunId]));
  const flowIds = [...new Set(opts.logs.flatMap((l) => (l.flowRunId ? [l.flowRunId] : [])))];
  const flows = flowIds.length || flowOfTask.size
    ? await opts.db
        .select({ id: flowRuns.id, leaseToken: flowRuns.leaseToken })
        .from(flowRuns)
        .where(and(inArray(flowRuns.id, [...new Set([...flowIds, ...flowOfTask.values()])]), eq(flowRuns.workspaceId, opts.workspaceId)))
    : [];
  const knownFlows = new Set(flows.filter((f) => flowIds.includes(f.id)).map((f) => f.id));
  const leaseOf = new Map(flows.map((f) => [f.id, f.leaseToken]));
  const leaseLost = new Set<string>();
  const values = opts.logs.flatMap((l, i) => {
    let flowRunId = l.flowRunId ?? null;
    if (flowRunId && !knownFlows.has(flowRunId)) {
      throw new AppError("NOT_FOUND", `Flow run ${flowRunId} was not found`, { field: `logs.${i}.flowRunId` });
    }
    if (l.taskRunId) {
      const owner = flowOfTask.get(l.taskRunId);
      if (!owner) throw new AppError("NOT_FOUND", `Task run ${l.taskRunId} was not found`, { field: `logs.${i}.taskRunId` });
      if (flowRunId && flowRunId !== owner) {
        throw AppError.badRequest(`logs.${i}.taskRunId: task run ${l.taskRunId} belongs to another flow run`, `logs.${i}.taskRunId`);
      }
      flowRunId = owner;
    }
    if (l.leaseToken && flowRunId && leaseOf.get(flowRunId) !== l.leaseToken) {
      leaseLost.add(flowRunId);
      return [];
    }
    return [
      {
        workspaceId: opts.workspaceId,
        flowRunId,
        taskRunId: l.taskRunId ?? null,
        level: l.level,
        message: l.message,
        timestamp: l.timestamp ?? new Date(),
      },
    ];
  });
  if (values.length) await opts.db.insert(logs).values(values);
  return { count: values.length, leaseLost: [...leaseLost] };
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
