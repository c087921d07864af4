import { z } from "zod";
import {
  createWorkQueue,
  deleteWorkQueue,
  getWorkQueue,
  listWorkQueues,
  updateWorkQueue,
} from "../../domain/work-queues";
import { createTRPCRouter, zDate, zId, zName, viewerProcedure, editorProcedure } from "../trpc";
import { deletedOutput, zRef } from "./inputs";

export const workQueueOutput = z.object({
  id: zId,
  workPoolId: zId,
  workPoolName: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  priority: z.number().int(),
  concurrencyLimit: z.number().int().nullable(),
  paused: z.boolean(),
  createdAt: zDate,
  updatedAt: zDate,
});

const concurrencyLimit = z.number().int("must be a whole number").min(0, "must be 0 or more").nullable();
const priority = z.number().int("must be a whole number").min(0, "must be 0 or more").max(1_000_000);
const poolRef = z.object({ workPool: zRef("work pool") });
const queueRef = poolRef.extend({ workQueue: zRef("work queue") });
const editable = {
  priority: priority.optional(),
  concurrencyLimit: concurrencyLimit.optional(),
  paused: z.boolean().optional(),
  description: z.string().max(2000).nullish(),
};

export const workQueuesRouter = createTRPCRouter({
  create: editorProcedure
    .input(poolRef.extend({ name: zName, ...editable }))
    .output(workQueueOutput)
    .mutation(({ ctx, input }) => createWorkQueue({ db: ctx.db, workspaceId: ctx.workspaceId, ...input })),

  list: viewerProcedure
    .input(poolRef)
    .output(z.array(workQueueOutput))
    .query(({ ctx, input }) => listWorkQueues({ db: ctx.db, workspaceId: ctx.workspaceId, workPool: input.workPool })),

  get: viewerProcedure
    .input(queueRef)
    .output(workQueueOutput)
    .query(({ ctx, input }) => getWorkQueue({ db: ctx.db, workspaceId: ctx.workspaceId, ...input })),

  update: editorProcedure
    .input(queueRef.extend(editable))
    .output(workQueueOutput)
    .mutation(({ ctx, input: { workPool, workQueue, ...patch } }) =>
      updateWorkQueue({ db: ctx.db, workspaceId: ctx.workspaceId, workPool, workQueue, patch }),
    ),

  delete: editorProcedure
    .input(queueRef)
    .output(deletedOutput)
    .mutation(async ({ ctx, input }) => {
      await deleteWorkQueue({ db: ctx.db, workspaceId: ctx.workspaceId, ...input });
      return { deleted: true as const };
    }),
});
