/**
 * What the UI and CLI ask before anything else: is auth on, does this server still need its
 * first owner, and who am I. Public: it holds nothing but the caller's own identity.
 */
import { z } from "zod";
import { countUsers } from "../../auth/better-auth";
import { describeUser, resolveIdentity } from "../../auth/identity";
import { createTRPCRouter, publicProcedure, zId } from "../trpc";

export const authRouter = createTRPCRouter({
  status: publicProcedure
    .output(
      z.object({
        enabled: z.boolean(),
        /** A fresh database: the first owner is still to be made (with the setup token). */
        needsSetup: z.boolean(),
        me: z
          .discriminatedUnion("kind", [
            z.object({ kind: z.literal("local") }),
            z.object({ kind: z.literal("user"), userId: zId, name: z.string(), email: z.string() }),
            z.object({ kind: z.literal("key"), keyId: zId, name: z.string(), role: z.string() }),
          ])
          .nullable(),
      }),
    )
    .query(async ({ ctx }) => {
      if (!ctx.auth.enabled) return { enabled: false, needsSetup: false, me: { kind: "local" as const } };
      const needsSetup = (await countUsers(ctx.db)) === 0;
      // A bad or revoked credential reads as signed out here, so the UI offers to sign in.
      const identity = await resolveIdentity({ db: ctx.db, headers: ctx.headers, settings: ctx.auth }).catch(() => ({ kind: "anonymous" as const }));
      if (identity.kind === "user") {
        const user = await describeUser(ctx.db, identity.userId);
        return { enabled: true, needsSetup, me: { kind: "user" as const, userId: identity.userId, name: user?.name ?? identity.name, email: identity.email } };
      }
      if (identity.kind === "key") return { enabled: true, needsSetup, me: { kind: "key" as const, keyId: identity.keyId, name: identity.name, role: identity.role } };
      return { enabled: true, needsSetup, me: null };
    }),
});
