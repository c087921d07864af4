/**
 * Reporting a task run's state (the SDK does, from inside a flow run), with its result, and
 * finding a cached result by cache key. A worker passes its flow run's lease token (a subflow's
 * task, its top-level run's): a task of a run that was taken from the worker must not keep
 * writing, and while a worker holds the run nobody else reports its tasks (no token: LEASE_HELD).
 * The lease is checked, and the result attached, in the statement that writes the state
 * (setRunStates).
 */
import { z } from "zod";
import { AppError } from "../../errors";
import { requireFlowRunInScope, requireTaskRunInScope } from "../../auth/scope";
import { findCachedResult } from "../../engine/cache";
import { setRunState } from "../../engine/transitions";
import { zId, workerProcedure, workerReadProcedure } from "../trpc";
import { zInlineResult, zStateType } from "./inputs";
import { withInlineResult } from "../../domain/results";

export const taskRunStateProcedures = {
  setState: workerProcedure
    .input(
      z.object({
        id: zId,
        state: z.object({
          type: zStateType,
          name: z.string().trim().min(1).max(100).optional(),
          message: z.string().max(10_000).optional(),
        }),
        /** For a move to SCHEDULED (AwaitingRetry): when the next attempt is due. */
        scheduledTime: z.iso.datetime({ offset: true }).optional(),
        /** The result (results.create) to attach; with a COMPLETED state. */
        resultId: zId.optional(),
        /** Or a small JSON result, stored inline with the change (≤ 1 MiB): one call instead of two. */
        result: zInlineResult.optional(),
        /** The lease token of the task's flow run (a subflow's: its top-level run's); required while a worker holds it. */
        flowRunLeaseToken: zId.optional(),
        expectedVersion: z.number().int().min(0).optional(),
      }),
    )
    .output(z.object({ id: zId, stateType: zStateType, stateName: z.string(), stateVersion: z.number().int(), stateMessage: z.string().nullable(), runCount: z.number().int() }))
    .mutation(async ({ ctx, input }) => {
      await requireTaskRunInScope(ctx, input.id);
      if (input.result && input.resultId) throw AppError.badRequest("result: give result or resultId, not both", "result");
      return withInlineResult(ctx.db, ctx.workspaceId, input.result, (db, inlineId) => setRunState({
        db,
        workspaceId: ctx.workspaceId,
        kind: "task",
        runId: input.id,
        to: input.state,
        actor: ctx.actor,
        expectedVersion: input.expectedVersion,
        scheduledTime: input.scheduledTime ? new Date(input.scheduledTime) : undefined,
        // The flow run's lease, checked against its row in the same statement (a stale one:
        // LEASE_LOST); none, while a worker holds the run, is refused (LEASE_HELD).
        leaseToken: input.flowRunLeaseToken,
        strictLease: true,
        resultId: inlineId ?? input.resultId,
      }));
    }),

  /** The newest completed task run with this cache key and a result still valid, if any. */
  cached: workerReadProcedure
    .input(z.object({ cacheKey: z.string().trim().min(1).max(500), /** The run asking (required of pool-scoped worker keys). */ flowRunId: zId.optional() }))
    .output(z.object({ taskRunId: zId, resultId: zId }).nullable())
    .query(async ({ ctx, input }) => {
      await requireFlowRunInScope(ctx, input.flowRunId);
      const hit = await findCachedResult({ db: ctx.db, workspaceId: ctx.workspaceId, cacheKey: input.cacheKey, withResult: true });
      return hit ? { taskRunId: hit.taskRunId, resultId: hit.resultId! } : null;
    }),
};
