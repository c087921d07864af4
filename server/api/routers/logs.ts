import { z } from "zod";
import { requireFlowRunInScope, requireTaskRunInScope } from "../../auth/scope";
import { createLogs, listLogs, MAX_LOG_BATCH } from "../../domain/logs";
import { createTRPCRouter, isWorkerKey, zDate, zId, viewerProcedure, workerProcedure } from "../trpc";
import { zCursor, zIsoDateInput } from "./inputs";

/** Python logging levels, as Prefect uses: 10 debug, 20 info, 30 warning, 40 error, 50 critical. */
const zLevel = z.number().int("must be a whole number").min(0, "must be 0 or more").max(100, "must be at most 100");

export const logOutput = z.object({
  id: z.number().int(),
  flowRunId: zId.nullable(),
  taskRunId: zId.nullable(),
  level: z.number().int(),
  message: z.string(),
  timestamp: zDate,
  createdAt: zDate,
});

export const logsRouter = createTRPCRouter({
  create: workerProcedure
    .input(
      z.object({
        logs: z
          .array(
            z.object({
              flowRunId: zId.nullish(),
              taskRunId: zId.nullish(),
              level: zLevel,
              message: z.string().max(100_000, "must be at most 100000 characters"),
              timestamp: zIsoDateInput.optional(),
              /**
               * A worker's lease on the flow run (a subflow's: its top-level run's): lines with a stale
               * one are dropped and that run named in `leaseLost`; a worker key's lines without one,
               * about a run a worker holds, are dropped and their run named in `leaseHeld`.
               */
              leaseToken: zId.optional(),
            }),
          )
          .max(MAX_LOG_BATCH, `at most ${MAX_LOG_BATCH} logs at once`),
      }),
    )
    .output(z.object({ count: z.number().int(), leaseLost: z.array(zId), leaseHeld: z.array(zId).optional() }))
    .mutation(async ({ ctx, input }) => {
      if (ctx.access.workPoolIds) {
        for (const runId of new Set(input.logs.map((l) => l.flowRunId))) await requireFlowRunInScope(ctx, runId);
        for (const taskId of new Set(input.logs.flatMap((l) => (l.taskRunId ? [l.taskRunId] : [])))) await requireTaskRunInScope(ctx, taskId);
      }
      return createLogs({ db: ctx.db, workspaceId: ctx.workspaceId, logs: input.logs, requireLease: isWorkerKey(ctx) });
    }),

  list: viewerProcedure
    .input(
      z
        .object({
          flowRunId: zId.optional(),
          taskRunId: zId.optional(),
          minLevel: zLevel.optional(),
          limit: z.number().int("must be a whole number").min(1).max(1000).optional(),
          cursor: zCursor,
          /** Follow mode: lines stored after this one, in storage order (pass the last reply's `lastId`). */
          afterId: z.number().int().min(0).optional(),
        })
        .refine((v) => !(v.cursor && v.afterId !== undefined), { message: "use either cursor or afterId, not both", path: ["afterId"] })
        .optional(),
    )
    .output(z.object({ items: z.array(logOutput), nextCursor: z.string().nullable(), lastId: z.number().int().nullable() }))
    .query(({ ctx, input }) => listLogs({ db: ctx.db, workspaceId: ctx.workspaceId, ...input })),
});
