/**
 * Artifacts: what a run leaves for people to look at (tables, markdown, links, plots). Those
 * with a key form a series whose newest is the current one, so lists are newest first.
 *
 * A worker writing one for a run it holds passes its lease: the insert checks it against the
 * governing run's row in the same statement (server/engine/leases.ts), so a worker that lost the
 * run adds nothing to it.
 */
import { and, desc, eq, sql } from "drizzle-orm";
import { artifacts } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { insertSelectParts, leaseAllows, leaseOfRun, leaseRefusal, type LeaseClaim } from "../engine/leases";
import { mapRow, rowsOf } from "../engine/rows";
import { AppError } from "../errors";
import { requireFlowRun } from "./flow-runs";
import { getTaskRun } from "./task-runs";

export type ArtifactRow = typeof artifacts.$inferSelect;

export async function createArtifact(opts: {
  db: DbOrTx;
  workspaceId: string;
  flowRunId?: string | null;
  taskRunId?: string | null;
  key?: string | null;
  type: string;
  description?: string | null;
  data?: unknown;
  /** The worker's lease on the run (a subflow's: its top-level run's), and whether it must have one. */
  lease?: LeaseClaim;
}): Promise<ArtifactRow> {
  let flowRunId = opts.flowRunId ?? null;
  if (flowRunId) await requireFlowRun({ db: opts.db, workspaceId: opts.workspaceId, id: flowRunId, field: "flowRunId" });
  if (opts.taskRunId) {
    const task = await getTaskRun({ db: opts.db, workspaceId: opts.workspaceId, id: opts.taskRunId, field: "taskRunId" });
    if (flowRunId && task.flowRunId !== flowRunId) {
      throw AppError.badRequest(`taskRunId: task run ${task.id} belongs to another flow run`, "taskRunId");
    }
    flowRunId = task.flowRunId;
  }
  const values = {
    workspaceId: opts.workspaceId,
    flowRunId,
    taskRunId: opts.taskRunId ?? null,
    key: opts.key ?? null,
    type: opts.type,
    description: opts.description ?? null,
    data: opts.data ?? null,
  };
  const claim = opts.lease ?? {};
  if (!flowRunId || (!claim.token && !claim.strict)) {
    if (claim.token) throw AppError.badRequest("leaseToken: name the run it is the lease of (flowRunId or taskRunId)", "leaseToken");
    const [row] = await opts.db.insert(artifacts).values(values).returning();
    return row!;
  }
  const { names, params } = insertSelectParts(artifacts, values);
  const found = rowsOf(
    await opts.db.execute(sql`
      WITH RECURSIVE ${leaseOfRun(flowRunId, opts.workspaceId, claim)},
      ins AS (
        INSERT INTO ${artifacts} (${names})
        SELECT ${params} FROM lease p WHERE ${leaseAllows(claim, sql`p.lease_token`)}
        RETURNING *
      )
      SELECT (SELECT lease_run_id FROM lease) AS lease_run_id, (SELECT lease_token FROM lease) AS lease_token, ins.*
      FROM (SELECT 1) one LEFT JOIN ins ON true`),
  )[0]!;
  const refused = leaseRefusal(claim, { runId: flowRunId, leaseRunId: found.lease_run_id as string, leaseToken: found.lease_token as string | null }, "its artifacts");
  if (refused) throw refused;
  return mapRow(artifacts, found);
}

export async function listArtifacts(opts: {
  db: DbOrTx;
  workspaceId: string;
  flowRunId?: string;
  key?: string;
  limit?: number;
}): Promise<ArtifactRow[]> {
  return opts.db
    .select()
    .from(artifacts)
    .where(
      and(
        eq(artifacts.workspaceId, opts.workspaceId),
        opts.flowRunId ? eq(artifacts.flowRunId, opts.flowRunId) : undefined,
        opts.key ? eq(artifacts.key, opts.key) : undefined,
      ),
    )
    .orderBy(desc(artifacts.createdAt), desc(artifacts.id))
    .limit(opts.limit ?? 200);
}

export async function getArtifact(opts: { db: DbOrTx; workspaceId: string; id: string }): Promise<ArtifactRow> {
  const [row] = await opts.db
    .select()
    .from(artifacts)
    .where(and(eq(artifacts.id, opts.id), eq(artifacts.workspaceId, opts.workspaceId)));
  if (!row) throw AppError.notFound("Artifact", opts.id, "id");
  return row;
}
