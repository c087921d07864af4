/**
 * Workers as the API shows them: registered by the engine when they first poll, online while
 * their heartbeats keep coming.
 */
import { and, asc, eq, inArray } from "drizzle-orm";
import { deployments, workers, workPools } from "../../drizzle/schema";
import type { FlowRunRow } from "../engine/states";
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

/** A worker of the workspace by id; NOT_FOUND with reason WORKER_UNKNOWN (register again) if there is none. */
export async function findRegisteredWorker(opts: { db: DbOrTx; workspaceId: string; workerId: string }): Promise<WorkerRow> {
  const [worker] = await opts.db
    .select()
    .from(workers)
    .where(and(eq(workers.id, opts.workerId), eq(workers.workspaceId, opts.workspaceId)));
  if (!worker) {
    throw new AppError("NOT_FOUND", `Worker ${opts.workerId} is not registered; register again`, { field: "workerId", reason: "WORKER_UNKNOWN" });
  }
  return worker;
}

/** Claimed runs with what their deployment says about how to run them: entrypoint and job variables. */
export async function withDeploymentEntrypoints(opts: { db: DbOrTx; runs: FlowRunRow[] }) {
  const ids = [...new Set(opts.runs.map((r) => r.deploymentId).filter((id): id is string => Boolean(id)))];
  const rows = ids.length
    ? await opts.db
        .select({ id: deployments.id, entrypoint: deployments.entrypoint, jobVariables: deployments.jobVariables, pull: deployments.pull })
        .from(deployments)
        .where(inArray(deployments.id, ids))
    : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return opts.runs.map((run) => {
    const deployment = run.deploymentId ? byId.get(run.deploymentId) : undefined;
    return { ...run, entrypoint: deployment?.entrypoint ?? null, jobVariables: deployment?.jobVariables ?? {}, pull: deployment?.pull ?? null, leaseToken: run.leaseToken! };
  });
}
