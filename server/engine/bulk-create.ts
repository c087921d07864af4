/**
 * Many runs of one flow at once (a fan-out, a backfill, a benchmark): one statement inserts
 * the runs and their first history rows, instead of a transaction per run.
 */
import { sql } from "drizzle-orm";
import { flowRuns } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { generateRunName } from "../domain/run-names";
import { mapRow, rowsOf } from "./rows";
import type { FlowRunRow } from "./states";

export async function createFlowRunsBulk(opts: {
  db: DbOrTx;
  workspaceId: string;
  flowId: string;
  workPoolId: string | null;
  workQueueId: string | null;
  runs: { parameters?: Record<string, unknown>; priority?: number; scheduledTime?: Date; tags?: string[] }[];
  actor: string;
}): Promise<FlowRunRow[]> {
  if (opts.runs.length === 0) return [];
  const items = JSON.stringify(
    opts.runs.map((r) => ({
      name: generateRunName(),
      parameters: r.parameters ?? {},
      priority: r.priority ?? 0,
      scheduled_time: (r.scheduledTime ?? new Date()).toISOString(),
      tags: r.tags ?? [],
    })),
  );
  const result = await opts.db.execute(sql`
    WITH items AS (
      SELECT * FROM jsonb_to_recordset(${items}::jsonb)
        AS x(name text, parameters jsonb, priority int, scheduled_time timestamptz, tags text[])
    ),
    inserted AS (
      INSERT INTO flow_runs (workspace_id, flow_id, work_pool_id, work_queue_id, name, state_type, state_name,
        parameters, priority, scheduled_time, tags, created_by)
      SELECT ${opts.workspaceId}::uuid, ${opts.flowId}::uuid, ${opts.workPoolId}::uuid, ${opts.workQueueId}::uuid,
        items.name, 'SCHEDULED', 'Scheduled', items.parameters, items.priority, items.scheduled_time, items.tags, ${opts.actor}
      FROM items
      RETURNING *
    ),
    history AS (
      INSERT INTO state_history (workspace_id, flow_run_id, to_type, to_name, actor)
      SELECT workspace_id, id, 'SCHEDULED', 'Scheduled', ${opts.actor} FROM inserted
    )
    SELECT * FROM inserted`);
  return rowsOf(result).map((row) => mapRow(flowRuns, row));
}
