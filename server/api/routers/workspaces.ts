import { z } from "zod";
import { AppError } from "../../errors";
import { createWorkspace, visibleWorkspaces } from "../../domain/workspaces";
import { createTRPCRouter, signedInProcedure, zDate, zId } from "../trpc";

export const workspaceOutput = z.object({
  id: zId,
  slug: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  /** The caller's role in it. */
  role: z.string(),
  createdAt: zDate,
});

const zSlug = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(63, "must be at most 63 characters")
  .regex(/^[a-z0-9][a-z0-9-]*$/, "must be lowercase letters, digits and dashes, starting with a letter or digit");

/** Not scoped to one workspace: how a caller finds (or makes) the workspace it then names. */
export const workspacesRouter = createTRPCRouter({
  list: signedInProcedure.output(z.array(workspaceOutput)).query(({ ctx }) => visibleWorkspaces({ db: ctx.db, identity: ctx.identity })),

  get: signedInProcedure
    .input(z.object({ workspace: z.string().trim().min(1, "must name a workspace").max(200) }))
    .output(workspaceOutput)
    .query(async ({ ctx, input }) => {
      const [row] = await visibleWorkspaces({ db: ctx.db, identity: ctx.identity, ref: input.workspace });
      if (!row) throw AppError.notFound("Workspace", `"${input.workspace}"`, "workspace");
      return row;
    }),

  /** A signed-in person makes a workspace and owns it; keys cannot make workspaces. */
  create: signedInProcedure
    .input(
      z.object({
        slug: zSlug,
        name: z.string().trim().min(1, "must not be empty").max(200),
        description: z.string().max(2000).nullish(),
      }),
    )
    .output(workspaceOutput)
    .mutation(async ({ ctx, input }) => {
      const { identity } = ctx;
      if (identity.kind === "key") throw new AppError("FORBIDDEN", "API keys belong to one workspace and cannot make others", { reason: "FORBIDDEN" });
      return createWorkspace({ db: ctx.db, identity, ...input });
    }),
});
