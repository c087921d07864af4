import { z } from "zod";
import { createWorkspace, getWorkspace, listWorkspaces } from "../../domain/workspaces";
import { createTRPCRouter, publicProcedure, zDate, zId } from "../trpc";

export const workspaceOutput = z.object({
  id: zId,
  slug: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  createdAt: zDate,
});

const zSlug = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(63, "must be at most 63 characters")
  .regex(/^[a-z0-9][a-z0-9-]*$/, "must be lowercase letters, digits and dashes, starting with a letter or digit");

/** Not workspace-scoped: these are how a caller finds or makes the workspace it then names. */
export const workspacesRouter = createTRPCRouter({
  list: publicProcedure.output(z.array(workspaceOutput)).query(({ ctx }) => listWorkspaces({ db: ctx.db })),

  get: publicProcedure
    .input(z.object({ workspace: z.string().trim().min(1, "must name a workspace") }))
    .output(workspaceOutput)
    .query(({ ctx, input }) => getWorkspace({ db: ctx.db, ref: input.workspace })),

  create: publicProcedure
    .input(
      z.object({
        slug: zSlug,
        name: z.string().trim().min(1, "must not be empty").max(200),
        description: z.string().max(2000).nullish(),
      }),
    )
    .output(workspaceOutput)
    .mutation(({ ctx, input }) => createWorkspace({ db: ctx.db, ...input })),
});
