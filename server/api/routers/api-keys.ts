/**
 * API keys of a workspace, for workers, the CLI, the SDK and scripts. The key itself is in the
 * reply to `create` and nowhere else, ever.
 */
import { z } from "zod";
import { createApiKey, listApiKeys, revokeApiKey } from "../../auth/api-keys";
import { KEY_ROLES, roleAtLeast, type KeyRole } from "../../auth/roles";
import { AppError } from "../../errors";
import { createTRPCRouter, editorProcedure, zDate, zId, zName } from "../trpc";
import { zIsoDateInput } from "./inputs";

const apiKeyOutput = z.object({
  id: zId,
  name: z.string(),
  prefix: z.string(),
  role: z.enum(KEY_ROLES),
  workPoolIds: z.array(zId),
  mayDefineExecution: z.boolean(),
  /** The person who made it (`baton auth bootstrap`: the first owner); null for a key made with another key, or whose maker's account is gone. */
  createdBy: zId.nullable(),
  createdAt: zDate,
  expiresAt: z.date().nullable().transform((d) => d?.toISOString() ?? null),
  lastUsedAt: z.date().nullable().transform((d) => d?.toISOString() ?? null),
  revokedAt: z.date().nullable().transform((d) => d?.toISOString() ?? null),
});

/** As listed: also the maker's email (null where `createdBy` is), for the "Made by" column. */
const listedApiKeyOutput = apiKeyOutput.extend({ createdByEmail: z.string().nullable() });

/** A worker key is editor-level power over its pools; nobody makes a key stronger than they are. */
const levelOf = (role: KeyRole) => (role === "worker" ? "editor" : role);

export const apiKeysRouter = createTRPCRouter({
  list: editorProcedure.output(z.array(listedApiKeyOutput)).query(({ ctx }) => listApiKeys({ db: ctx.db, workspaceId: ctx.workspaceId })),

  create: editorProcedure
    .input(
      z.object({
        name: zName,
        role: z.enum(KEY_ROLES, { error: `must be one of ${KEY_ROLES.join(", ")}` }),
        /** Worker keys: the pools (names or ids) it may work for; none: every pool. */
        workPools: z.array(z.string().trim().min(1).max(200)).max(100).optional(),
        mayDefineExecution: z.boolean().optional(),
        expiresAt: zIsoDateInput.optional(),
      }),
    )
    .output(apiKeyOutput.extend({ key: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const mine = ctx.access.role as KeyRole;
      if (mine === "worker" || !roleAtLeast(levelOf(mine), levelOf(input.role))) {
        throw new AppError("FORBIDDEN", `a ${mine} may not make a key with the ${input.role} role`, { field: "role", reason: "FORBIDDEN" });
      }
      if (input.mayDefineExecution && !ctx.access.mayDefineExecution) {
        throw new AppError("FORBIDDEN", "only someone who may define what workers execute can give a key that privilege", { field: "mayDefineExecution", reason: "FORBIDDEN" });
      }
      const { key, row } = await createApiKey({
        db: ctx.db,
        workspaceId: ctx.workspaceId,
        name: input.name,
        role: input.role,
        workPools: input.workPools,
        mayDefineExecution: input.mayDefineExecution,
        expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
        createdBy: ctx.identity.kind === "user" ? ctx.identity.userId : null,
      });
      return { ...row, key };
    }),

  revoke: editorProcedure
    .input(z.object({ id: zId }))
    .output(apiKeyOutput)
    .mutation(async ({ ctx, input }) => {
      // Editors revoke the keys they made; owners any key of the workspace.
      if (ctx.access.role !== "owner") {
        const [key] = await listApiKeys({ db: ctx.db, workspaceId: ctx.workspaceId, id: input.id });
        if (key && (ctx.identity.kind !== "user" || key.createdBy !== ctx.identity.userId)) {
          throw new AppError("FORBIDDEN", "only owners revoke keys someone else made", { field: "id", reason: "FORBIDDEN" });
        }
      }
      return revokeApiKey({ db: ctx.db, workspaceId: ctx.workspaceId, id: input.id });
    }),
});
