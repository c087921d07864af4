import { z } from "zod";
import { createConcurrencyLimit, deleteConcurrencyLimit, listConcurrencyLimits } from "../../domain/concurrency-limits";
import { createTRPCRouter, zDate, zId, viewerProcedure, editorProcedure } from "../trpc";
import { deletedOutput } from "./inputs";

export const concurrencyLimitOutput = z.object({
  id: zId,
  tag: z.string(),
  limit: z.number().int(),
  createdAt: zDate,
  updatedAt: zDate,
});

const zTag = z.string().trim().min(1, "must not be empty").max(100);

export const concurrencyLimitsRouter = createTRPCRouter({
  create: editorProcedure
    .input(z.object({ tag: zTag, limit: z.number().int("must be a whole number").min(0, "must be 0 or more") }))
    .output(concurrencyLimitOutput)
    .mutation(({ ctx, input }) => createConcurrencyLimit({ db: ctx.db, workspaceId: ctx.workspaceId, ...input })),

  list: viewerProcedure
    .output(z.array(concurrencyLimitOutput))
    .query(({ ctx }) => listConcurrencyLimits({ db: ctx.db, workspaceId: ctx.workspaceId })),

  delete: editorProcedure
    .input(z.object({ tag: zTag }))
    .output(deletedOutput)
    .mutation(async ({ ctx, input }) => {
      await deleteConcurrencyLimit({ db: ctx.db, workspaceId: ctx.workspaceId, tag: input.tag });
      return { deleted: true as const };
    }),
});
