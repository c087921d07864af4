/**
 * Running a deployment: its defaults overlaid with the caller's parameters, checked against
 * its schema, and a flow run made in its pool and queue.
 */
import type { DbOrTx } from "../db/client";
import { AppError } from "../errors";
import { deploymentRunPolicy } from "./deployment-policy";
import { findDeployment } from "./deployments";
import { createFlowRun, type FlowRunView } from "./flow-runs";
import { checkParameters } from "./parameters";
import { resolveQueue } from "./work-queues";
import { getWorkPool } from "./work-pools";

export async function runDeployment(opts: {
  db: DbOrTx;
  workspaceId: string;
  ref: string;
  parameters?: Record<string, unknown>;
  scheduledTime?: Date;
  idempotencyKey?: string | null;
  tags?: string[];
  priority?: number;
  name?: string | null;
  actor: string;
}): Promise<FlowRunView> {
  const deployment = await findDeployment({ db: opts.db, workspaceId: opts.workspaceId, ref: opts.ref });
  if (deployment.paused) {
    throw new AppError("PRECONDITION_FAILED", `deployment "${deployment.name}" is paused; resume it to run it`, {
      field: "deployment",
    });
  }
  const parameters = { ...deployment.parameters, ...opts.parameters };
  if (deployment.enforceParameterSchema && deployment.parameterSchema) {
    checkParameters({ schema: deployment.parameterSchema, parameters });
  }
  let workQueueId = deployment.workQueueId;
  if (deployment.workPoolId && !workQueueId) {
    // Its queue was deleted since: the pool's default queue takes the run.
    const pool = await getWorkPool({ db: opts.db, workspaceId: opts.workspaceId, ref: deployment.workPoolId });
    workQueueId = (await resolveQueue({ db: opts.db, pool })).id;
  }
  return createFlowRun({
    db: opts.db,
    workspaceId: opts.workspaceId,
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
    policy: deploymentRunPolicy(deployment.parameterSchema),
    actor: opts.actor,
  });
}
