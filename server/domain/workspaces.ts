/**
 * Workspaces: every other row belongs to one. They are addressed by slug (the
 * `x-baton-workspace` header) or by id.
 */
import { asc, eq } from "drizzle-orm";
import { workspaces } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { AppError } from "../errors";
import { isUuid } from "./refs";

export type WorkspaceRow = typeof workspaces.$inferSelect;

export async function listWorkspaces(opts: { db: DbOrTx }): Promise<WorkspaceRow[]> {
  return opts.db.select().from(workspaces).orderBy(asc(workspaces.slug));
}

export async function getWorkspace(opts: { db: DbOrTx; ref: string }): Promise<WorkspaceRow> {
  const [row] = await opts.db
    .select()
    .from(workspaces)
    .where(isUuid(opts.ref) ? eq(workspaces.id, opts.ref) : eq(workspaces.slug, opts.ref));
  if (!row) throw AppError.notFound("Workspace", `"${opts.ref}"`, "workspace");
  return row;
}

export async function createWorkspace(opts: {
  db: DbOrTx;
  slug: string;
  name: string;
  description?: string | null;
}): Promise<WorkspaceRow> {
  const [row] = await opts.db
    .insert(workspaces)
    .values({ slug: opts.slug, name: opts.name, description: opts.description ?? null })
    .returning();
  return row!;
}
