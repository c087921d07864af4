/**
 * Workers as the API shows them: registered by the engine when they first poll, online while
 * their heartbeats keep coming.
 */
import { and, asc, eq } from "drizzle-orm";
import { workers, workPools } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { AppError } from "../errors";
import { getWorkPool } from "./work-pools";

export type WorkerRow = typeof workers.$inferSelect;
export type WorkerStatus = "ONLINE" | "OFFLINE";
export type WorkerView = WorkerRow & { workPoolName: string; status: WorkerStatus };

/**
 * Offline once stopped, or silent for longer than the engine's worker timeout — the same
 * threshold at which the zombie killer takes its runs back, so the UI and the engine agree.
 */
export function workerStatus(
  row: Pick<WorkerRow, "lastHeartbeatAt" | "stoppedAt">,
  offlineAfterMs: number,
  now = Date.now(),
): WorkerStatus {
  if (row.stoppedAt) return "OFFLINE";
  return now - row.lastHeartbeatAt.getTime() <= offlineAfterMs ? "ONLINE" : "OFFLINE";
}

export async function listWorkers(opts: {
  db: DbOrTx;
  workspaceId: string;
  workPool: string;
  offlineAfterMs: number;
}): Promise<WorkerView[]> {
  const pool = await getWorkPool({ db: opts.db, workspaceId: opts.workspaceId, ref: opts.workPool });
  const rows = await opts.db.select().from(workers).where(eq(workers.workPoolId, pool.id)).orderBy(asc(workers.name));
  const now = Date.now();
  return rows.map((w) => ({ ...w, workPoolName: pool.name, status: workerStatus(w, opts.offlineAfterMs, now) }));
}

export async function getWorker(opts: {
  db: DbOrTx;
  workspaceId: string;
  id: string;
  offlineAfterMs: number;
}): Promise<WorkerView> {
  const [row] = await opts.db
    .select({ worker: workers, workPoolName: workPools.name })
    .from(workers)
    .innerJoin(workPools, eq(workPools.id, workers.workPoolId))
    .where(and(eq(workers.id, opts.id), eq(workers.workspaceId, opts.workspaceId)));
  if (!row) throw AppError.notFound("Worker", opts.id, "id");
  return { ...row.worker, workPoolName: row.workPoolName, status: workerStatus(row.worker, opts.offlineAfterMs) };
}
