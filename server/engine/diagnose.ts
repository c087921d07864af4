/**
 * Why hasn't this run started? Late runs carry the answer in their state message, and the API
 * can ask at any time. The checks run from the most to the least fundamental.
 */
import { and, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import { concurrencyLimits, flowRuns, workers, workPools, workQueues } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { AppError } from "../errors";
import { ACTIVE_STATE_TYPES as ACTIVE } from "./state-types";
import type { FlowRunRow } from "./states";

function satisfies(requirements: Record<string, unknown>, capabilities: Record<string, unknown>): boolean {
  return Object.entries(requirements).every(([key, want]) => {
    const have = capabilities[key];
    if (typeof want === "boolean") return !want || have === true || (typeof have === "number" && have > 0);
    if (typeof want === "number") return typeof have === "number" && have >= want;
    return have === want;
  });
}

export async function explainWaitingRun(opts: {
  db: DbOrTx;
  run: Pick<FlowRunRow, "workspaceId" | "workPoolId" | "workQueueId" | "requirements" | "tags">;
  workerTimeoutMs: number;
  /** When "online" is judged (a worker heartbeated within workerTimeoutMs of it); the services pass their clock's. */
  now?: Date;
}): Promise<string> {
  const { db, run } = opts;
  if (!run.workPoolId) return "it has no work pool, so no worker will ever pick it up; give its deployment a work pool";
  const [pool] = await db.select().from(workPools).where(eq(workPools.id, run.workPoolId));
  if (!pool) return "its work pool no longer exists";
  if (pool.paused) return `work pool "${pool.name}" is paused`;
  if (run.workQueueId) {
    const [queue] = await db.select().from(workQueues).where(eq(workQueues.id, run.workQueueId));
    if (queue?.paused) return `work queue "${queue.name}" of pool "${pool.name}" is paused`;
    if (queue?.concurrencyLimit != null) {
      const active = await db.$count(flowRuns, and(eq(flowRuns.workQueueId, queue.id), inArray(flowRuns.stateType, [...ACTIVE])));
      if (active >= queue.concurrencyLimit) {
        return `work queue "${queue.name}" is at its concurrency limit (${active} of ${queue.concurrencyLimit} running)`;
      }
    }
  }
  const online = await db
    .select({ name: workers.name, capabilities: workers.capabilities })
    .from(workers)
    .where(
      and(
        eq(workers.workPoolId, pool.id),
        isNull(workers.stoppedAt),
        gt(workers.lastHeartbeatAt, new Date((opts.now?.getTime() ?? Date.now()) - opts.workerTimeoutMs)),
      ),
    );
  if (online.length === 0) return `no worker is online in work pool "${pool.name}"; start one with: baton worker start -p ${pool.name}`;
  if (Object.keys(run.requirements).length && !online.some((w) => satisfies(run.requirements, w.capabilities))) {
    return `no online worker in pool "${pool.name}" has what it requires (${JSON.stringify(run.requirements)}); online: ${online.map((w) => w.name).join(", ")}`;
  }
  if (pool.concurrencyLimit != null) {
    const active = await db.$count(flowRuns, and(eq(flowRuns.workPoolId, pool.id), inArray(flowRuns.stateType, [...ACTIVE])));
    if (active >= pool.concurrencyLimit) {
      return `work pool "${pool.name}" is at its concurrency limit (${active} of ${pool.concurrencyLimit} running)`;
    }
  }
  if (run.tags.length) {
    const limits = await db
      .select()
      .from(concurrencyLimits)
      .where(and(eq(concurrencyLimits.workspaceId, run.workspaceId), inArray(concurrencyLimits.tag, run.tags)));
    for (const limit of limits) {
      const active = await db.$count(
        flowRuns,
        and(
          eq(flowRuns.workspaceId, run.workspaceId),
          inArray(flowRuns.stateType, [...ACTIVE]),
          sql`${flowRuns.tags} @> ARRAY[${limit.tag}]::text[]`,
        ),
      );
      if (active >= limit.limit) return `tag "${limit.tag}" is at its concurrency limit (${active} of ${limit.limit} running)`;
    }
  }
  return `workers are online in pool "${pool.name}" but busy; it will start when one has a free slot`;
}

/** Whether a run is waiting to start and, if so, why: its schedule, or what no worker can give it. */
export async function explainFlowRun(opts: { db: DbOrTx; workspaceId: string; id: string; workerTimeoutMs: number }) {
  const [run] = await opts.db.select().from(flowRuns).where(and(eq(flowRuns.id, opts.id), eq(flowRuns.workspaceId, opts.workspaceId)));
  if (!run) throw AppError.notFound("Flow run", opts.id, "id");
  const waiting = run.stateType === "SCHEDULED";
  const reason = !waiting
    ? null
    : run.scheduledTime > new Date()
      ? `it is scheduled for ${run.scheduledTime.toISOString()}`
      : await explainWaitingRun({ db: opts.db, run, workerTimeoutMs: opts.workerTimeoutMs });
  return { stateType: run.stateType, stateName: run.stateName, waiting, reason };
}
