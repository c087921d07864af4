/**
 * Members and invitations of a workspace, on better-auth's organization tables (members,
 * invitations), so a member added here is a member to better-auth and the other way round.
 * Invitations are accepted by signing up (or in) and opening the invitation link: Baton sends
 * no email, the owner passes the link on.
 */
import { and, asc, eq, gt, sql } from "drizzle-orm";
import { invitations, members, users, workspaces } from "../../drizzle/schema";
import { INVITATION_DAYS } from "../auth/better-auth";
import type { MemberRole } from "../auth/roles";
import type { Db, DbOrTx } from "../db/client";
import { AppError } from "../errors";

export async function listMembers(opts: { db: DbOrTx; workspaceId: string }) {
  return opts.db
    .select({
      userId: members.userId,
      name: users.name,
      email: users.email,
      role: members.role,
      mayDefineExecution: members.mayDefineExecution,
      createdAt: members.createdAt,
    })
    .from(members)
    .innerJoin(users, eq(users.id, members.userId))
    .where(eq(members.organizationId, opts.workspaceId))
    .orderBy(asc(users.email));
}

async function owners(db: DbOrTx, workspaceId: string): Promise<string[]> {
  const rows = await db
    .select({ userId: members.userId })
    .from(members)
    .where(and(eq(members.organizationId, workspaceId), eq(members.role, "owner")));
  return rows.map((r) => r.userId);
}

/** Changes a member's role or execution privilege; a workspace always keeps one owner. */
export async function updateMember(opts: {
  db: Db;
  workspaceId: string;
  userId: string;
  role?: MemberRole;
  mayDefineExecution?: boolean;
}) {
  return opts.db.transaction(async (tx) => {
    const current = await owners(tx, opts.workspaceId);
    if (opts.role && opts.role !== "owner" && current.length === 1 && current[0] === opts.userId) {
      throw new AppError("PRECONDITION_FAILED", "a workspace needs an owner: make someone else owner first", { field: "role" });
    }
    const patch: Partial<typeof members.$inferInsert> = {};
    if (opts.role) patch.role = opts.role;
    if (opts.mayDefineExecution !== undefined) patch.mayDefineExecution = opts.mayDefineExecution;
    if (!Object.keys(patch).length) throw AppError.badRequest("give role or mayDefineExecution", "role");
    const [row] = await tx
      .update(members)
      .set(patch)
      .where(and(eq(members.organizationId, opts.workspaceId), eq(members.userId, opts.userId)))
      .returning();
    if (!row) throw AppError.notFound("Member", opts.userId, "userId");
    return row;
  });
}

export async function removeMember(opts: { db: Db; workspaceId: string; userId: string }) {
  await opts.db.transaction(async (tx) => {
    const current = await owners(tx, opts.workspaceId);
    if (current.length === 1 && current[0] === opts.userId) {
      throw new AppError("PRECONDITION_FAILED", "the last owner cannot be removed: make someone else owner first", { field: "userId" });
    }
    const gone = await tx
      .delete(members)
      .where(and(eq(members.organizationId, opts.workspaceId), eq(members.userId, opts.userId)))
      .returning({ id: members.id });
    if (!gone.length) throw AppError.notFound("Member", opts.userId, "userId");
  });
}

export async function createInvitation(opts: { db: Db; workspaceId: string; email: string; role: MemberRole; inviterId: string }) {
  const email = opts.email.toLowerCase();
  return opts.db.transaction(async (tx) => {
    const [already] = await tx
      .select({ id: members.id })
      .from(members)
      .innerJoin(users, eq(users.id, members.userId))
      .where(and(eq(members.organizationId, opts.workspaceId), sql`lower(${users.email}) = ${email}`));
    if (already) throw AppError.conflict(`${email} is already a member of this workspace`, "email");
    // A new invitation replaces an open one for the same address.
    await tx
      .update(invitations)
      .set({ status: "canceled" })
      .where(and(eq(invitations.organizationId, opts.workspaceId), eq(invitations.email, email), eq(invitations.status, "pending")));
    const [row] = await tx
      .insert(invitations)
      .values({
        organizationId: opts.workspaceId,
        email,
        role: opts.role,
        status: "pending",
        inviterId: opts.inviterId,
        expiresAt: new Date(Date.now() + INVITATION_DAYS * 86_400_000),
      })
      .returning();
    return row!;
  });
}

export async function listInvitations(opts: { db: DbOrTx; workspaceId: string }) {
  return opts.db
    .select()
    .from(invitations)
    .where(and(eq(invitations.organizationId, opts.workspaceId), eq(invitations.status, "pending"), gt(invitations.expiresAt, new Date())))
    .orderBy(asc(invitations.createdAt));
}

export async function cancelInvitation(opts: { db: DbOrTx; workspaceId: string; id: string }) {
  const [row] = await opts.db
    .update(invitations)
    .set({ status: "canceled" })
    .where(and(eq(invitations.id, opts.id), eq(invitations.organizationId, opts.workspaceId), eq(invitations.status, "pending")))
    .returning();
  if (!row) throw AppError.notFound("Open invitation", opts.id, "id");
  return row;
}

/** What an invitation link shows before signing up: the workspace, the address and the role. */
export async function describeInvitation(opts: { db: DbOrTx; id: string }) {
  const [row] = await opts.db
    .select({
      id: invitations.id,
      email: invitations.email,
      role: invitations.role,
      status: invitations.status,
      expiresAt: invitations.expiresAt,
      workspaceSlug: workspaces.slug,
      workspaceName: workspaces.name,
    })
    .from(invitations)
    .innerJoin(workspaces, eq(workspaces.id, invitations.organizationId))
    .where(eq(invitations.id, opts.id));
  if (!row) throw AppError.notFound("Invitation", opts.id, "id");
  return { ...row, open: row.status === "pending" && row.expiresAt > new Date() };
}

/** The signed-in user joins the workspace with the invitation's role. */
export async function acceptInvitation(opts: { db: Db; id: string; userId: string; email: string }) {
  return opts.db.transaction(async (tx) => {
    const [inv] = await tx.select().from(invitations).where(eq(invitations.id, opts.id)).for("update");
    if (!inv) throw AppError.notFound("Invitation", opts.id, "id");
    if (inv.status !== "pending" || inv.expiresAt <= new Date()) {
      throw new AppError("PRECONDITION_FAILED", `this invitation is ${inv.status === "pending" ? "expired" : inv.status}; ask for a new one`, { field: "id" });
    }
    if (inv.email.toLowerCase() !== opts.email.toLowerCase()) {
      throw new AppError("FORBIDDEN", `this invitation is for ${inv.email}; sign in with that address`, { field: "id", reason: "FORBIDDEN" });
    }
    await tx
      .insert(members)
      .values({ organizationId: inv.organizationId, userId: opts.userId, role: inv.role ?? "viewer" })
      .onConflictDoNothing();
    await tx.update(invitations).set({ status: "accepted" }).where(eq(invitations.id, inv.id));
    const [ws] = await tx.select({ slug: workspaces.slug }).from(workspaces).where(eq(workspaces.id, inv.organizationId));
    return { workspaceSlug: ws!.slug, role: inv.role ?? "viewer" };
  });
}
