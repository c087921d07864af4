/**
 * Work pools and their queues. A pool is where work goes (browser tabs, Node workers, or a
 * command per run); every pool has a `default` queue, made with it, as in Prefect.
 */
import { and, asc, eq } from "drizzle-orm";
import { workPools, workQueues } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { AppError } from "../errors";

export type WorkPoolType = (typeof workPools.type.enumValues)[number];
export type WorkPoolRow = typeof workPools.$inferSelect;
export type WorkQueueRow = typeof workQueues.$inferSelect;

export const DEFAULT_QUEUE_NAME = "default";

export async function createWorkPool(opts: {
  db: DbOrTx;
  workspaceId: string;
  name: string;
  type: WorkPoolType;
  description?: string | null;
  concurrencyLimit?: number | null;
  paused?: boolean;
  baseJobTemplate?: Record<string, unknown>;
}): Promise<WorkPoolRow> {
  // The pool and its default queue are written together or not at all.
  return opts.db.transaction(async (tx) => {
    const [pool] = await tx
      .insert(workPools)
      .values({
        workspaceId: opts.workspaceId,
        name: opts.name,
        type: opts.type,
        description: opts.description ?? null,
        concurrencyLimit: opts.concurrencyLimit ?? null,
        paused: opts.paused ?? false,
        baseJobTemplate: opts.baseJobTemplate ?? {},
      })
      .returning();
    await tx.insert(workQueues).values({
      workspaceId: opts.workspaceId,
      workPoolId: pool!.id,
      name: DEFAULT_QUEUE_NAME,
      description: "The pool's default queue",
      priority: 1,
    });
    return pool!;
  });
}

/** Finds a pool by id or by name; NOT_FOUND names what was asked for. */
export async function getWorkPool(opts: { db: DbOrTx; workspaceId: string; ref: string }): Promise<WorkPoolRow> {
  const byId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(opts.ref);
  const [pool] = await opts.db
    .select()
    .from(workPools)
    .where(
      and(eq(workPools.workspaceId, opts.workspaceId), byId ? eq(workPools.id, opts.ref) : eq(workPools.name, opts.ref)),
    );
  if (!pool) throw AppError.notFound("Work pool", `"${opts.ref}"`, "workPool");
  return pool;
}

export async function listWorkPools(opts: { db: DbOrTx; workspaceId: string }): Promise<WorkPoolRow[]> {
  return opts.db.select().from(workPools).where(eq(workPools.workspaceId, opts.workspaceId)).orderBy(asc(workPools.name));
}

export async function updateWorkPool(opts: {
  db: DbOrTx;
  workspaceId: string;
  ref: string;
  patch: Partial<Pick<WorkPoolRow, "description" | "concurrencyLimit" | "paused" | "baseJobTemplate">>;
}): Promise<WorkPoolRow> {
  const pool = await getWorkPool(opts);
  const [updated] = await opts.db
    .update(workPools)
    .set({ ...opts.patch, updatedAt: new Date() })
    .where(eq(workPools.id, pool.id))
    .returning();
  return updated!;
}

export async function deleteWorkPool(opts: { db: DbOrTx; workspaceId: string; ref: string }): Promise<void> {
  const pool = await getWorkPool(opts);
  await opts.db.delete(workPools).where(eq(workPools.id, pool.id));
}
