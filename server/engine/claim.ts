/**
 * Claiming runs for a worker: one call to the SQL function `baton_claim_flow_runs`, whose one
 * definition — and the reasons and benchmark figures behind its shape — is
 * ./sql/claim-flow-runs.ts (installed at migrate by ./sql/install.ts; change it there, not in a
 * migration). It picks due runs with FOR UPDATE SKIP LOCKED in priority order, honours paused
 * pools and queues, concurrency limits and capabilities, moves them to PENDING (or RUNNING),
 * hands out a lease token and records the transitions — in one round trip. A worker that said
 * goodbye, or whose last heartbeat is older than the worker timeout, is handed nothing (an empty
 * claim): the zombie killer would take such runs back while they ran. Its next heartbeat revives it.
 */
import { sql } from "drizzle-orm";
import { flowRuns } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { mapRow, rowsOf } from "./rows";
import type { FlowRunRow } from "./states";

export interface ClaimOptions {
  db: DbOrTx;
  workspaceId: string;
  workPoolId: string;
  /** Only these queues of the pool; all of them when absent. */
  workQueueIds?: string[];
  workerId: string;
  /** Claim at most this many (a worker asks for its free slots). */
  max: number;
  capabilities: Record<string, unknown>;
  /** Start the runs at once (RUNNING) instead of PENDING — for workers that run in-process. */
  start?: boolean;
  actor: string;
  /**
   * The server's worker timeout (BATON_WORKER_TIMEOUT_S): a worker whose last heartbeat is
   * older than this gets no runs until it heartbeats again.
   */
  workerTimeoutMs: number;
}

export async function claimFlowRuns(opts: ClaimOptions): Promise<FlowRunRow[]> {
  if (opts.max <= 0) return [];
  const queueIds = opts.workQueueIds?.length
    ? sql`ARRAY[${sql.join(opts.workQueueIds.map((id) => sql`${id}`), sql`, `)}]::uuid[]`
    : sql`NULL::uuid[]`;
  const result = await opts.db.execute(sql`
    SELECT * FROM baton_claim_flow_runs(
      ${opts.workspaceId}::uuid, ${opts.workPoolId}::uuid, ${queueIds}, ${opts.workerId}::uuid,
      ${opts.max}::int, ${JSON.stringify(opts.capabilities)}::jsonb, ${opts.start ?? false}::boolean, ${opts.actor}::text,
      ${Math.round(opts.workerTimeoutMs)}::bigint)`);
  const runs = rowsOf(result).map((row) => mapRow(flowRuns, row));
  // The set comes back in no particular order; hand it out by run priority, then time (within
  // one claim the queues' priorities already chose which runs these are).
  return runs.sort(
    (a, b) => a.priority - b.priority || a.scheduledTime.getTime() - b.scheduledTime.getTime(),
  );
}
