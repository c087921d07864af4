/**
 * API keys, Baton's own: they belong to a workspace (not to a person), carry a role, and worker
 * keys are scoped to pools — none of which better-auth's user-owned API-key plugin models (and
 * its 1.7 release pins versions of better-auth's internals that conflict with better-auth 1.7's).
 *
 * A key is `baton_` + 256 random bits (base64url). Only its SHA-256 is stored: with that much
 * entropy a slow hash adds nothing, and the lookup on every worker request stays one indexed
 * SELECT. The key is shown once, when created. Revoking takes effect on the next request; the
 * last-used time is written at most once a minute per key, so the hot path does not write.
 */
import crypto from "node:crypto";
import { and, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import { apiKeys, users, workPools, workspaces } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { AppError } from "../errors";
import type { KeyRole } from "./roles";

export const KEY_PREFIX = "baton_";
const LAST_USED_EVERY_MS = 60_000;

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export function hashKey(key: string): string {
  return crypto.createHash("sha256").update(key).digest("hex");
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(KEY_PREFIX) && token.length > KEY_PREFIX.length + 20;
}

export async function createApiKey(opts: {
  db: DbOrTx;
  workspaceId: string;
  name: string;
  role: KeyRole;
  workPools?: string[];
  mayDefineExecution?: boolean;
  expiresAt?: Date | null;
  createdBy?: string | null;
}): Promise<{ key: string; row: ApiKeyRow }> {
  if (opts.expiresAt && opts.expiresAt.getTime() <= Date.now()) throw AppError.badRequest("expiresAt: must be in the future", "expiresAt");
  if (opts.role !== "worker" && opts.workPools?.length) {
    throw AppError.badRequest("workPools: only worker keys are scoped to pools", "workPools");
  }
  if (opts.mayDefineExecution && opts.role !== "owner") {
    throw AppError.badRequest("mayDefineExecution: only owner keys may define what workers execute", "mayDefineExecution");
  }
  const workPoolIds: string[] = [];
  for (const ref of opts.workPools ?? []) {
    const [pool] = await opts.db
      .select({ id: workPools.id })
      .from(workPools)
      .where(and(eq(workPools.workspaceId, opts.workspaceId), sql`(${workPools.name} = ${ref} OR ${workPools.id}::text = ${ref})`));
    if (!pool) throw AppError.notFound("Work pool", `"${ref}"`, "workPools");
    workPoolIds.push(pool.id);
  }
  const key = KEY_PREFIX + crypto.randomBytes(32).toString("base64url");
  const [row] = await opts.db
    .insert(apiKeys)
    .values({
      workspaceId: opts.workspaceId,
      name: opts.name,
      prefix: key.slice(0, KEY_PREFIX.length + 6),
      hash: hashKey(key),
      role: opts.role,
      workPoolIds,
      mayDefineExecution: opts.mayDefineExecution ?? false,
      expiresAt: opts.expiresAt ?? null,
      createdBy: opts.createdBy ?? null,
    })
    .returning();
  return { key, row: row! };
}

/**
 * The key's row, with its workspace's slug (one query: the request needs both), if it is valid
 * now (not revoked, not expired); marks it used.
 */
export async function verifyApiKey(db: DbOrTx, key: string): Promise<(ApiKeyRow & { workspaceSlug: string }) | { refused: string }> {
  const [found] = await db
    .select({ key: apiKeys, workspaceSlug: workspaces.slug })
    .from(apiKeys)
    .innerJoin(workspaces, eq(workspaces.id, apiKeys.workspaceId))
    .where(eq(apiKeys.hash, hashKey(key)));
  if (!found) return { refused: "this API key is not known (it may have been deleted)" };
  const row = { ...found.key, workspaceSlug: found.workspaceSlug };
  if (row.revokedAt) return { refused: `API key "${row.name}" was revoked` };
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) return { refused: `API key "${row.name}" expired on ${row.expiresAt.toISOString()}` };
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_EVERY_MS) {
    const cutoff = new Date(Date.now() - LAST_USED_EVERY_MS);
    await db
      .update(apiKeys)
      .set({ lastUsedAt: new Date() })
      .where(and(eq(apiKeys.id, row.id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, cutoff))));
  }
  return row;
}

/** A key as listed: its row and its maker's email (null for a key made with another key, or whose maker's account is gone). */
export type ListedApiKey = ApiKeyRow & { createdByEmail: string | null };

/** The workspace's keys (or the one with this id), newest first, each with its maker's email (from `users`). */
export async function listApiKeys(opts: { db: DbOrTx; workspaceId: string; id?: string }): Promise<ListedApiKey[]> {
  const rows = await opts.db
    .select({ key: apiKeys, createdByEmail: users.email })
    .from(apiKeys)
    .leftJoin(users, eq(users.id, apiKeys.createdBy))
    .where(and(eq(apiKeys.workspaceId, opts.workspaceId), opts.id ? eq(apiKeys.id, opts.id) : undefined))
    .orderBy(desc(apiKeys.createdAt));
  return rows.map((r) => ({ ...r.key, createdByEmail: r.createdByEmail }));
}

export async function revokeApiKey(opts: { db: DbOrTx; workspaceId: string; id: string }): Promise<ApiKeyRow> {
  const [row] = await opts.db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
    .where(and(eq(apiKeys.id, opts.id), eq(apiKeys.workspaceId, opts.workspaceId)))
    .returning();
  if (!row) throw AppError.notFound("API key", opts.id, "id");
  return row;
}
