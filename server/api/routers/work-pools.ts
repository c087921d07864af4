import { z } from "zod";
import { workPoolType } from "../../../drizzle/schema";
import {
  createWorkPool,
  deleteWorkPool,
  getWorkPool,
  listWorkPools,
  updateWorkPool,
} from "../../domain/work-pools";
import { createTRPCRouter, zDate, zId, zName, viewerProcedure, editorProcedure, requireExecutionPrivilege, requirePoolInScope, workerReadProcedure } from "../trpc";

export const workPoolTypeSchema = z.enum(workPoolType.enumValues, {
  error: `must be one of ${workPoolType.enumValues.join(", ")}`,
});
const concurrencyLimit = z.number().int("must be a whole number").min(0, "must be 0 or more").nullable();

export const workPoolOutput = z.object({
  id: zId,
  name: z.string(),
  type: workPoolTypeSchema,
  description: z.string().nullable(),
  paused: z.boolean(),
  concurrencyLimit: z.number().nullable(),
  baseJobTemplate: z.record(z.string(), z.unknown()),
  createdAt: zDate,
  updatedAt: zDate,
});

/** A pool by id or by name. */
const poolRef = z.object({ workPool: z.string().trim().min(1, "must name a work pool") });

export const workPoolsRouter = createTRPCRouter({
  create: editorProcedure
    .input(
      z.object({
        name: zName,
        type: workPoolTypeSchema,
        description: z.string().max(2000).nullish(),
        concurrencyLimit: concurrencyLimit.optional(),
        paused: z.boolean().optional(),
        baseJobTemplate: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .output(workPoolOutput)
    .mutation(({ ctx, input }) => {
      if (input.baseJobTemplate && Object.keys(input.baseJobTemplate).length) requireExecutionPrivilege(ctx, "baseJobTemplate");
      return createWorkPool({ db: ctx.db, workspaceId: ctx.workspaceId, ...input });
    }),

  list: viewerProcedure
    .output(z.array(workPoolOutput))
    .query(({ ctx }) => listWorkPools({ db: ctx.db, workspaceId: ctx.workspaceId })),

  get: workerReadProcedure
    .input(poolRef)
    .output(workPoolOutput)
    .query(async ({ ctx, input }) => {
      const pool = await getWorkPool({ db: ctx.db, workspaceId: ctx.workspaceId, ref: input.workPool });
      requirePoolInScope(ctx, pool.id);
      return pool;
    }),

  update: editorProcedure
    .input(
      poolRef.extend({
        description: z.string().max(2000).nullish(),
        concurrencyLimit: concurrencyLimit.optional(),
        paused: z.boolean().optional(),
        baseJobTemplate: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .output(workPoolOutput)
    .mutation(({ ctx, input: { workPool, ...patch } }) => {
      if (patch.baseJobTemplate !== undefined) requireExecutionPrivilege(ctx, "baseJobTemplate");
      return updateWorkPool({ db: ctx.db, workspaceId: ctx.workspaceId, ref: workPool, patch });
    }),

  delete: editorProcedure
    .input(poolRef)
    .output(z.object({ deleted: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await deleteWorkPool({ db: ctx.db, workspaceId: ctx.workspaceId, ref: input.workPool });
      return { deleted: true as const };
    }),
});
