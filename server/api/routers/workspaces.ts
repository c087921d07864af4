import { and, asc, eq } from "drizzle-orm";
import { z } from "zod";
import { members, workspaces } from "../../../drizzle/schema";
import { AppError } from "../../errors";
import { isUuid } from "../../domain/refs";
import { createTRPCRouter, signedInProcedure, zDate, zId, type Context } from "../trpc";
import type { Identity } from "../../auth/identity";

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

/** The workspaces the caller can see, with its role in each: all (auth off), its memberships, or a key's own. */
async function visibleWorkspaces(ctx: Context & { identity: Identity }, ref?: string) {
  const byRef = ref ? (isUuid(ref) ? eq(workspaces.id, ref) : eq(workspaces.slug, ref)) : undefined;
  const { identity } = ctx;
  if (identity.kind === "local") {
    const rows = await ctx.db.select().from(workspaces).where(byRef).orderBy(asc(workspaces.slug));
    return rows.map((w) => ({ ...w, role: "owner" }));
  }
  if (identity.kind === "key") {
    const rows = await ctx.db.select().from(workspaces).where(and(eq(workspaces.id, identity.workspaceId), byRef));
    return rows.map((w) => ({ ...w, role: identity.role }));
  }
  if (identity.kind !== "user") return [];
  const rows = await ctx.db
    .select({ w: workspaces, role: members.role })
    .from(members)
    .innerJoin(workspaces, eq(workspaces.id, members.organizationId))
    .where(and(eq(members.userId, identity.userId), byRef))
    .orderBy(asc(workspaces.slug));
  return rows.map((r) => ({ ...r.w, role: r.role }));
}

/** Not scoped to one workspace: how a caller finds (or makes) the workspace it then names. */
export const workspacesRouter = createTRPCRouter({
  list: signedInProcedure.output(z.array(workspaceOutput)).query(({ ctx }) => visibleWorkspaces(ctx)),

  get: signedInProcedure
    .input(z.object({ workspace: z.string().trim().min(1, "must name a workspace").max(200) }))
    .output(workspaceOutput)
    .query(async ({ ctx, input }) => {
      const [row] = await visibleWorkspaces(ctx, input.workspace);
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
      return ctx.db.transaction(async (tx) => {
        const [ws] = await tx.insert(workspaces).values({ slug: input.slug, name: input.name, description: input.description ?? null }).returning();
        if (identity.kind === "user") {
          await tx.insert(members).values({ organizationId: ws!.id, userId: identity.userId, role: "owner", mayDefineExecution: true });
        }
        return { ...ws!, role: "owner" };
      });
    }),
});
