import { z } from "zod";
import { zRunPolicy } from "../../domain/deployment-policy";
import { cancelFlowRun, createFlowRun, flowRunHistory, getFlowRun } from "../../domain/flow-runs";
import { listFlowRuns } from "../../domain/flow-run-list";
import { findFlow, findOrCreateFlow } from "../../domain/flows";
import { requireFlowRunInScope } from "../../auth/scope";
import { AppError } from "../../errors";
import { resolvePlacement } from "../../domain/work-queues";
import { createTRPCRouter, zDate, zId, zName, zTags, viewerProcedure, editorProcedure, isWorkerKey, workerProcedure, workerReadProcedure } from "../trpc";
import { flowRunStateProcedures } from "./flow-run-states";
import { runFields, zCursor, zIsoDateInput, zJsonObject, zPriority, zRef, zStateType } from "./inputs";

export const flowRunOutput = z.object({
  id: zId,
  name: z.string(),
  flowId: zId,
  flowName: z.string(),
  deploymentId: zId.nullable(),
  deploymentName: z.string().nullable(),
  workPoolId: zId.nullable(),
  workPoolName: z.string().nullable(),
  workQueueId: zId.nullable(),
  workQueueName: z.string().nullable(),
  parentFlowRunId: zId.nullable(),
  /** The delivered code it runs, `sha256:<hex>` (its deployment's when it was made); null: the worker's checkout. */
  codeVersion: z.string().nullable(),
  ...runFields,
  idempotencyKey: z.string().nullable(),
});

/** One state change of a flow run or task run. */
export const stateHistoryOutput = z.object({
  id: z.number().int(),
  fromType: zStateType.nullable(),
  fromName: z.string().nullable(),
  toType: zStateType,
  toName: z.string(),
  message: z.string().nullable(),
  actor: z.string(),
  createdAt: zDate,
});

/** Retries (delay × backoff^(attempt−1) ± jitter), a timeout, and what a worker must offer: a deployment's policy fields, with its bounds. */
const runPolicyInput = zRunPolicy.shape;

export const zIdempotencyKey = z.string().trim().min(1, "must not be empty").max(500);
const byId = z.object({ id: zId });

/** Name search: blank means none; long enough for any name a person types, short enough to stay cheap. */
const zRunSearch = z
  .string()
  .trim()
  .max(200, "must be at most 200 characters")
  .transform((s) => s || undefined);

export const flowRunsRouter = createTRPCRouter({
  create: workerProcedure
    .input(
      z.object({
        flow: zRef("flow"),
        /** Register the flow by this name if it is new (what the SDK does for subflows, as Prefect). */
        createFlow: z.boolean().optional(),
        parameters: zJsonObject.optional(),
        workPool: zRef("work pool").optional(),
        workQueue: zRef("work queue").optional(),
        tags: zTags.optional(),
        priority: zPriority.optional(),
        scheduledTime: zIsoDateInput.optional(),
        idempotencyKey: zIdempotencyKey.optional(),
        name: zName.optional(),
        parentFlowRunId: zId.optional(),
        /**
         * For a subflow made by a worker: the lease token of the parent (of its top-level run),
         * checked in the insert (stale: CONFLICT, LEASE_LOST); a worker key must send it while a
         * worker holds the parent (else CONFLICT, LEASE_HELD).
         */
        parentLeaseToken: zId.optional(),
        ...runPolicyInput,
      }),
    )
    .output(flowRunOutput)
    .mutation(async ({ ctx, input: { flow: flowRef, createFlow, workPool, workQueue, maxRetries, retryDelaySeconds, retryBackoff, retryJitter, timeoutSeconds, requirements, ...rest } }) => {
      // A worker key makes only subflows of runs it works on, never runs of its own choosing.
      if (isWorkerKey(ctx)) {
        if (!rest.parentFlowRunId || workPool || workQueue) {
          throw new AppError("FORBIDDEN", "a worker key may only create subflows (parentFlowRunId) of a run it works on", { reason: "FORBIDDEN" });
        }
        await requireFlowRunInScope(ctx, rest.parentFlowRunId, "parentFlowRunId");
      }
      const flow = createFlow
        ? await findOrCreateFlow({ db: ctx.db, workspaceId: ctx.workspaceId, ref: flowRef })
        : await findFlow({ db: ctx.db, workspaceId: ctx.workspaceId, ref: flowRef });
      const placement = await resolvePlacement({ db: ctx.db, workspaceId: ctx.workspaceId, workPool, workQueue });
      return createFlowRun({
        db: ctx.db,
        workspaceId: ctx.workspaceId,
        flowId: flow.id,
        ...placement,
        ...rest,
        policy: { maxRetries, retryDelaySeconds, retryBackoff, retryJitter, timeoutSeconds, requirements },
        requireLease: isWorkerKey(ctx),
        actor: ctx.actor,
      });
    }),

  list: viewerProcedure
    .input(
      z
        .object({
          states: z.array(zStateType).max(9).optional(),
          flow: zRef("flow").optional(),
          deployment: zRef("deployment").optional(),
          workPool: zRef("work pool").optional(),
          tags: zTags.optional(),
          parentFlowRunId: zId.optional(),
          /** Created at or after this time (inclusive). */
          createdAfter: zIsoDateInput.optional(),
          /** Created before this time (exclusive). */
          createdBefore: zIsoDateInput.optional(),
          /** A part of the name, case-insensitive, matched literally (% and _ are plain characters). */
          search: zRunSearch.optional(),
          limit: z.number().int("must be a whole number").min(1).max(500).optional(),
          cursor: zCursor,
        })
        .refine((f) => !f.createdAfter || !f.createdBefore || f.createdAfter < f.createdBefore, {
          path: ["createdBefore"],
          error: "must be later than createdAfter",
        })
        .optional(),
    )
    .output(z.object({ items: z.array(flowRunOutput), nextCursor: z.string().nullable() }))
    .query(({ ctx, input }) => listFlowRuns({ db: ctx.db, workspaceId: ctx.workspaceId, ...input })),

  get: workerReadProcedure
    .input(byId)
    .output(flowRunOutput)
    .query(async ({ ctx, input }) => {
      await requireFlowRunInScope(ctx, input.id, "id");
      return getFlowRun({ db: ctx.db, workspaceId: ctx.workspaceId, id: input.id });
    }),

  history: viewerProcedure
    .input(byId)
    .output(z.array(stateHistoryOutput))
    .query(({ ctx, input }) => flowRunHistory({ db: ctx.db, workspaceId: ctx.workspaceId, id: input.id })),

  ...flowRunStateProcedures,

  cancel: editorProcedure
    .input(byId.extend({ message: z.string().max(2000).optional() }))
    .output(flowRunOutput)
    .mutation(({ ctx, input }) =>
      cancelFlowRun({ db: ctx.db, workspaceId: ctx.workspaceId, id: input.id, message: input.message, actor: ctx.actor }),
    ),
});
