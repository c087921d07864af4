/**
 * The one way a deployment becomes a flow run: `deployments.run`, the scheduler (and later the
 * notebooks) all call `createDeploymentRun`, so every run of a deployment gets the same
 * defaults overlaid with the caller's parameters, the same schema check, the same placement
 * (its queue, or its pool's default queue when the queue was deleted) and the same run policy
 * (the deployment's `policy`, copied onto the run's own columns).
 */
import type { DbOrTx } from "../db/client";
import { AppError } from "../errors";
import { deploymentRunPolicy } from "./deployment-policy";
import { findDeployment, type DeploymentRow } from "./deployments";
import { createFlowRun, type FlowRunView } from "./flow-runs";
import { checkParameters } from "./parameters";
import { resolveQueue } from "./work-queues";
import { getWorkPool } from "./work-pools";

export interface DeploymentRunOptions {
  db: DbOrTx;
  /** The deployment, as the caller read it. */
  deployment: DeploymentRow;
  parameters?: Record<string, unknown>;
  scheduledTime?: Date;
  idempotencyKey?: string | null;
  /** Added to the deployment's tags. */
  tags?: string[];
  priority?: number;
  name?: string | null;
  /** Made by the scheduler for one of the deployment's schedules. */
  autoScheduled?: boolean;
  /**
   * Refuse when the deployment has no work pool (none was set, or it was deleted): such a run
   * would wait forever. The scheduler asks for it; a caller running by hand is warned instead.
   */
  requireWorkPool?: boolean;
  /**
   * A child of a run a worker holds (a deployed notebook's cell on its own pool): its parent run
   * and task run, and the worker's lease on the parent, checked where the child is inserted.
   */
  parent?: { flowRunId: string; taskRunId?: string; leaseToken: string };
  actor: string;
}

export async function createDeploymentRun(opts: DeploymentRunOptions): Promise<FlowRunView> {
  const { deployment, db } = opts;
  if (deployment.paused) {
    throw new AppError("PRECONDITION_FAILED", `deployment "${deployment.name}" is paused; resume it to run it`, {
      field: "deployment",
    });
  }
  if (opts.requireWorkPool && !deployment.workPoolId) {
    throw new AppError(
      "PRECONDITION_FAILED",
      `deployment "${deployment.name}" has no work pool (none was set, or it was deleted), so no worker would take its runs; give it one with deployments.update`,
      { field: "workPool" },
    );
  }
  const parameters = { ...deployment.parameters, ...opts.parameters };
  if (deployment.enforceParameterSchema && deployment.parameterSchema) {
    checkParameters({ schema: deployment.parameterSchema, parameters });
  }
  let workQueueId = deployment.workQueueId;
  if (deployment.workPoolId && !workQueueId) {
    // Its queue was deleted since: the pool's default queue takes the run.
    const pool = await getWorkPool({ db, workspaceId: deployment.workspaceId, ref: deployment.workPoolId });
    workQueueId = (await resolveQueue({ db, pool })).id;
  }
  return createFlowRun({
    db,
    workspaceId: deployment.workspaceId,
    flowId: deployment.flowId,
    deploymentId: deployment.id,
    workPoolId: deployment.workPoolId,
    workQueueId,
    parameters,
    tags: [...deployment.tags, ...(opts.tags ?? [])],
    priority: opts.priority,
    scheduledTime: opts.scheduledTime,
    idempotencyKey: opts.idempotencyKey,
    name: opts.name,
    autoScheduled: opts.autoScheduled,
    policy: deploymentRunPolicy(deployment.policy),
    code: { bundleId: deployment.codeBundleId, version: deployment.codeVersion },
    ...(opts.parent ? { parentFlowRunId: opts.parent.flowRunId, parentTaskRunId: opts.parent.taskRunId, parentLeaseToken: opts.parent.leaseToken, requireLease: true } : {}),
    actor: opts.actor,
  });
}

/** `deployments.run`: finds the deployment by reference, then makes the run as every caller does. */
export async function runDeployment(
  opts: Omit<DeploymentRunOptions, "deployment" | "autoScheduled" | "requireWorkPool"> & { workspaceId: string; ref: string },
): Promise<FlowRunView> {
  const { workspaceId, ref, ...rest } = opts;
  const deployment = await findDeployment({ db: opts.db, workspaceId, ref });
  return createDeploymentRun({ ...rest, deployment });
}
