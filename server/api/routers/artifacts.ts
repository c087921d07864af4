import { z } from "zod";
import { requireFlowRunInScope, requireTaskRunInScope } from "../../auth/scope";
import { createArtifact, getArtifact, listArtifacts } from "../../domain/artifacts";
import { createTRPCRouter, isWorkerKey, zDate, zId, viewerProcedure, workerProcedure, workerReadProcedure } from "../trpc";

export const artifactOutput = z.object({
  id: zId,
  flowRunId: zId.nullable(),
  taskRunId: zId.nullable(),
  key: z.string().nullable(),
  type: z.string(),
  description: z.string().nullable(),
  data: z.unknown(),
  createdAt: zDate,
});

/** As Prefect: keys are lowercase letters, digits and dashes, so they read well in URLs. */
const zArtifactKey = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(200)
  .regex(/^[a-z0-9-]+$/, "must be lowercase letters, digits and dashes");

export const artifactsRouter = createTRPCRouter({
  create: workerProcedure
    .input(
      z.object({
        flowRunId: zId.optional(),
        taskRunId: zId.optional(),
        key: zArtifactKey.optional(),
        type: z.string().trim().min(1, "must not be empty").max(100),
        description: z.string().max(10_000).nullish(),
        data: z.unknown().optional(),
        /**
         * The worker's lease on the run (a subflow's: its top-level run's): stored only under it
         * (stale: CONFLICT, LEASE_LOST); a worker key must send it while a worker holds the run
         * (else CONFLICT, LEASE_HELD).
         */
        leaseToken: zId.optional(),
      }),
    )
    .output(artifactOutput)
    .mutation(async ({ ctx, input }) => {
      if (ctx.access.workPoolIds) {
        if (input.taskRunId) await requireTaskRunInScope(ctx, input.taskRunId);
        if (input.flowRunId || !input.taskRunId) await requireFlowRunInScope(ctx, input.flowRunId);
      }
      const { leaseToken, ...artifact } = input;
      return createArtifact({ db: ctx.db, workspaceId: ctx.workspaceId, ...artifact, lease: { token: leaseToken ?? null, strict: isWorkerKey(ctx) } });
    }),

  /** Members see every run's; a worker key sees those of runs in its pools (a retried training run finds its checkpoints). */
  list: workerReadProcedure
    .input(
      z
        .object({
          flowRunId: zId.optional(),
          key: zArtifactKey.optional(),
          limit: z.number().int("must be a whole number").min(1).max(1000).optional(),
        })
        .optional(),
    )
    .output(z.array(artifactOutput))
    .query(async ({ ctx, input }) => {
      if (ctx.access.workPoolIds) await requireFlowRunInScope(ctx, input?.flowRunId);
      return listArtifacts({ db: ctx.db, workspaceId: ctx.workspaceId, ...input });
    }),

  get: viewerProcedure
    .input(z.object({ id: zId }))
    .output(artifactOutput)
    .query(({ ctx, input }) => getArtifact({ db: ctx.db, workspaceId: ctx.workspaceId, id: input.id })),
});
