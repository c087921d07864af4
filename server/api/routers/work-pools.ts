import { z } from "zod";
import { workPoolType } from "../../../drizzle/schema";
import {
  createWorkPool,
  deleteWorkPool,
  getWorkPool,
  listWorkPools,
  updateWorkPool,
} from "../../domain/work-pools";
import { createTRPCRouter, workspaceProcedure, zDate, zId, zName } from "../trpc";

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
  create: workspaceProcedure
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
    .mutation(({ ctx, input }) => createWorkPool({ db: ctx.db, workspaceId: ctx.workspaceId, ...input })),

  list: workspaceProcedure
    .output(z.array(workPoolOutput))
    .query(({ ctx }) => listWorkPools({ db: ctx.db, workspaceId: ctx.workspaceId })),

  get: workspaceProcedure
    .input(poolRef)
    .output(workPoolOutput)
    .query(({ ctx, input }) => getWorkPool({ db: ctx.db, workspaceId: ctx.workspaceId, ref: input.workPool })),

  update: workspaceProcedure
    .input(
      poolRef.extend({
        description: z.string().max(2000).nullish(),
        concurrencyLimit: concurrencyLimit.optional(),
        paused: z.boolean().optional(),
        baseJobTemplate: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .output(workPoolOutput)
    .mutation(({ ctx, input: { workPool, ...patch } }) =>
      updateWorkPool({ db: ctx.db, workspaceId: ctx.workspaceId, ref: workPool, patch }),
    ),

  delete: workspaceProcedure
    .input(poolRef)
    .output(z.object({ deleted: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await deleteWorkPool({ db: ctx.db, workspaceId: ctx.workspaceId, ref: input.workPool });
      return { deleted: true as const };
    }),
});
