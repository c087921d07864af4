/**
 * Task runs: the steps of a flow run. Created in PENDING, as Prefect does, since the flow run
 * that makes them is already running them. Creating the same (flowRunId, taskKey, dynamicKey)
 * again returns the first one, so a worker that retries a report does not split a task in two.
 * A worker passes its flow run's lease token (for a subflow's task, its top-level run's): the
 * insert checks it against that run's row, share-locked in the same statement, so a worker that
 * lost the run adds nothing to it.
 */
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { randomUUID } from "node:crypto";
import { results, stateHistory, taskRuns } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import type { TaskRunRow } from "../engine/states";
import { findCachedResult } from "../engine/cache";
import { rowsOf } from "../engine/rows";
import { leaseAllows, leaseOfRun, leaseRefusal } from "../engine/leases";
import { AppError } from "../errors";
import { requireFlowRun, type StateHistoryRow } from "./flow-runs";
import { MAX_INLINE_RESULT_BYTES } from "./results";

export async function getTaskRun(opts: { db: DbOrTx; workspaceId: string; id: string; field?: string }): Promise<TaskRunRow> {
  const [row] = await opts.db
    .select()
    .from(taskRuns)
    .where(and(eq(taskRuns.id, opts.id), eq(taskRuns.workspaceId, opts.workspaceId)));
  if (!row) throw AppError.notFound("Task run", opts.id, opts.field ?? "id");
  return row;
}

export async function listTaskRuns(opts: { db: DbOrTx; workspaceId: string; flowRunId: string }): Promise<TaskRunRow[]> {
  await requireFlowRun({ db: opts.db, workspaceId: opts.workspaceId, id: opts.flowRunId, field: "flowRunId" });
  return opts.db
    .select()
    .from(taskRuns)
    .where(and(eq(taskRuns.flowRunId, opts.flowRunId), eq(taskRuns.workspaceId, opts.workspaceId)))
    .orderBy(asc(taskRuns.createdAt), asc(taskRuns.id));
}

/** A task run's state changes, oldest first (the run page's task view). */
export async function taskRunHistory(opts: { db: DbOrTx; workspaceId: string; id: string }): Promise<StateHistoryRow[]> {
  await getTaskRun(opts);
  return opts.db
    .select()
    .from(stateHistory)
    .where(and(eq(stateHistory.taskRunId, opts.id), eq(stateHistory.workspaceId, opts.workspaceId)))
    .orderBy(asc(stateHistory.id));
}

/**
 * The task runs around one in its flow run's DAG: those whose results it consumed (upstream)
 * and those that consumed its result (downstream). Read by the flow run's index, so a run of
 * thousands of tasks costs one scan of its own tasks, not of the table.
 */
export async function taskRunNeighbours(opts: { db: DbOrTx; workspaceId: string; id: string }): Promise<{ upstream: TaskRunRow[]; downstream: TaskRunRow[] }> {
  const task = await getTaskRun(opts);
  const [upstream, downstream] = await Promise.all([
    task.upstreamTaskRunIds.length
      ? opts.db
          .select()
          .from(taskRuns)
          .where(and(eq(taskRuns.flowRunId, task.flowRunId), eq(taskRuns.workspaceId, opts.workspaceId), inArray(taskRuns.id, task.upstreamTaskRunIds)))
          .orderBy(asc(taskRuns.createdAt), asc(taskRuns.id))
      : [],
    opts.db
      .select()
      .from(taskRuns)
      .where(
        and(
          eq(taskRuns.flowRunId, task.flowRunId),
          eq(taskRuns.workspaceId, opts.workspaceId),
          sql`${taskRuns.upstreamTaskRunIds} @> ARRAY[${task.id}]::uuid[]`,
        ),
      )
      .orderBy(asc(taskRuns.createdAt), asc(taskRuns.id)),
  ]);
  return { upstream, downstream };
}

export interface NewTaskRun {
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
  /** The flow run's lease token, when a worker creates the task: refused (LEASE_LOST) unless the run still holds it. */
  flowRunLeaseToken?: string;
  /** Refuse it without a token while the flow run is held by a worker (LEASE_HELD): a worker key's call. */
  requireLease?: boolean;
  /**
   * Create it RUNNING (a worker about to run it now): one call instead of create, then a state
   * change. A task run that exists already (an earlier attempt's) keeps its state.
   */
  start?: boolean;
  actor: string;
  /**
   * The id, when the worker made it (a task run recorded after the fact, server/domain/task-run-events.ts);
   * else the database makes one.
   */
  id?: string;
  /**
   * Started and already ended (a journalled task that finished before its start was sent): the
   * row goes in in its end state, with a small result stored in the same statement, and both
   * state changes (to RUNNING, to the end state) in its history — one statement, not three.
   */
  finished?: { type: "COMPLETED" | "FAILED" | "CRASHED"; name: string; message: string | null; result?: { value: unknown }; at?: string };
  /**
   * When it started (a journalled task, by the worker's clock, ISO 8601 to the microsecond, so
   * tasks a flow starts one after another keep their order); never later than now. Default: now.
   */
  startedAt?: string;
}

export async function createTaskRun(opts: NewTaskRun): Promise<TaskRunRow & { created: boolean }> {
  await requireFlowRun({ db: opts.db, workspaceId: opts.workspaceId, id: opts.flowRunId, field: "flowRunId" });
  const { id, created } = await insertTaskRun(opts);
  return { ...(await getTaskRun({ db: opts.db, workspaceId: opts.workspaceId, id })), created };
}

/**
 * The insert alone: the task run's id and whether this call made it (false: one with the same
 * flow run, task key and dynamic key was there, e.g. an earlier attempt's). A flow run that is
 * not in the workspace is NOT_FOUND; a stale or missing lease is refused as createTaskRun says.
 */
export async function insertTaskRun(opts: NewTaskRun): Promise<{ id: string; created: boolean }> {
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
    : opts.start
      ? { type: "RUNNING" as const, name: "Running", message: null }
      : { type: "PENDING" as const, name: "Pending", message: null };
  const running = !cached && opts.start === true;
  const finished = !cached && running ? opts.finished : undefined;
  const finalState = finished ?? initial;
  /** The inline result of a finished task, stored only if the task run is inserted. */
  const inline = finished?.result ? { id: randomUUID(), json: JSON.stringify(finished.result.value ?? null) } : undefined;
  if (inline && Buffer.byteLength(inline.json) > MAX_INLINE_RESULT_BYTES) {
    throw AppError.badRequest(`an inline result may be at most ${MAX_INLINE_RESULT_BYTES} bytes of JSON (got ${Buffer.byteLength(inline.json)}); send it as data`, "result");
  }
  const claim = { token: opts.flowRunLeaseToken ?? null, strict: opts.requireLease === true };
  // A worker's clock may run ahead of ours: never a time after now, nor an end before the start.
  const startedAt = sql`LEAST(coalesce(${opts.startedAt ?? null}::timestamptz, now()), now())`;
  const endedAt = sql`GREATEST(LEAST(coalesce(${finished?.at ?? null}::timestamptz, now()), now()), ${startedAt})`;
  // One statement: the governing lease (locked FOR SHARE when it is checked, so a reclaim waits
  // for it or it sees the new token), the insert only under that lease, and the history row.
  const result = await opts.db.execute(sql`
    WITH RECURSIVE ${leaseOfRun(opts.flowRunId, opts.workspaceId, claim)},
    ins AS (
      INSERT INTO ${taskRuns} (id, workspace_id, flow_run_id, task_key, dynamic_key, name, state_type, state_name, state_message,
        result_id, start_time, end_time, run_count, state_version, created_at, parameters, tags, cache_key, cache_expires_at, upstream_task_run_ids, kind)
      SELECT COALESCE(${opts.id ?? null}::uuid, gen_random_uuid()), ${opts.workspaceId}::uuid, p.run_id, ${opts.taskKey}, ${dynamicKey}, ${opts.name ?? `${opts.taskKey}-${dynamicKey}`},
        ${finalState.type}::state_type, ${finalState.name}, ${finalState.message},
        ${cached?.resultId ?? inline?.id ?? null}::uuid, ${cached ? sql`now()` : running ? startedAt : sql`NULL`}, ${cached ? sql`now()` : finished ? endedAt : sql`NULL`},
        ${running ? 1 : 0}, ${finished ? 1 : 0}, ${running ? startedAt : sql`now()`},
        ${JSON.stringify(opts.parameters ?? {})}::jsonb,
        ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify([...new Set(opts.tags ?? [])])}::jsonb))::text[],
        ${opts.cacheKey ?? null}, ${opts.cacheExpiresAt?.toISOString() ?? null}::timestamptz,
        ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(upstream)}::jsonb))::uuid[],
        ${opts.kind ?? null}
      FROM lease p
      WHERE ${leaseAllows(claim, sql`p.lease_token`)}
      ON CONFLICT (flow_run_id, task_key, dynamic_key) DO NOTHING
      RETURNING id, workspace_id, state_type, state_name, state_message
    ),
    hist AS (
      INSERT INTO ${stateHistory} (workspace_id, task_run_id, from_type, from_name, to_type, to_name, message, actor, created_at)
      ${
        finished
          ? sql`SELECT workspace_id, id, NULL, NULL, 'RUNNING'::state_type, 'Running', NULL, ${opts.actor}, ${startedAt} FROM ins
                UNION ALL SELECT workspace_id, id, 'RUNNING'::state_type, 'Running', state_type, state_name, state_message, ${opts.actor}, ${endedAt} FROM ins`
          : sql`SELECT workspace_id, id, NULL, NULL, state_type, state_name, state_message, ${opts.actor}, ${running ? startedAt : sql`now()`} FROM ins`
      }
    )${
      inline
        ? sql`,
    res AS (
      INSERT INTO ${results} (id, workspace_id, storage, value, media_type, size_bytes)
      SELECT ${inline.id}::uuid, workspace_id, 'inline', ${inline.json}::jsonb, 'application/json', ${Buffer.byteLength(inline.json)} FROM ins
    )`
        : sql``
    }
    SELECT (SELECT count(*) FROM lease)::int AS parents, (SELECT lease_token FROM lease) AS lease_token,
      (SELECT lease_run_id FROM lease) AS lease_run_id, (SELECT id FROM ins) AS id`);
  const row = rowsOf(result)[0] as { parents: number; lease_token: string | null; lease_run_id: string | null; id: string | null } | undefined;
  if (!row || row.parents === 0) throw AppError.notFound("Flow run", opts.flowRunId, "flowRunId");
  const refused = leaseRefusal(claim, { runId: opts.flowRunId, leaseRunId: row.lease_run_id!, leaseToken: row.lease_token }, "its task runs");
  if (refused) throw refused;
  let id = row.id;
  const created = Boolean(id);
  if (!id) {
    const [existing] = await opts.db
      .select({ id: taskRuns.id })
      .from(taskRuns)
      .where(and(eq(taskRuns.flowRunId, opts.flowRunId), eq(taskRuns.taskKey, opts.taskKey), eq(taskRuns.dynamicKey, dynamicKey)));
    if (!existing) throw AppError.conflict("this task run was being created by another request; try again", "taskKey");
    id = existing.id;
  }
  return { id, created };
}
