/**
 * A deployed notebook's cell that names its own work pool (`target: { pool }`, e.g. train on a
 * GPU pool) runs there, not in the pipeline's worker: the pipeline's worker asks for it here and
 * gets a child run of the kind's cell deployment (`notebook-cells/<kind>-<pool>`, entrypoint
 * `kind:<kind>`, the one the notebook page sends such a cell to), made a subflow of the pipeline
 * run and of the cell's task run, so the run page lists and links it. A worker of that pool
 * claims it; the pipeline's worker waits on it (`cellRunStatus`) and reads its result.
 *
 * The server, not the worker, decides where it goes: the pool is the one the notebook version's
 * cell names, and only the worker holding the pipeline run's lease may ask (the child is
 * inserted under that lease, createFlowRun). Asking again for the same task run returns the
 * same child (its idempotency key), so a retried call never starts the work twice.
 */
import { and, eq } from "drizzle-orm";
import { deployments, flowRuns, taskRuns, workers } from "../../drizzle/schema";
import { cellDeploymentRef, CELL_FLOW, cellDeploymentName, parsePipelineEntrypoint, type Cell } from "../../common/notebook";
import type { Db, DbOrTx } from "../db/client";
import { AppError } from "../errors";
import { isTerminalState } from "../engine/state-types";
import { createDeploymentRun } from "./deployment-runs";
import { cancelFlowRun } from "./flow-runs";
import { createDeployment, findDeployment, type DeploymentRow } from "./deployments";
import { getNotebook } from "./notebooks";
import { getResult, readResultData, resultIdOfRun } from "./results";
import { getWorkPool } from "./work-pools";

/** The run's pipeline cell `cellId`, and the pipeline run's own pool (null: none). */
async function cellOfRun(db: DbOrTx, workspaceId: string, flowRunId: string, cellId: string): Promise<{ cell: Cell; notebookName: string; runPoolId: string | null }> {
  const [run] = await db
    .select({ entrypoint: deployments.entrypoint, workPoolId: flowRuns.workPoolId })
    .from(flowRuns)
    .leftJoin(deployments, eq(deployments.id, flowRuns.deploymentId))
    .where(and(eq(flowRuns.workspaceId, workspaceId), eq(flowRuns.id, flowRunId)));
  if (!run) throw AppError.notFound("Flow run", flowRunId, "flowRunId");
  const ref = parsePipelineEntrypoint(run.entrypoint);
  if (!ref) throw AppError.badRequest(`flowRunId: this run's deployment is not a deployed notebook`, "flowRunId");
  const notebook = await getNotebook({ db, workspaceId, id: ref.notebookId, version: ref.version });
  const cell = notebook.cells.find((c) => c.id === cellId);
  if (!cell) throw AppError.notFound("Cell", `"${cellId}" of notebook "${notebook.name}" version ${notebook.version}`, "cellId");
  return { cell, notebookName: notebook.name, runPoolId: run.workPoolId };
}

/** The cell deployment on the pool, made on first use (two pipelines at once: the second reads the first's). */
async function cellDeployment(db: Db, workspaceId: string, kind: string, pool: { id: string; name: string }): Promise<DeploymentRow> {
  const ref = cellDeploymentRef(kind, pool.name);
  const find = () => findDeployment({ db, workspaceId, ref });
  let deployment: DeploymentRow;
  try {
    deployment = await find();
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== "NOT_FOUND") throw err;
    try {
      await createDeployment({ db, workspaceId, flow: CELL_FLOW, name: cellDeploymentName(kind, pool.name), entrypoint: `kind:${kind}`, workPool: pool.id, description: `Notebook cells of kind ${kind} sent to pool ${pool.name}` });
      deployment = await find();
    } catch (made) {
      // Another pipeline made it first (a unique violation): read theirs; anything else stands.
      deployment = await find().catch(() => Promise.reject(made));
    }
  }
  if (deployment.workPoolId !== pool.id) {
    throw AppError.badRequest(`deployment "${ref}" no longer runs on pool "${pool.name}": set its work pool back to "${pool.name}" (it is where notebook cells of kind ${kind} sent to that pool run)`, "cellId");
  }
  return deployment;
}

export interface CellRunOptions {
  db: Db;
  workspaceId: string;
  /** The pipeline run, and the lease its worker holds on it. */
  flowRunId: string;
  leaseToken: string;
  cellId: string;
  /** The cell's task run in the pipeline run: the child stands for it. */
  taskRunId: string;
  /** The cell's parameters as filled from its inputs (JSON). */
  parameters: Record<string, unknown>;
  actor: string;
}

/** Starts (or finds again) the child run of a pipeline cell on the cell's own pool. */
export async function startCellRun(opts: CellRunOptions): Promise<{ id: string; name: string; workPoolName: string }> {
  const { cell, notebookName, runPoolId } = await cellOfRun(opts.db, opts.workspaceId, opts.flowRunId, opts.cellId);
  if (cell.target === "tab") throw AppError.badRequest(`cell "${cell.id}" names no work pool of its own: it runs in the pipeline's worker`, "cellId");
  const pool = await getWorkPool({ db: opts.db, workspaceId: opts.workspaceId, ref: cell.target.pool });
  if (pool.type !== "node") throw AppError.badRequest(`cell "${cell.id}": pool "${pool.name}" is a ${pool.type} pool; a deployed notebook's cell runs on a node pool`, "cellId");
  if (pool.id === runPoolId) throw AppError.badRequest(`cell "${cell.id}": pool "${pool.name}" is the pipeline's own pool, so the cell runs in the pipeline's worker`, "cellId");
  const [task] = await opts.db
    .select({ id: taskRuns.id })
    .from(taskRuns)
    .where(and(eq(taskRuns.workspaceId, opts.workspaceId), eq(taskRuns.id, opts.taskRunId), eq(taskRuns.flowRunId, opts.flowRunId)));
  if (!task) throw AppError.notFound("Task run", `${opts.taskRunId} of flow run ${opts.flowRunId}`, "taskRunId");
  const deployment = await cellDeployment(opts.db, opts.workspaceId, cell.kind, pool);
  const run = await createDeploymentRun({
    db: opts.db,
    deployment,
    parameters: opts.parameters,
    name: `${notebookName}-${cell.id}`.slice(0, 200),
    idempotencyKey: `pipeline-cell:${opts.taskRunId}`,
    parent: { flowRunId: opts.flowRunId, taskRunId: opts.taskRunId, leaseToken: opts.leaseToken },
    actor: opts.actor,
  });
  return { id: run.id, name: run.name, workPoolName: pool.name };
}

export interface CellRunStatus {
  id: string;
  name: string;
  stateType: (typeof flowRuns.stateType.enumValues)[number];
  stateName: string;
  stateMessage: string | null;
  /** The worker that holds or last held it. */
  workerName: string | null;
  /** Once COMPLETED: its result's id (the cell's task run points at it too) and its value, JSON as stored, or a byte result as base64 (`{ base64 }`). */
  resultId?: string | null;
  result?: unknown;
}

/** A pipeline cell's child run as its parent's worker reads it: state, and its result once done. */
export async function cellRunStatus(opts: { db: DbOrTx; workspaceId: string; flowRunId: string; childRunId: string }): Promise<CellRunStatus> {
  const [row] = await opts.db
    .select({ id: flowRuns.id, name: flowRuns.name, parent: flowRuns.parentFlowRunId, stateType: flowRuns.stateType, stateName: flowRuns.stateName, stateMessage: flowRuns.stateMessage, workerName: workers.name })
    .from(flowRuns)
    .leftJoin(workers, eq(workers.id, flowRuns.workerId))
    .where(and(eq(flowRuns.workspaceId, opts.workspaceId), eq(flowRuns.id, opts.childRunId)));
  // Only a child of the run the caller works on: a worker key of another pool reads nothing else.
  if (!row || row.parent !== opts.flowRunId) throw AppError.notFound("Cell run", `${opts.childRunId} of flow run ${opts.flowRunId}`, "childRunId");
  const { parent: _parent, ...status } = row;
  if (row.stateType !== "COMPLETED") return status;
  const resultId = await resultIdOfRun({ db: opts.db, workspaceId: opts.workspaceId, flowRunId: row.id });
  if (!resultId) return { ...status, resultId: null, result: null };
  const result = await getResult({ db: opts.db, workspaceId: opts.workspaceId, id: resultId });
  if (result.storage === "inline") return { ...status, resultId, result: result.value };
  const data = (await readResultData(result)) ?? new Uint8Array();
  return { ...status, resultId, result: result.mediaType === "application/json" ? JSON.parse(Buffer.from(data).toString("utf8")) : { base64: Buffer.from(data).toString("base64") } };
}

/**
 * A stopped pipeline's cell run on another pool is stopped too (nothing else cancels a child
 * with its parent): asked by the pipeline's worker as it stops waiting. Only a child of the
 * given run, and only while that run holds the caller's lease or has ended or is being
 * cancelled (the worker may have reported it stopped already). An ended child is left as it is.
 */
export async function cancelCellRun(opts: { db: DbOrTx; workspaceId: string; flowRunId: string; leaseToken: string; childRunId: string; actor: string }): Promise<{ id: string; stateType: CellRunStatus["stateType"] }> {
  const [parent] = await opts.db
    .select({ stateType: flowRuns.stateType, leaseToken: flowRuns.leaseToken })
    .from(flowRuns)
    .where(and(eq(flowRuns.workspaceId, opts.workspaceId), eq(flowRuns.id, opts.flowRunId)));
  if (!parent) throw AppError.notFound("Flow run", opts.flowRunId, "flowRunId");
  const [child] = await opts.db
    .select({ id: flowRuns.id, parent: flowRuns.parentFlowRunId, stateType: flowRuns.stateType })
    .from(flowRuns)
    .where(and(eq(flowRuns.workspaceId, opts.workspaceId), eq(flowRuns.id, opts.childRunId)));
  if (!child || child.parent !== opts.flowRunId) throw AppError.notFound("Cell run", `${opts.childRunId} of flow run ${opts.flowRunId}`, "childRunId");
  const stopping = isTerminalState(parent.stateType) || parent.stateType === "CANCELLING";
  if (!stopping && parent.leaseToken !== opts.leaseToken) {
    throw new AppError("CONFLICT", `flow run ${opts.flowRunId} is held under another lease and is not stopping: its cell runs are not yours to cancel`, { field: "leaseToken", reason: "LEASE_LOST" });
  }
  if (isTerminalState(child.stateType) || child.stateType === "CANCELLING") return { id: child.id, stateType: child.stateType };
  const cancelled = await cancelFlowRun({ db: opts.db, workspaceId: opts.workspaceId, id: child.id, message: `Its pipeline run ${opts.flowRunId} stopped`, actor: opts.actor });
  return { id: cancelled.id, stateType: cancelled.stateType };
}
