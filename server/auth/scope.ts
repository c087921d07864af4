/**
 * Pool scope of worker keys: a key made for some pools may touch only runs (and their tasks,
 * logs, results and artifacts) of those pools. Members and unscoped keys skip every check here at
 * the cost of one `if`, so the worker protocol's hot path stays as it was for them.
 */
import { and, eq, sql } from "drizzle-orm";
import { rowsOf } from "../engine/rows";
import { flowRuns, results, taskRuns } from "../../drizzle/schema";
import { requirePoolInScope, type WorkspaceContext } from "../api/trpc";

/** What the checks read of a procedure's context (the upload route has the same, outside tRPC). */
export type ScopeContext = Pick<WorkspaceContext, "db" | "access" | "workspaceId">;
import { AppError } from "../errors";

function scoped(ctx: ScopeContext): boolean {
  return ctx.access.workPoolIds !== null;
}

export async function requireFlowRunInScope(ctx: ScopeContext, flowRunId: string | null | undefined, field = "flowRunId"): Promise<void> {
  if (!scoped(ctx)) return;
  if (!flowRunId) throw new AppError("FORBIDDEN", `${field}: a worker key must name the run it works on`, { field, reason: "FORBIDDEN" });
  // A subflow has no pool of its own: it is in scope when the run it was made under is.
  const rows = rowsOf(
    await ctx.db.execute(sql`
      WITH RECURSIVE up AS (
        SELECT id, parent_flow_run_id, work_pool_id, 0 AS depth FROM ${flowRuns}
        WHERE id = ${flowRunId}::uuid AND workspace_id = ${ctx.workspaceId}::uuid
        UNION ALL
        SELECT r.id, r.parent_flow_run_id, r.work_pool_id, up.depth + 1 FROM ${flowRuns} r
        JOIN up ON r.id = up.parent_flow_run_id
        WHERE up.work_pool_id IS NULL AND up.depth < 50
      )
      SELECT work_pool_id FROM up WHERE work_pool_id IS NOT NULL LIMIT 1`),
  );
  requirePoolInScope(ctx, rows[0]?.work_pool_id as string | undefined);
}

export async function requireTaskRunInScope(ctx: ScopeContext, taskRunId: string): Promise<void> {
  if (!scoped(ctx)) return;
  const [row] = await ctx.db
    .select({ flowRunId: taskRuns.flowRunId })
    .from(taskRuns)
    .where(and(eq(taskRuns.id, taskRunId), eq(taskRuns.workspaceId, ctx.workspaceId)));
  await requireFlowRunInScope(ctx, row?.flowRunId, "id");
}

/**
 * A result a scoped key reads must be the result of a run (or a task of a run) in its pools, or
 * have been written for such a run under its lease (a process job's output files and
 * checkpoints: results.flow_run_id).
 */
export async function requireResultInScope(ctx: ScopeContext, resultId: string): Promise<void> {
  if (!scoped(ctx)) return;
  const [written] = await ctx.db
    .select({ flowRunId: results.flowRunId })
    .from(results)
    .where(and(eq(results.workspaceId, ctx.workspaceId), eq(results.id, resultId)));
  if (written?.flowRunId) return requireFlowRunInScope(ctx, written.flowRunId, "id");
  const [ofFlow] = await ctx.db
    .select({ id: flowRuns.id })
    .from(flowRuns)
    .where(and(eq(flowRuns.workspaceId, ctx.workspaceId), eq(flowRuns.resultId, resultId)))
    .limit(1);
  const [ofTask] = ofFlow
    ? [undefined]
    : await ctx.db
        .select({ id: taskRuns.flowRunId })
        .from(taskRuns)
        .where(and(eq(taskRuns.workspaceId, ctx.workspaceId), eq(taskRuns.resultId, resultId)))
        .limit(1);
  await requireFlowRunInScope(ctx, (ofFlow ?? ofTask)?.id, "id");
}
