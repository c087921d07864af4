/**
 * Accounts, sessions and workspace membership, by better-auth: email and password (hashed by
 * better-auth's scrypt), session cookies, and its organization plugin, whose organizations are
 * Baton's workspaces (the same `workspaces` table) with members, roles and invitations.
 *
 * Sign-up is closed: the first account is made with the setup token the server prints on a fresh
 * database (or `baton auth bootstrap`), every later one by accepting an invitation.
 */
import crypto from "node:crypto";
import { betterAuth } from "better-auth";
import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { APIError, createAuthMiddleware } from "better-auth/api";
import { organization } from "better-auth/plugins";
import { and, count, eq, gt, sql } from "drizzle-orm";
import {
  DEFAULT_WORKSPACE_ID,
  accounts,
  invitations,
  members,
  sessions,
  users,
  verifications,
  workspaces,
} from "../../drizzle/schema";
import type { Db } from "../db/client";
import { accessControl, authRoles } from "./roles";

export const SETUP_TOKEN_HEADER = "x-baton-setup-token";
export const INVITATION_DAYS = 7;

export interface AuthOptions {
  db: Db;
  secret: string;
  /** Where users open Baton; better-auth trusts requests from these origins. */
  baseUrl: string;
  trustedOrigins: string[];
}

/** The one-time setup token for a fresh database: derived from the secret, so nothing is stored. */
export function setupToken(secret: string): string {
  return crypto.createHmac("sha256", secret).update("baton:first-owner").digest("base64url").slice(0, 32);
}

export async function countUsers(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users);
  return row?.n ?? 0;
}

function timingSafeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/**
 * better-auth's organization endpoints are switched off: Baton's tRPC procedures (members.*,
 * invitations.*, workspaces.*) manage the same tables, behind the same procedure builders as
 * everything else, so who may do what is decided in one place. The plugin still defines the
 * tables and the session's active workspace. Changing one's email (no verification here) and
 * deleting an account (which could leave a workspace without an owner) are off as well.
 */
const ORGANIZATION_ENDPOINTS = [
  "accept-invitation", "add-team-member", "cancel-invitation", "check-slug", "create", "create-role", "create-team",
  "delete", "delete-role", "get-active-member", "get-active-member-role", "get-full-organization", "get-invitation",
  "get-organization", "get-role", "has-permission", "invite-member", "leave", "list", "list-invitations",
  "list-members", "list-roles", "list-team-members", "list-teams", "list-user-invitations", "list-user-teams",
  "reject-invitation", "remove-member", "remove-team", "remove-team-member", "set-active", "set-active-team",
  "update", "update-member-role", "update-role", "update-team",
].map((name) => `/organization/${name}`);
export const DISABLED_AUTH_PATHS = [...ORGANIZATION_ENDPOINTS, "/change-email", "/delete-user"];

export function createAuth(opts: AuthOptions) {
  const { db } = opts;
  return betterAuth({
    appName: "Baton",
    baseURL: opts.baseUrl,
    basePath: "/api/auth",
    secret: opts.secret,
    trustedOrigins: opts.trustedOrigins,
    telemetry: { enabled: false },
    disabledPaths: DISABLED_AUTH_PATHS,
    database: drizzleAdapter(db, {
      provider: "pg",
      schema: { users, sessions, accounts, verifications, workspaces, members, invitations },
    }),
    user: { modelName: "users" },
    session: { modelName: "sessions" },
    account: { modelName: "accounts" },
    verification: { modelName: "verifications" },
    emailAndPassword: { enabled: true, minPasswordLength: 10, maxPasswordLength: 256, autoSignIn: true },
    advanced: { database: { generateId: "uuid" } },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path !== "/sign-up/email") return;
        const email = String((ctx.body as { email?: unknown } | undefined)?.email ?? "").toLowerCase();
        if ((await countUsers(db)) === 0) {
          const given = ctx.headers?.get(SETUP_TOKEN_HEADER) ?? "";
          if (!timingSafeEqual(given, setupToken(opts.secret))) {
            throw new APIError("FORBIDDEN", {
              message: "Creating the first owner needs the setup token the server printed at start (or run `baton auth bootstrap`)",
            });
          }
          return;
        }
        const [invited] = await db
          .select({ id: invitations.id })
          .from(invitations)
          .where(and(sql`lower(${invitations.email}) = ${email}`, eq(invitations.status, "pending"), gt(invitations.expiresAt, new Date())));
        if (!invited) {
          throw new APIError("FORBIDDEN", { message: "Sign-up is by invitation: ask a workspace owner to invite this email address" });
        }
      }),
    },
    databaseHooks: {
      user: {
        create: {
          // The very first account owns the default workspace.
          after: async (user) => {
            const [{ n }] = (await db.select({ n: count() }).from(members)) as [{ n: number }];
            if (n === 0) {
              await db
                .insert(members)
                .values({ organizationId: DEFAULT_WORKSPACE_ID, userId: user.id, role: "owner", mayDefineExecution: true })
                .onConflictDoNothing();
            }
          },
        },
      },
    },
    plugins: [
      organization({
        ac: accessControl,
        roles: authRoles,
        creatorRole: "owner",
        allowUserToCreateOrganization: true,
        invitationExpiresIn: INVITATION_DAYS * 86_400,
        cancelPendingInvitationsOnReInvite: true,
        schema: {
          organization: { modelName: "workspaces" },
          member: { modelName: "members" },
          invitation: { modelName: "invitations" },
        },
      }),
    ],
  });
}

export type Auth = ReturnType<typeof createAuth>;
