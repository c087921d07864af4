/**
 * Who is calling, and what they may do in the workspace they name. Decided once per request by
 * the procedure builders in server/api/trpc.ts; nothing else reads credentials.
 *
 *   auth off  → the single local user (the server only listens on loopback), owner of everything;
 *   API key   → `authorization: Bearer baton_…`: the key's workspace, role and pools;
 *   session   → better-auth's session cookie: the user, whose role comes from membership;
 *   otherwise → anonymous, refused by every procedure but the public ones.
 */
import { and, eq } from "drizzle-orm";
import { members, users, workspaces } from "../../drizzle/schema";
import type { Db } from "../db/client";
import { AppError } from "../errors";
import { looksLikeApiKey, verifyApiKey } from "./api-keys";
import { createAuth, type Auth } from "./better-auth";
import { isMemberRole, type KeyRole } from "./roles";

export interface AuthSettings {
  enabled: boolean;
  secret?: string;
  /** Origins better-auth trusts for cookie-bearing requests, e.g. http://localhost:4200. */
  trustedOrigins?: string[];
  baseUrl?: string;
  /** Requests a second per API key or signed-in user (0 or unset: no limit). */
  ratePerSecond?: number;
}

export const AUTH_OFF: AuthSettings = { enabled: false };

export type Identity =
  | { kind: "local" }
  | { kind: "user"; userId: string; email: string; name: string }
  | { kind: "key"; keyId: string; name: string; workspaceId: string; workspaceSlug: string; role: KeyRole; workPoolIds: string[]; mayDefineExecution: boolean }
  | { kind: "anonymous" };

/** What the identity may do in one workspace. */
export interface Access {
  workspaceId: string;
  workspaceSlug: string;
  role: KeyRole;
  mayDefineExecution: boolean;
  /** Pools a worker key is limited to; null: no limit. */
  workPoolIds: string[] | null;
  /** Recorded in state history as the one who made a change. */
  actor: string;
}

const instances = new WeakMap<Db, Auth>();

/** One better-auth instance per database (per process in the server; per test database in tests). */
export function authFor(db: Db, settings: AuthSettings): Auth {
  let auth = instances.get(db);
  if (!auth) {
    if (!settings.secret) throw new Error("auth is on but no secret is configured (BATON_AUTH_SECRET)");
    const baseUrl = settings.baseUrl ?? "http://localhost:4200";
    auth = createAuth({ db, secret: settings.secret, baseUrl, trustedOrigins: settings.trustedOrigins ?? [baseUrl] });
    instances.set(db, auth);
  }
  return auth;
}

function bearerOf(headers: Headers): string | undefined {
  const value = headers.get("authorization");
  if (!value) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
  if (!match) throw new AppError("UNAUTHORIZED", "the authorization header must be `Bearer <API key>`", { reason: "BAD_CREDENTIALS" });
  return match[1];
}

export async function resolveIdentity(opts: { db: Db; headers: Headers; settings: AuthSettings }): Promise<Identity> {
  if (!opts.settings.enabled) return { kind: "local" };
  const bearer = bearerOf(opts.headers);
  if (bearer !== undefined) {
    if (!looksLikeApiKey(bearer)) {
      throw new AppError("UNAUTHORIZED", "this is not a Baton API key (they start with baton_)", { reason: "BAD_CREDENTIALS" });
    }
    const row = await verifyApiKey(opts.db, bearer);
    if ("refused" in row) throw new AppError("UNAUTHORIZED", row.refused, { reason: "BAD_CREDENTIALS" });
    return {
      kind: "key",
      keyId: row.id,
      name: row.name,
      workspaceId: row.workspaceId,
      workspaceSlug: row.workspaceSlug,
      role: row.role,
      workPoolIds: row.workPoolIds,
      mayDefineExecution: row.role === "owner" && row.mayDefineExecution,
    };
  }
  if (!opts.headers.get("cookie")) return { kind: "anonymous" };
  const session = await authFor(opts.db, opts.settings).api.getSession({ headers: opts.headers });
  if (!session) return { kind: "anonymous" };
  return { kind: "user", userId: session.user.id, email: session.user.email, name: session.user.name };
}

const workspaceBySlug = new Map<string, { id: string; slug: string }>();

async function findWorkspace(db: Db, slug: string): Promise<{ id: string; slug: string } | undefined> {
  const cached = workspaceBySlug.get(slug);
  if (cached) return cached;
  const [row] = await db.select({ id: workspaces.id, slug: workspaces.slug }).from(workspaces).where(eq(workspaces.slug, slug));
  if (row) workspaceBySlug.set(slug, row);
  return row;
}

/**
 * The identity's access to the workspace it named (`x-baton-workspace`; a key's own workspace
 * when it names none). A workspace the caller is not a member of reads as not found, so names
 * of other teams' workspaces do not leak.
 */
export async function resolveAccess(opts: { db: Db; identity: Identity; workspaceSlug: string | undefined }): Promise<Access> {
  const { db, identity } = opts;
  const notFound = (slug: string) =>
    new AppError("NOT_FOUND", `Workspace "${slug}" was not found, or you are not a member of it`, { field: "workspace" });
  switch (identity.kind) {
    case "anonymous":
      throw new AppError("UNAUTHORIZED", "sign in, or send an API key as `authorization: Bearer <key>` (BATON_API_KEY)", {
        reason: "SIGN_IN",
      });
    case "local": {
      const slug = opts.workspaceSlug ?? "default";
      const ws = await findWorkspace(db, slug);
      if (!ws) throw AppError.notFound("Workspace", `"${slug}"`);
      return { workspaceId: ws.id, workspaceSlug: ws.slug, role: "owner", mayDefineExecution: true, workPoolIds: null, actor: "user" };
    }
    case "key": {
      // Its workspace came with the key (a deleted workspace takes its keys with it).
      const ws = { id: identity.workspaceId, slug: identity.workspaceSlug };
      if (opts.workspaceSlug && opts.workspaceSlug !== ws.slug && opts.workspaceSlug !== ws.id) {
        throw new AppError("FORBIDDEN", `API key "${identity.name}" belongs to workspace "${ws.slug}", not "${opts.workspaceSlug}"`, {
          field: "workspace",
        });
      }
      return {
        workspaceId: ws.id,
        workspaceSlug: ws.slug,
        role: identity.role,
        mayDefineExecution: identity.mayDefineExecution,
        workPoolIds: identity.role === "worker" && identity.workPoolIds.length ? identity.workPoolIds : null,
        actor: `key:${identity.name}`,
      };
    }
    case "user": {
      const slug = opts.workspaceSlug ?? "default";
      const [row] = await db
        .select({ id: workspaces.id, slug: workspaces.slug, role: members.role, mayDefineExecution: members.mayDefineExecution })
        .from(members)
        .innerJoin(workspaces, eq(workspaces.id, members.organizationId))
        .where(and(eq(members.userId, identity.userId), eq(workspaces.slug, slug)));
      if (!row || !isMemberRole(row.role)) throw notFound(slug);
      return {
        workspaceId: row.id,
        workspaceSlug: row.slug,
        role: row.role,
        mayDefineExecution: row.role === "owner" || row.mayDefineExecution,
        workPoolIds: null,
        actor: `user:${identity.email}`,
      };
    }
  }
}

/** The user's name and email, for the UI's account menu. */
export async function describeUser(db: Db, userId: string) {
  const [row] = await db.select({ id: users.id, name: users.name, email: users.email }).from(users).where(eq(users.id, userId));
  return row;
}

/** Auth settings from the server's configuration: trusted origins are the allowed Host values. */
export function authSettingsFrom(config: {
  auth: { enabled: boolean; secret?: string; publicUrl?: string };
  allowedHosts: string[];
  port: number;
  limits?: { ratePerSecond: number };
}): AuthSettings {
  if (!config.auth.enabled) return AUTH_OFF;
  const origins = config.allowedHosts.flatMap((h) => [`http://${h}`, `https://${h}`]);
  const baseUrl = config.auth.publicUrl ?? `http://localhost:${config.port}`;
  return {
    enabled: true,
    secret: config.auth.secret,
    baseUrl,
    trustedOrigins: [new URL(baseUrl).origin, ...origins],
    ratePerSecond: config.limits?.ratePerSecond,
  };
}
