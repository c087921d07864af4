import { z } from "zod";
import { createFlow, deleteFlow, getFlow, listFlows } from "../../domain/flows";
import { createTRPCRouter, zDate, zId, zLimit, zName, zTags, viewerProcedure, editorProcedure } from "../trpc";
import { deletedOutput, zCursor, zNullableDate, zRef } from "./inputs";

export const flowOutput = z.object({
  id: zId,
  name: z.string(),
  description: z.string().nullable(),
  tags: z.array(z.string()),
  deploymentCount: z.number().int(),
  lastRunAt: zNullableDate,
  createdAt: zDate,
  updatedAt: zDate,
});

const flowRef = z.object({ flow: zRef("flow") });

export const flowsRouter = createTRPCRouter({
  create: editorProcedure
    .input(z.object({ name: zName, description: z.string().max(2000).nullish(), tags: zTags.optional() }))
    .output(flowOutput)
    .mutation(({ ctx, input }) => createFlow({ db: ctx.db, workspaceId: ctx.workspaceId, ...input })),

  list: viewerProcedure
    .input(z.object({ limit: zLimit.optional(), cursor: zCursor }).optional())
    .output(z.object({ items: z.array(flowOutput), nextCursor: z.string().nullable() }))
    .query(({ ctx, input }) => listFlows({ db: ctx.db, workspaceId: ctx.workspaceId, ...input })),

  get: viewerProcedure
    .input(flowRef)
    .output(flowOutput)
    .query(({ ctx, input }) => getFlow({ db: ctx.db, workspaceId: ctx.workspaceId, ref: input.flow })),

  delete: editorProcedure
    .input(flowRef)
    .output(deletedOutput)
    .mutation(async ({ ctx, input }) => {
      await deleteFlow({ db: ctx.db, workspaceId: ctx.workspaceId, ref: input.flow });
      return { deleted: true as const };
    }),
});
