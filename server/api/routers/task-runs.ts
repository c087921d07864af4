import { z } from "zod";
import { requireFlowRunInScope } from "../../auth/scope";
import { createTaskRun, getTaskRun, listTaskRuns, taskRunHistory, taskRunNeighbours } from "../../domain/task-runs";
import { createTRPCRouter, isWorkerKey, zId, zName, zTags, viewerProcedure, workerProcedure } from "../trpc";
import { stateHistoryOutput } from "./flow-runs";
import { runFields, zIsoDateInput, zJsonObject } from "./inputs";
import { taskRunStateProcedures } from "./task-run-states";

export const taskRunOutput = z.object({
  id: zId,
  name: z.string(),
  flowRunId: zId,
  taskKey: z.string(),
  dynamicKey: z.string(),
  kind: z.string().nullable(),
  ...runFields,
  cacheKey: z.string().nullable(),
  upstreamTaskRunIds: z.array(zId),
});

const zKey = z.string().trim().min(1, "must not be empty").max(500);

export const taskRunsRouter = createTRPCRouter({
  create: workerProcedure
    .input(
      z.object({
        flowRunId: zId,
        taskKey: zKey,
        name: zName.optional(),
        dynamicKey: zKey.optional(),
        parameters: zJsonObject.optional(),
        tags: zTags.optional(),
        cacheKey: zKey.optional(),
        /** How long this run's result may be reused by later runs with the same cache key. */
        cacheExpiresAt: zIsoDateInput.optional(),
        upstreamTaskRunIds: z.array(zId).max(1000).optional(),
        kind: z.string().trim().min(1).max(100).optional(),
        /**
         * The lease token of the flow run (of a subflow's top-level run), when a worker creates the
         * task: a stale one is CONFLICT, LEASE_LOST; a worker key without one, on a run a worker
         * holds, CONFLICT, LEASE_HELD.
         */
        flowRunLeaseToken: zId.optional(),
        /** Create it RUNNING, for a worker about to run it (an existing task run keeps its state). */
        start: z.boolean().optional(),
      }),
    )
    /** `created`: made by this call (false: an earlier attempt's task run, in whatever state it is). */
    .output(taskRunOutput.extend({ created: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      await requireFlowRunInScope(ctx, input.flowRunId);
      return createTaskRun({ db: ctx.db, workspaceId: ctx.workspaceId, ...input, requireLease: isWorkerKey(ctx), actor: ctx.actor });
    }),

  list: viewerProcedure
    .input(z.object({ flowRunId: zId }))
    .output(z.array(taskRunOutput))
    .query(({ ctx, input }) => listTaskRuns({ db: ctx.db, workspaceId: ctx.workspaceId, flowRunId: input.flowRunId })),

  get: viewerProcedure
    .input(z.object({ id: zId }))
    .output(taskRunOutput)
    .query(({ ctx, input }) => getTaskRun({ db: ctx.db, workspaceId: ctx.workspaceId, id: input.id })),

  /** Its state changes, oldest first. */
  history: viewerProcedure
    .input(z.object({ id: zId }))
    .output(z.array(stateHistoryOutput))
    .query(({ ctx, input }) => taskRunHistory({ db: ctx.db, workspaceId: ctx.workspaceId, id: input.id })),

  /** The task runs whose results it consumed (upstream) and those that consumed its result (downstream). */
  neighbours: viewerProcedure
    .input(z.object({ id: zId }))
    .output(z.object({ upstream: z.array(taskRunOutput), downstream: z.array(taskRunOutput) }))
    .query(({ ctx, input }) => taskRunNeighbours({ db: ctx.db, workspaceId: ctx.workspaceId, id: input.id })),

  ...taskRunStateProcedures,
});
