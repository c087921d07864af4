/**
 * The run list: newest first, filtered, keyset-paginated on (created_at, id) so that pages stay
 * stable while new runs arrive and deep pages cost what the first one does.
 */
import { and, arrayContains, desc, eq, inArray, sql } from "drizzle-orm";
import { flowRuns } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import type { StateType } from "../engine/states";
import { findDeployment } from "./deployments";
import { findFlow } from "./flows";
import { selectFlowRunViews, toFlowRunView, type FlowRunView } from "./flow-runs";
import { decodeCursor, encodeCursor, preciseTimestamp, timeCursorSchema } from "./refs";
import { getWorkPool } from "./work-pools";

export const DEFAULT_RUN_PAGE = 50;

export async function listFlowRuns(opts: {
  db: DbOrTx;
  workspaceId: string;
  states?: StateType[];
  flow?: string;
  deployment?: string;
  workPool?: string;
  tags?: string[];
  parentFlowRunId?: string;
  limit?: number;
  cursor?: string | null;
}): Promise<{ items: FlowRunView[]; nextCursor: string | null }> {
  const limit = opts.limit ?? DEFAULT_RUN_PAGE;
  const after = opts.cursor ? decodeCursor(opts.cursor, timeCursorSchema) : undefined;
  const { db, workspaceId } = opts;
  const flow = opts.flow ? await findFlow({ db, workspaceId, ref: opts.flow }) : undefined;
  const deployment = opts.deployment ? await findDeployment({ db, workspaceId, ref: opts.deployment }) : undefined;
  const pool = opts.workPool ? await getWorkPool({ db, workspaceId, ref: opts.workPool }) : undefined;
  const rows = await selectFlowRunViews(db, { cursorTime: preciseTimestamp(flowRuns.createdAt) })
    .where(
      and(
        eq(flowRuns.workspaceId, workspaceId),
        opts.states?.length ? inArray(flowRuns.stateType, opts.states) : undefined,
        flow ? eq(flowRuns.flowId, flow.id) : undefined,
        deployment ? eq(flowRuns.deploymentId, deployment.id) : undefined,
        pool ? eq(flowRuns.workPoolId, pool.id) : undefined,
        opts.tags?.length ? arrayContains(flowRuns.tags, opts.tags) : undefined,
        opts.parentFlowRunId ? eq(flowRuns.parentFlowRunId, opts.parentFlowRunId) : undefined,
        after ? sql`(${flowRuns.createdAt}, ${flowRuns.id}) < (${after.t}::timestamptz, ${String(after.i)}::uuid)` : undefined,
      ),
    )
    .orderBy(desc(flowRuns.createdAt), desc(flowRuns.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last ? encodeCursor({ t: last.cursorTime, i: last.run.id }) : null;
  return { items: page.map(toFlowRunView), nextCursor };
}
