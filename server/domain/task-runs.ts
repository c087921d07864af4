/**
 * Task runs: the steps of a flow run. Created in PENDING, as Prefect does, since the flow run
 * that makes them is already running them. Creating the same (flowRunId, taskKey, dynamicKey)
 * again returns the first one, so a worker that retries a report does not split a task in two.
 */
import { and, asc, eq, inArray } from "drizzle-orm";
import { taskRuns } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import type { TaskRunRow } from "../engine/states";
import { findCachedResult } from "../engine/cache";
import { recordInitialState } from "../engine/transitions";
import { AppError } from "../errors";
import { getFlowRun } from "./flow-runs";

export async function getTaskRun(opts: { db: DbOrTx; workspaceId: string; id: string; field?: string }): Promise<TaskRunRow> {
  const [row] = await opts.db
    .select()
    .from(taskRuns)
    .where(and(eq(taskRuns.id, opts.id), eq(taskRuns.workspaceId, opts.workspaceId)));
  if (!row) throw AppError.notFound("Task run", opts.id, opts.field ?? "id");
  return row;
}

export async function listTaskRuns(opts: { db: DbOrTx; workspaceId: string; flowRunId: string }): Promise<TaskRunRow[]> {
  await getFlowRun({ db: opts.db, workspaceId: opts.workspaceId, id: opts.flowRunId, field: "flowRunId" });
  return opts.db
    .select()
    .from(taskRuns)
    .where(and(eq(taskRuns.flowRunId, opts.flowRunId), eq(taskRuns.workspaceId, opts.workspaceId)))
    .orderBy(asc(taskRuns.createdAt), asc(taskRuns.id));
}

export async function createTaskRun(opts: {
  db: DbOrTx;
  workspaceId: string;
  flowRunId: string;
  taskKey: string;
  name?: string | null;
  dynamicKey?: string;
  parameters?: Record<string, unknown>;
  tags?: string[];
  cacheKey?: string | null;
  /** Until when this run's result may be reused by later runs with the same cache key. */
  cacheExpiresAt?: Date | null;
  upstreamTaskRunIds?: string[];
  kind?: string | null;
  actor: string;
}): Promise<TaskRunRow> {
  await getFlowRun({ db: opts.db, workspaceId: opts.workspaceId, id: opts.flowRunId, field: "flowRunId" });
  const upstream = [...new Set(opts.upstreamTaskRunIds ?? [])];
  if (upstream.length) {
    // The DAG may only point at tasks of the same flow run.
    const found = await opts.db
      .select({ id: taskRuns.id })
      .from(taskRuns)
      .where(and(inArray(taskRuns.id, upstream), eq(taskRuns.flowRunId, opts.flowRunId)));
    const missing = upstream.filter((id) => !found.some((f) => f.id === id));
    if (missing.length) {
      throw new AppError("NOT_FOUND", `Task run ${missing.join(", ")} was not found in flow run ${opts.flowRunId}`, {
        field: "upstreamTaskRunIds",
      });
    }
  }
  const dynamicKey = opts.dynamicKey ?? "0";
  const cached = opts.cacheKey ? await findCachedResult({ db: opts.db, workspaceId: opts.workspaceId, cacheKey: opts.cacheKey }) : undefined;
  const initial = cached
    ? { type: "COMPLETED" as const, name: "Cached", message: `cached result of task run ${cached.taskRunId}` }
    : { type: "PENDING" as const, name: "Pending", message: null };
  const id = await opts.db.transaction(async (tx) => {
    const [inserted] = await tx
      .insert(taskRuns)
      .values({
        workspaceId: opts.workspaceId,
        flowRunId: opts.flowRunId,
        taskKey: opts.taskKey,
        dynamicKey,
        name: opts.name ?? `${opts.taskKey}-${dynamicKey}`,
        stateType: initial.type,
        stateName: initial.name,
        stateMessage: initial.message,
        ...(cached ? { resultId: cached.resultId, startTime: new Date(), endTime: new Date() } : {}),
        parameters: opts.parameters ?? {},
        tags: [...new Set(opts.tags ?? [])],
        cacheKey: opts.cacheKey ?? null,
        cacheExpiresAt: opts.cacheExpiresAt ?? null,
        upstreamTaskRunIds: upstream,
        kind: opts.kind ?? null,
      })
      .onConflictDoNothing({ target: [taskRuns.flowRunId, taskRuns.taskKey, taskRuns.dynamicKey] })
      .returning({ id: taskRuns.id });
    if (!inserted) {
      const [existing] = await tx
        .select({ id: taskRuns.id })
        .from(taskRuns)
        .where(
          and(eq(taskRuns.flowRunId, opts.flowRunId), eq(taskRuns.taskKey, opts.taskKey), eq(taskRuns.dynamicKey, dynamicKey)),
        );
      if (!existing) throw AppError.conflict("this task run was being created by another request; try again", "taskKey");
      return existing.id;
    }
    await recordInitialState({
      db: tx,
      workspaceId: opts.workspaceId,
      kind: "task",
      runId: inserted.id,
      state: initial,
      actor: opts.actor,
    });
    return inserted.id;
  });
  return getTaskRun({ db: opts.db, workspaceId: opts.workspaceId, id });
}
