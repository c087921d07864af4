/**
 * Workspaces as a caller sees them: the ones it may name (all with auth off, its memberships, or
 * a key's own) with its role in each, and making one (its maker becomes the owner).
 */
import { and, asc, eq } from "drizzle-orm";
import { members, workspaces } from "../../drizzle/schema";
import type { Identity } from "../auth/identity";
import type { DbOrTx } from "../db/client";
import { isUuid } from "./refs";

/** The workspaces the caller can see, with its role in each: all (auth off), its memberships, or a key's own. */
export async function visibleWorkspaces(opts: { db: DbOrTx; identity: Identity; ref?: string }) {
  const { identity, ref } = opts;
  const byRef = ref ? (isUuid(ref) ? eq(workspaces.id, ref) : eq(workspaces.slug, ref)) : undefined;
  if (identity.kind === "local") {
    const rows = await opts.db.select().from(workspaces).where(byRef).orderBy(asc(workspaces.slug));
    return rows.map((w) => ({ ...w, role: "owner" }));
  }
  if (identity.kind === "key") {
    const rows = await opts.db.select().from(workspaces).where(and(eq(workspaces.id, identity.workspaceId), byRef));
    return rows.map((w) => ({ ...w, role: identity.role }));
  }
  if (identity.kind !== "user") return [];
  const rows = await opts.db
    .select({ w: workspaces, role: members.role })
    .from(members)
    .innerJoin(workspaces, eq(workspaces.id, members.organizationId))
    .where(and(eq(members.userId, identity.userId), byRef))
    .orderBy(asc(workspaces.slug));
  return rows.map((r) => ({ ...r.w, role: r.role }));
}

/** A new workspace; a signed-in maker becomes its owner, with the execution privilege. */
export async function createWorkspace(opts: { db: DbOrTx; identity: Identity; slug: string; name: string; description?: string | null }) {
  return opts.db.transaction(async (tx) => {
    const [ws] = await tx.insert(workspaces).values({ slug: opts.slug, name: opts.name, description: opts.description ?? null }).returning();
    if (opts.identity.kind === "user") {
      await tx.insert(members).values({ organizationId: ws!.id, userId: opts.identity.userId, role: "owner", mayDefineExecution: true });
    }
    return { ...ws!, role: "owner" };
  });
}
