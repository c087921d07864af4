/** The people of a workspace: everyone may see who is in it; owners change roles and invite. */
import { z } from "zod";
import { MEMBER_ROLES } from "../../auth/roles";
import {
  acceptInvitation,
  cancelInvitation,
  createInvitation,
  describeInvitation,
  listInvitations,
  listMembers,
  removeMember,
  updateMember,
} from "../../domain/members";
import { AppError } from "../../errors";
import { createTRPCRouter, ownerProcedure, publicProcedure, signedInProcedure, viewerProcedure, zDate, zId } from "../trpc";
import { deletedOutput } from "./inputs";

const zRole = z.enum(MEMBER_ROLES, { error: `must be one of ${MEMBER_ROLES.join(", ")}` });

const memberOutput = z.object({
  userId: zId,
  name: z.string(),
  email: z.string(),
  role: z.string(),
  mayDefineExecution: z.boolean(),
  createdAt: zDate,
});

const invitationOutput = z.object({
  id: zId,
  email: z.string(),
  role: z.string().nullable(),
  status: z.string(),
  expiresAt: zDate,
  createdAt: zDate,
});

export const membersRouter = createTRPCRouter({
  list: viewerProcedure.output(z.array(memberOutput)).query(({ ctx }) => listMembers({ db: ctx.db, workspaceId: ctx.workspaceId })),

  update: ownerProcedure
    .input(z.object({ userId: zId, role: zRole.optional(), mayDefineExecution: z.boolean().optional() }))
    .output(memberOutput.pick({ userId: true, role: true, mayDefineExecution: true }))
    .mutation(({ ctx, input }) => updateMember({ db: ctx.db, workspaceId: ctx.workspaceId, ...input })),

  remove: ownerProcedure
    .input(z.object({ userId: zId }))
    .output(deletedOutput)
    .mutation(async ({ ctx, input }) => {
      await removeMember({ db: ctx.db, workspaceId: ctx.workspaceId, userId: input.userId });
      return { deleted: true as const };
    }),
});

export const invitationsRouter = createTRPCRouter({
  create: ownerProcedure
    .input(z.object({ email: z.email({ error: "must be an email address" }).max(320), role: zRole }))
    .output(invitationOutput)
    .mutation(({ ctx, input }) => {
      if (ctx.identity.kind !== "user") throw new AppError("FORBIDDEN", "invitations are sent by a signed-in owner (auth must be on)", { reason: "FORBIDDEN" });
      return createInvitation({ db: ctx.db, workspaceId: ctx.workspaceId, email: input.email, role: input.role, inviterId: ctx.identity.userId });
    }),

  list: ownerProcedure.output(z.array(invitationOutput)).query(({ ctx }) => listInvitations({ db: ctx.db, workspaceId: ctx.workspaceId })),

  cancel: ownerProcedure
    .input(z.object({ id: zId }))
    .output(invitationOutput)
    .mutation(({ ctx, input }) => cancelInvitation({ db: ctx.db, workspaceId: ctx.workspaceId, id: input.id })),

  /** What the invitation link shows before signing up. The id is the secret (122 random bits). */
  describe: publicProcedure
    .input(z.object({ id: zId }))
    .output(z.object({ id: zId, email: z.string(), role: z.string().nullable(), open: z.boolean(), expiresAt: zDate, workspaceSlug: z.string(), workspaceName: z.string() }))
    .query(async ({ ctx, input }) => {
      const { status: _status, ...rest } = await describeInvitation({ db: ctx.db, id: input.id });
      return rest;
    }),

  accept: signedInProcedure
    .input(z.object({ id: zId }))
    .output(z.object({ workspaceSlug: z.string(), role: z.string() }))
    .mutation(({ ctx, input }) => {
      if (ctx.identity.kind !== "user") throw new AppError("FORBIDDEN", "sign in as the invited person to accept", { reason: "FORBIDDEN" });
      return acceptInvitation({ db: ctx.db, id: input.id, userId: ctx.identity.userId, email: ctx.identity.email });
    }),
});
