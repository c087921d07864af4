/**
 * Work queues: lanes inside a pool, each with a priority (lower first) and an optional
 * concurrency limit. Every pool has a `default` queue, which cannot be deleted.
 */
import { and, asc, eq } from "drizzle-orm";
import { workQueues } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { AppError } from "../errors";
import { isUuid } from "./refs";
import { DEFAULT_QUEUE_NAME, getWorkPool, type WorkQueueRow } from "./work-pools";

export type WorkQueueWithPool = WorkQueueRow & { workPoolName: string };

/** A queue of a pool, by id or name; NOT_FOUND names both. */
export async function findWorkQueue(opts: {
  db: DbOrTx;
  workPoolId: string;
  workPoolName: string;
  ref: string;
  field?: string;
}): Promise<WorkQueueRow> {
  const [queue] = await opts.db
    .select()
    .from(workQueues)
    .where(
      and(
        eq(workQueues.workPoolId, opts.workPoolId),
        isUuid(opts.ref) ? eq(workQueues.id, opts.ref) : eq(workQueues.name, opts.ref),
      ),
    );
  if (!queue) {
    throw AppError.notFound("Work queue", `"${opts.ref}" in work pool "${opts.workPoolName}"`, opts.field ?? "workQueue");
  }
  return queue;
}

/** The queue a run or deployment goes to: the one named, or the pool's default queue. */
export async function resolveQueue(opts: {
  db: DbOrTx;
  pool: { id: string; name: string };
  ref?: string | null;
}): Promise<WorkQueueRow> {
  return findWorkQueue({
    db: opts.db,
    workPoolId: opts.pool.id,
    workPoolName: opts.pool.name,
    ref: opts.ref ?? DEFAULT_QUEUE_NAME,
  });
}

export async function getWorkQueue(opts: {
  db: DbOrTx;
  workspaceId: string;
  workPool: string;
  workQueue: string;
}): Promise<WorkQueueWithPool> {
  const pool = await getWorkPool({ db: opts.db, workspaceId: opts.workspaceId, ref: opts.workPool });
  const queue = await resolveQueue({ db: opts.db, pool, ref: opts.workQueue });
  return { ...queue, workPoolName: pool.name };
}

export async function listWorkQueues(opts: { db: DbOrTx; workspaceId: string; workPool: string }): Promise<WorkQueueWithPool[]> {
  const pool = await getWorkPool({ db: opts.db, workspaceId: opts.workspaceId, ref: opts.workPool });
  const rows = await opts.db
    .select()
    .from(workQueues)
    .where(eq(workQueues.workPoolId, pool.id))
    .orderBy(asc(workQueues.priority), asc(workQueues.name));
  return rows.map((q) => ({ ...q, workPoolName: pool.name }));
}

export async function createWorkQueue(opts: {
  db: DbOrTx;
  workspaceId: string;
  workPool: string;
  name: string;
  priority?: number;
  concurrencyLimit?: number | null;
  paused?: boolean;
  description?: string | null;
}): Promise<WorkQueueWithPool> {
  const pool = await getWorkPool({ db: opts.db, workspaceId: opts.workspaceId, ref: opts.workPool });
  const [queue] = await opts.db
    .insert(workQueues)
    .values({
      workspaceId: opts.workspaceId,
      workPoolId: pool.id,
      name: opts.name,
      priority: opts.priority ?? 1,
      concurrencyLimit: opts.concurrencyLimit ?? null,
      paused: opts.paused ?? false,
      description: opts.description ?? null,
    })
    .returning();
  return { ...queue!, workPoolName: pool.name };
}

export async function updateWorkQueue(opts: {
  db: DbOrTx;
  workspaceId: string;
  workPool: string;
  workQueue: string;
  patch: Partial<Pick<WorkQueueRow, "priority" | "concurrencyLimit" | "paused" | "description">>;
}): Promise<WorkQueueWithPool> {
  const current = await getWorkQueue(opts);
  const [queue] = await opts.db
    .update(workQueues)
    .set({ ...opts.patch, updatedAt: new Date() })
    .where(eq(workQueues.id, current.id))
    .returning();
  return { ...queue!, workPoolName: current.workPoolName };
}

export async function deleteWorkQueue(opts: {
  db: DbOrTx;
  workspaceId: string;
  workPool: string;
  workQueue: string;
}): Promise<void> {
  const queue = await getWorkQueue(opts);
  // Runs and deployments fall back to the default queue when they name none, so it must stay.
  if (queue.name === DEFAULT_QUEUE_NAME) {
    throw new AppError("PRECONDITION_FAILED", `the "${DEFAULT_QUEUE_NAME}" queue of a work pool cannot be deleted`, {
      field: "workQueue",
    });
  }
  await opts.db.delete(workQueues).where(eq(workQueues.id, queue.id));
}


/**
 * Where a deployment or run goes, from a pool ref and a queue name. `undefined` for both means
 * "unchanged" (undefined is returned); a null pool clears both; a queue alone is looked up in
 * the current pool; a pool with no queue named gets its default queue.
 */
export async function resolvePlacement(opts: {
  db: DbOrTx;
  workspaceId: string;
  workPool?: string | null;
  workQueue?: string | null;
  currentWorkPoolId?: string | null;
}): Promise<{ workPoolId: string | null; workQueueId: string | null } | undefined> {
  if (opts.workPool === undefined && opts.workQueue === undefined) return undefined;
  const poolRef = opts.workPool !== undefined ? opts.workPool : (opts.currentWorkPoolId ?? null);
  if (poolRef === null) {
    if (opts.workQueue) throw AppError.badRequest("workQueue: a work queue needs a work pool (give workPool)", "workQueue");
    return { workPoolId: null, workQueueId: null };
  }
  const pool = await getWorkPool({ db: opts.db, workspaceId: opts.workspaceId, ref: poolRef });
  const queue = await resolveQueue({ db: opts.db, pool, ref: opts.workQueue });
  return { workPoolId: pool.id, workQueueId: queue.id };
}
