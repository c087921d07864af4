/**
 * Reporting a flow run's state (workers and API clients), and asking why a run has not started.
 * Failures go through the retry policy; a worker's report must carry its lease token.
 */
import { z } from "zod";
import { explainFlowRun } from "../../engine/diagnose";
import { requireFlowRunInScope } from "../../auth/scope";
import { reportFlowRunState } from "../../domain/run-reports";
import { viewerProcedure, workerProcedure, zId } from "../trpc";
import { zInlineResult, zStateType } from "./inputs";

export const flowRunStateProcedures = {
  setState: workerProcedure
    .input(
      z.object({
        id: zId,
        state: z.object({
          type: zStateType,
          name: z.string().trim().min(1).max(100).optional(),
          message: z.string().max(10_000).optional(),
        }),
        /** The lease token from the claim; required of workers, optional for other clients. */
        leaseToken: zId.optional(),
        /** Apply only if the run is still at this version (optimistic concurrency). */
        expectedVersion: z.number().int().min(0).optional(),
        /** The result (results.create) to attach, with a COMPLETED state. */
        resultId: zId.optional(),
        /** Or a small JSON result, stored inline with the change (≤ 1 MiB): one call instead of two. */
        result: zInlineResult.optional(),
      }),
    )
    .output(z.object({ id: zId, stateType: zStateType, stateName: z.string(), stateVersion: z.number().int(), stateMessage: z.string().nullable() }))
    .mutation(async ({ ctx, input }) => {
      await requireFlowRunInScope(ctx, input.id, "id");
      return reportFlowRunState({ db: ctx.db, workspaceId: ctx.workspaceId, runId: input.id, actor: ctx.actor, ...input });
    }),

  explain: viewerProcedure
    .input(z.object({ id: zId }))
    .output(z.object({ stateType: zStateType, stateName: z.string(), waiting: z.boolean(), reason: z.string().nullable() }))
    .query(({ ctx, input }) => explainFlowRun({ db: ctx.db, workspaceId: ctx.workspaceId, id: input.id, workerTimeoutMs: ctx.engine.settings.workerTimeoutMs })),
};
