/**
 * The run list: newest first, filtered, keyset-paginated on (created_at, id) so that pages stay
 * stable while new runs arrive and deep pages cost what the first one does.
 *
 * Name search is a case-insensitive substring match (ILIKE '%…%') with the LIKE wildcards of the
 * search escaped, so what the user typed is matched literally: never a pattern, never a regex.
 */
import { and, arrayContains, desc, eq, gte, inArray, lt, sql } from "drizzle-orm";
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
  /** Created at or after this time. */
  createdAfter?: Date;
  /** Created before this time. */
  createdBefore?: Date;
  /** A part of the run's name, matched case-insensitively and literally. */
  search?: string;
  limit?: number;
  cursor?: string | null;
}): Promise<{ items: FlowRunView[]; nextCursor: string | null }> {
  const limit = opts.limit ?? DEFAULT_RUN_PAGE;
  const after = opts.cursor ? decodeCursor(opts.cursor, timeCursorSchema) : undefined;
  const { db, workspaceId } = opts;
  const flow = opts.flow ? await findFlow({ db, workspaceId, ref: opts.flow }) : undefined;
  const deployment = opts.deployment ? await findDeployment({ db, workspaceId, ref: opts.deployment }) : undefined;
  const pool = opts.workPool ? await getWorkPool({ db, workspaceId, ref: opts.workPool }) : undefined;
  const filters = and(
    eq(flowRuns.workspaceId, workspaceId),
    flow ? eq(flowRuns.flowId, flow.id) : undefined,
    deployment ? eq(flowRuns.deploymentId, deployment.id) : undefined,
    pool ? eq(flowRuns.workPoolId, pool.id) : undefined,
    opts.tags?.length ? arrayContains(flowRuns.tags, opts.tags) : undefined,
    opts.parentFlowRunId ? eq(flowRuns.parentFlowRunId, opts.parentFlowRunId) : undefined,
    opts.createdAfter ? gte(flowRuns.createdAt, opts.createdAfter) : undefined,
    opts.createdBefore ? lt(flowRuns.createdAt, opts.createdBefore) : undefined,
    opts.search ? sql`${flowRuns.name} ILIKE ${`%${escapeLike(opts.search)}%`} ESCAPE '\\'` : undefined,
    after ? sql`(${flowRuns.createdAt}, ${flowRuns.id}) < (${after.t}::timestamptz, ${String(after.i)}::uuid)` : undefined,
  );
  const newestFirst = [desc(flowRuns.createdAt), desc(flowRuns.id)];
  const states = [...new Set(opts.states ?? [])];
  // One state reads flow_runs_state_idx (workspace, state, created_at, id) newest first. Several
  // (Failed is FAILED or CRASHED) would walk the list index past every run in other states (at
  // 1M runs, 40k newer SCHEDULED/RUNNING ones: 23–30 ms) or sort all of theirs: instead each
  // state's newest page is read from that index and the pages merged (0.1 ms).
  const byState =
    states.length > 1
      ? inArray(
          flowRuns.id,
          sql`(${sql.join(
            states.map(
              (state) =>
                sql`(${db
                  .select({ id: flowRuns.id })
                  .from(flowRuns)
                  .where(and(filters, eq(flowRuns.stateType, state)))
                  .orderBy(...newestFirst)
                  .limit(limit + 1)})`,
            ),
            sql` UNION ALL `,
          )})`,
        )
      : states.length === 1
        ? eq(flowRuns.stateType, states[0]!)
        : undefined;
  const rows = await selectFlowRunViews(db, { cursorTime: preciseTimestamp(flowRuns.createdAt) })
    .where(and(filters, byState))
    .orderBy(...newestFirst)
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last ? encodeCursor({ t: last.cursorTime, i: last.run.id }) : null;
  return { items: page.map(toFlowRunView), nextCursor };
}

/** `50%_off\` → `50\%\_off\\`: the LIKE wildcards and the escape character itself, escaped. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
