/**
 * Flow runs: creating them (always in SCHEDULED, with the first history row in the same
 * transaction), reading them with the names of what they belong to, and cancelling them.
 * Every state change goes through server/engine/transitions.ts, under the rules in server/engine/states.ts.
 */
import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { deployments, flowRuns, flows, stateHistory, workPools, workQueues } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import type { FlowRunRow } from "../engine/states";
import { NO_LEASE, insertSelectParts, leaseAllows, leaseOfRun, leaseRefusal } from "../engine/leases";
import { rowsOf } from "../engine/rows";
import { setRunState } from "../engine/transitions";
import { AppError } from "../errors";
import { generateRunName } from "./run-names";

export type FlowRunView = FlowRunRow & {
  flowName: string;
  deploymentName: string | null;
  workPoolName: string | null;
  workQueueName: string | null;
};
export type StateHistoryRow = typeof stateHistory.$inferSelect;

const runDeployment = alias(deployments, "run_deployment");

/** The run with the names the UI shows beside the ids. */
export function selectFlowRunViews<E extends Record<string, SQL>>(db: DbOrTx, extra: E = {} as E) {
  return db
    .select({
      run: flowRuns,
      flowName: flows.name,
      deploymentName: runDeployment.name,
      workPoolName: workPools.name,
      workQueueName: workQueues.name,
      ...extra,
    })
    .from(flowRuns)
    .innerJoin(flows, eq(flows.id, flowRuns.flowId))
    .leftJoin(runDeployment, eq(runDeployment.id, flowRuns.deploymentId))
    .leftJoin(workPools, eq(workPools.id, flowRuns.workPoolId))
    .leftJoin(workQueues, eq(workQueues.id, flowRuns.workQueueId));
}

export function toFlowRunView(row: {
  run: FlowRunRow;
  flowName: string;
  deploymentName: string | null;
  workPoolName: string | null;
  workQueueName: string | null;
}): FlowRunView {
  return {
    ...row.run,
    flowName: row.flowName,
    deploymentName: row.deploymentName,
    workPoolName: row.workPoolName,
    workQueueName: row.workQueueName,
  };
}

export async function getFlowRun(opts: { db: DbOrTx; workspaceId: string; id: string; field?: string }): Promise<FlowRunView> {
  const [row] = await selectFlowRunViews(opts.db).where(
    and(eq(flowRuns.id, opts.id), eq(flowRuns.workspaceId, opts.workspaceId)),
  );
  if (!row) throw AppError.notFound("Flow run", opts.id, opts.field ?? "id");
  return toFlowRunView(row);
}

/**
 * That the run exists in the workspace (NOT_FOUND naming `field` if not), without reading its
 * view: for callers that need only the check, on the workers' path (a task run's creation).
 */
export async function requireFlowRun(opts: { db: DbOrTx; workspaceId: string; id: string; field?: string }): Promise<void> {
  const [row] = await opts.db
    .select({ id: flowRuns.id })
    .from(flowRuns)
    .where(and(eq(flowRuns.id, opts.id), eq(flowRuns.workspaceId, opts.workspaceId)));
  if (!row) throw AppError.notFound("Flow run", opts.id, opts.field ?? "id");
}

export interface CreateFlowRunOptions {
  db: DbOrTx;
  workspaceId: string;
  flowId: string;
  deploymentId?: string | null;
  workPoolId?: string | null;
  workQueueId?: string | null;
  parentFlowRunId?: string | null;
  /** For a subflow: the task run of the parent that stands for the call. */
  parentTaskRunId?: string | null;
  /** For a subflow made by a worker: the lease token of its parent (of its top-level run). */
  parentLeaseToken?: string | null;
  /** Refuse a subflow without that token while a worker holds the parent (a worker key's call). */
  requireLease?: boolean;
  parameters?: Record<string, unknown>;
  tags?: string[];
  priority?: number;
  scheduledTime?: Date;
  idempotencyKey?: string | null;
  name?: string | null;
  /** Made by the scheduler (withdrawn again if its deployment is paused). */
  autoScheduled?: boolean;
  /** Retries, timeout and what a worker must offer. */
  policy?: RunPolicy;
  /** The delivered code it runs (its deployment's at the time): kept with the run. */
  code?: { bundleId: string | null; version: string | null };
  actor: string;
}

export interface RunPolicy {
  maxRetries?: number;
  retryDelaySeconds?: number;
  retryBackoff?: number;
  retryJitter?: number;
  timeoutSeconds?: number | null;
  requirements?: Record<string, unknown>;
}

/**
 * Creates a run in SCHEDULED. With an idempotency key already used for this flow, returns the
 * run made the first time instead (a retried request must not start the work twice).
 *
 * A subflow made by a worker carries the lease of its parent (its top-level run's): one
 * statement checks it against that row, share-locked, inserts the run only under it and writes
 * the first history row, so a worker that lost the run adds nothing to it.
 */
export async function createFlowRun(opts: CreateFlowRunOptions): Promise<FlowRunView> {
  const claim = { token: opts.parentLeaseToken ?? null, strict: opts.requireLease === true };
  if (!opts.parentFlowRunId && claim.token) throw AppError.badRequest("parentLeaseToken: only a subflow (parentFlowRunId) carries its parent's lease", "parentLeaseToken");
  const values: Partial<typeof flowRuns.$inferInsert> = {
    workspaceId: opts.workspaceId,
    flowId: opts.flowId,
    deploymentId: opts.deploymentId ?? null,
    workPoolId: opts.workPoolId ?? null,
    workQueueId: opts.workQueueId ?? null,
    parentFlowRunId: opts.parentFlowRunId ?? null,
    parentTaskRunId: opts.parentTaskRunId ?? null,
    name: opts.name ?? generateRunName(),
    stateType: "SCHEDULED",
    stateName: "Scheduled",
    parameters: opts.parameters ?? {},
    tags: [...new Set(opts.tags ?? [])],
    priority: opts.priority ?? 0,
    scheduledTime: opts.scheduledTime ?? new Date(),
    idempotencyKey: opts.idempotencyKey ?? null,
    autoScheduled: opts.autoScheduled ?? false,
    ...opts.policy,
    ...(opts.code?.version ? { codeBundleId: opts.code.bundleId, codeVersion: opts.code.version } : {}),
    createdBy: opts.actor,
  };
  const { names, params } = insertSelectParts(flowRuns, values);
  const parent = opts.parentFlowRunId ? sql`${leaseOfRun(opts.parentFlowRunId, opts.workspaceId, claim)},` : sql`${NO_LEASE},`;
  const result = await opts.db.execute(sql`
    WITH RECURSIVE ${parent}
    ins AS (
      INSERT INTO ${flowRuns} (${names})
      SELECT ${params} FROM lease p
      WHERE ${leaseAllows(claim, sql`p.lease_token`)}
      -- A concurrent request with the same key waits here for the first to commit, then reads it below.
      ON CONFLICT (flow_id, idempotency_key) DO NOTHING
      RETURNING id, workspace_id
    ),
    hist AS (
      INSERT INTO ${stateHistory} (workspace_id, flow_run_id, from_type, from_name, to_type, to_name, actor)
      SELECT workspace_id, id, NULL, NULL, 'SCHEDULED', 'Scheduled', ${opts.actor} FROM ins
    )
    SELECT (SELECT count(*) FROM lease)::int AS parents, (SELECT lease_run_id FROM lease) AS lease_run_id,
      (SELECT lease_token FROM lease) AS lease_token, (SELECT id FROM ins) AS id`);
  const row = rowsOf(result)[0] as { parents: number; lease_run_id: string | null; lease_token: string | null; id: string | null };
  // parent_flow_run_id has no foreign key (a parent may be deleted before its children's history is read).
  if (row.parents === 0) throw AppError.notFound("Flow run", opts.parentFlowRunId!, "parentFlowRunId");
  if (opts.parentFlowRunId) {
    const refused = leaseRefusal(claim, { runId: opts.parentFlowRunId, leaseRunId: row.lease_run_id!, leaseToken: row.lease_token }, "its subflow runs");
    if (refused) throw refused;
  }
  let id = row.id;
  if (!id) {
    const [existing] = await opts.db
      .select({ id: flowRuns.id })
      .from(flowRuns)
      .where(and(eq(flowRuns.flowId, opts.flowId), eq(flowRuns.idempotencyKey, opts.idempotencyKey!)));
    if (!existing) throw AppError.conflict("a run with this idempotency key was being created; try again", "idempotencyKey");
    id = existing.id;
  }
  return getFlowRun({ db: opts.db, workspaceId: opts.workspaceId, id });
}

export async function flowRunHistory(opts: { db: DbOrTx; workspaceId: string; id: string }): Promise<StateHistoryRow[]> {
  await getFlowRun(opts);
  return opts.db
    .select()
    .from(stateHistory)
    .where(and(eq(stateHistory.flowRunId, opts.id), eq(stateHistory.workspaceId, opts.workspaceId)))
    .orderBy(asc(stateHistory.id));
}

/**
 * Cancels a run. One that has not started is CANCELLED at once; a running one becomes
 * CANCELLING until its worker confirms. Anything else is refused by the state machine, whose
 * reason the caller sees.
 */
export async function cancelFlowRun(opts: {
  db: DbOrTx;
  workspaceId: string;
  id: string;
  message?: string | null;
  actor: string;
}): Promise<FlowRunView> {
  const run = await getFlowRun(opts);
  const needsWorker = run.stateType === "RUNNING" || run.stateType === "CANCELLING";
  await setRunState({
    db: opts.db,
    workspaceId: opts.workspaceId,
    kind: "flow",
    runId: run.id,
    to: { type: needsWorker ? "CANCELLING" : "CANCELLED", message: opts.message ?? `Cancelled by ${opts.actor}` },
    actor: opts.actor,
    // If a worker started it meanwhile, going straight to CANCELLED would skip telling the worker.
    expectedVersion: run.stateVersion,
  });
  return getFlowRun(opts);
}
