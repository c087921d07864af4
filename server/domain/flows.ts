/**
 * Flows: named units of workflow logic. Listed with how many deployments each has and when it
 * last got a run, which is what the flows page shows.
 */
import { and, asc, eq, gt, sql } from "drizzle-orm";
import { deployments, flowRuns, flows } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { AppError } from "../errors";
import { decodeCursor, encodeCursor, isUuid } from "./refs";
import { z } from "zod";

export type FlowRow = typeof flows.$inferSelect;
export type FlowWithStats = FlowRow & { deploymentCount: number; lastRunAt: Date | null };

// Table-qualified by hand: drizzle leaves columns unqualified in a one-table select, which
// would make `flow_id = id` inside the subquery compare the subquery's own columns.
const withStats = {
  deploymentCount: sql<number>`(select count(*)::int from ${deployments} d where d.flow_id = ${flows}.id)`.mapWith(Number),
  // When a run was last made for it (by a user, a deployment or the scheduler).
  lastRunAt: sql<Date | null>`(select max(r.created_at) from ${flowRuns} r where r.flow_id = ${flows}.id)`.mapWith(
    flowRuns.createdAt,
  ),
};

export const flowRef = (workspaceId: string, ref: string) =>
  and(eq(flows.workspaceId, workspaceId), isUuid(ref) ? eq(flows.id, ref) : eq(flows.name, ref));

/** Finds a flow by id or name; NOT_FOUND names what was asked for. */
export async function findFlow(opts: { db: DbOrTx; workspaceId: string; ref: string; field?: string }): Promise<FlowRow> {
  const [row] = await opts.db.select().from(flows).where(flowRef(opts.workspaceId, opts.ref));
  if (!row) throw AppError.notFound("Flow", `"${opts.ref}"`, opts.field ?? "flow");
  return row;
}

export async function getFlow(opts: { db: DbOrTx; workspaceId: string; ref: string }): Promise<FlowWithStats> {
  const [row] = await opts.db
    .select({ flow: flows, ...withStats })
    .from(flows)
    .where(flowRef(opts.workspaceId, opts.ref));
  if (!row) throw AppError.notFound("Flow", `"${opts.ref}"`, "flow");
  return { ...row.flow, deploymentCount: row.deploymentCount, lastRunAt: row.lastRunAt };
}

export async function createFlow(opts: {
  db: DbOrTx;
  workspaceId: string;
  name: string;
  description?: string | null;
  tags?: string[];
}): Promise<FlowWithStats> {
  const [row] = await opts.db
    .insert(flows)
    .values({
      workspaceId: opts.workspaceId,
      name: opts.name,
      description: opts.description ?? null,
      tags: opts.tags ?? [],
    })
    .returning();
  return { ...row!, deploymentCount: 0, lastRunAt: null };
}

/** The flow a ref names, created (by name) when it does not exist yet, as deployments do. */
export async function findOrCreateFlow(opts: { db: DbOrTx; workspaceId: string; ref: string }): Promise<FlowRow> {
  const [found] = await opts.db.select().from(flows).where(flowRef(opts.workspaceId, opts.ref));
  if (found) return found;
  if (isUuid(opts.ref)) throw AppError.notFound("Flow", `"${opts.ref}"`, "flow");
  // Two deployments of a new flow may be created at once: the loser of the race reads the winner's row.
  await opts.db
    .insert(flows)
    .values({ workspaceId: opts.workspaceId, name: opts.ref })
    .onConflictDoNothing({ target: [flows.workspaceId, flows.name] });
  return findFlow(opts);
}

const flowCursor = z.object({ n: z.string() });

/** Flows by name; names are unique in a workspace, so the name alone is the keyset. */
export async function listFlows(opts: {
  db: DbOrTx;
  workspaceId: string;
  limit?: number;
  cursor?: string | null;
}): Promise<{ items: FlowWithStats[]; nextCursor: string | null }> {
  const limit = opts.limit ?? 100;
  const after = opts.cursor ? decodeCursor(opts.cursor, flowCursor).n : undefined;
  const rows = await opts.db
    .select({ flow: flows, ...withStats })
    .from(flows)
    .where(and(eq(flows.workspaceId, opts.workspaceId), after !== undefined ? gt(flows.name, after) : undefined))
    .orderBy(asc(flows.name))
    .limit(limit + 1);
  const page = rows.slice(0, limit).map((r) => ({ ...r.flow, deploymentCount: r.deploymentCount, lastRunAt: r.lastRunAt }));
  const nextCursor = rows.length > limit ? encodeCursor({ n: page[page.length - 1]!.name }) : null;
  return { items: page, nextCursor };
}

export async function deleteFlow(opts: { db: DbOrTx; workspaceId: string; ref: string }): Promise<void> {
  const flow = await findFlow(opts);
  // Deployments, runs and their history go with it (ON DELETE CASCADE).
  await opts.db.delete(flows).where(eq(flows.id, flow.id));
}
