/**
 * Reporting a flow run's state (workers and API clients), and asking why a run has not started.
 * Failures go through the retry policy; a worker's report must carry its lease token.
 */
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { flowRuns } from "../../../drizzle/schema";
import { explainWaitingRun } from "../../engine/diagnose";
import { failFlowRun } from "../../engine/retries";
import { setRunState } from "../../engine/transitions";
import { AppError } from "../../errors";
import { requireFlowRunInScope } from "../../auth/scope";
import { viewerProcedure, workerProcedure, zId } from "../trpc";
import { zInlineResult, zStateType } from "./inputs";
import { withInlineResult } from "../../domain/results";

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
      if (input.result && input.resultId) throw AppError.badRequest("result: give result or resultId, not both", "result");
      // strictLease: a run a worker holds changes only through that worker's reports, with its
      // lease token (members cancel it instead), so nobody can forge its outcome.
      const common = { db: ctx.db, workspaceId: ctx.workspaceId, runId: input.id, actor: ctx.actor, leaseToken: input.leaseToken, expectedVersion: input.expectedVersion, strictLease: true };
      const { type, name, message } = input.state;
      if (type === "FAILED" || type === "CRASHED") {
        return failFlowRun({ ...common, type, name, message: message ?? (type === "FAILED" ? "failed" : "crashed") });
      }
      // The state and the result commit together: a result missing from the workspace leaves the
      // run as it was (NOT_FOUND on resultId), never COMPLETED without its result.
      return withInlineResult(ctx.db, ctx.workspaceId, input.result, (db, inlineId) =>
        setRunState({ ...common, db, kind: "flow", to: { type, name, message }, resultId: inlineId ?? input.resultId }),
      );
    }),

  explain: viewerProcedure
    .input(z.object({ id: zId }))
    .output(z.object({ stateType: zStateType, stateName: z.string(), waiting: z.boolean(), reason: z.string().nullable() }))
    .query(async ({ ctx, input }) => {
      const [run] = await ctx.db.select().from(flowRuns).where(and(eq(flowRuns.id, input.id), eq(flowRuns.workspaceId, ctx.workspaceId)));
      if (!run) throw AppError.notFound("Flow run", input.id, "id");
      const waiting = run.stateType === "SCHEDULED";
      const reason = !waiting
        ? null
        : run.scheduledTime > new Date()
          ? `it is scheduled for ${run.scheduledTime.toISOString()}`
          : await explainWaitingRun({ db: ctx.db, run, workerTimeoutMs: ctx.engine.settings.workerTimeoutMs });
      return { stateType: run.stateType, stateName: run.stateName, waiting, reason };
    }),
};
