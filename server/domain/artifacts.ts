/**
 * Artifacts: what a run leaves for people to look at (tables, markdown, links, plots). Those
 * with a key form a series whose newest is the current one, so lists are newest first.
 */
import { and, desc, eq } from "drizzle-orm";
import { artifacts } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { AppError } from "../errors";
import { getFlowRun } from "./flow-runs";
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
}): Promise<ArtifactRow> {
  let flowRunId = opts.flowRunId ?? null;
  if (flowRunId) await getFlowRun({ db: opts.db, workspaceId: opts.workspaceId, id: flowRunId, field: "flowRunId" });
  if (opts.taskRunId) {
    const task = await getTaskRun({ db: opts.db, workspaceId: opts.workspaceId, id: opts.taskRunId, field: "taskRunId" });
    if (flowRunId && task.flowRunId !== flowRunId) {
      throw AppError.badRequest(`taskRunId: task run ${task.id} belongs to another flow run`, "taskRunId");
    }
    flowRunId = task.flowRunId;
  }
  const [row] = await opts.db
    .insert(artifacts)
    .values({
      workspaceId: opts.workspaceId,
      flowRunId,
      taskRunId: opts.taskRunId ?? null,
      key: opts.key ?? null,
      type: opts.type,
      description: opts.description ?? null,
      data: opts.data ?? null,
    })
    .returning();
  return row!;
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
