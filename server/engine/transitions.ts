/**
 * Applying state changes. Every change of a flow run's or task run's state goes through
 * `setRunStates` (or `setRunState` for one): one statement locks the runs, checks each
 * transition against the rules in ./states.ts, the expected version and the lease token (a task
 * run's lease is its flow run's; a subflow's, its top-level run's: see ./leases.ts), points the
 * run at its result when one is given (checking it exists in the workspace), updates the runs
 * and writes their history rows — or leaves a run untouched and says why.
 *
 * Workers report in batches (a claim of 16 runs completes as one statement), which is what lets
 * Baton record full state history and still outrun a bare job queue.
 */
import { inArray, sql } from "drizzle-orm";
import { flowRuns, results, stateHistory, taskRuns, workers } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { AppError } from "../errors";
import { LeaseLostError, leaseOfRuns } from "./leases";
import { mapRow, rowsOf } from "./rows";
import {
  DEFAULT_STATE_NAMES,
  STATE_NAMES,
  STATE_TYPES,
  allowedFrom,
  checkTransition,
  isTerminal,
  type FlowRunRow,
  type RunKind,
  type StateSpec,
  type StateType,
  type TaskRunRow,
} from "./states";

export { LeaseLostError } from "./leases";

export interface StateChange {
  runId: string;
  to: StateSpec;
  /** When given, the change applies only if the run is still at this version. */
  expectedVersion?: number;
  /**
   * A worker's lease token: the change applies only while the run's lease is this one — for a
   * task run, the lease of its flow run, and for a subflow (or a subflow's task run) the lease
   * of the top-level run its worker claimed (that row is share-locked by the same statement, so
   * a reclaim cannot slip between the check and the write). A refused token means the run was
   * taken from the worker, which must stop it.
   */
  leaseToken?: string;
  /**
   * Refuse a change without a token to a run that holds a lease (for a task run or a subflow:
   * whose governing flow run does) — what an API caller's report must meet; members change a
   * leased run through their own procedures (cancel), and the engine's own services change
   * leased runs on purpose, and leave it off.
   */
  strictLease?: boolean;
  /**
   * The result to point the run at, in the same statement as the state: the change applies only
   * if this result exists in the workspace (else NOT_FOUND on `resultId`, the run unchanged).
   */
  resultId?: string;
  /** For a move to SCHEDULED: when it should run. */
  scheduledTime?: Date;
}

export type StateChangeResult<Row> = { ok: true; run: Row } | { ok: false; error: AppError };

/** (to, from) pairs of every allowed transition: the rules, handed to SQL as data. */
const ALLOWED_PAIRS = JSON.stringify(STATE_TYPES.flatMap((to) => allowedFrom(to).map((from) => ({ to, from }))));

export async function setRunStates(opts: { db: DbOrTx; workspaceId: string; kind: "flow"; actor: string; changes: StateChange[] }): Promise<StateChangeResult<FlowRunRow>[]>;
export async function setRunStates(opts: { db: DbOrTx; workspaceId: string; kind: "task"; actor: string; changes: StateChange[] }): Promise<StateChangeResult<TaskRunRow>[]>;
export async function setRunStates(opts: {
  db: DbOrTx;
  workspaceId: string;
  kind: RunKind;
  actor: string;
  changes: StateChange[];
}): Promise<StateChangeResult<FlowRunRow | TaskRunRow>[]> {
  if (opts.changes.length === 0) return [];
  const ids = new Set(opts.changes.map((c) => c.runId));
  if (ids.size !== opts.changes.length) throw AppError.badRequest("a run may appear only once in a batch of state changes", "changes");
  const items = opts.changes.map((c, ord) => {
    const toName = c.to.name ?? DEFAULT_STATE_NAMES[c.to.type];
    const named = STATE_NAMES[toName];
    if (named && named !== c.to.type) {
      throw AppError.badRequest(`a state named ${toName} must be of type ${named}, not ${c.to.type}`, "state");
    }
    return {
      ord,
      id: c.runId,
      token: c.leaseToken ?? null,
      strict: c.strictLease === true,
      result_id: c.resultId ?? null,
      to_type: c.to.type,
      to_name: toName,
      message: c.to.message ?? null,
      expected_version: c.expectedVersion ?? null,
      scheduled_time: c.to.type === "SCHEDULED" && c.scheduledTime ? c.scheduledTime.toISOString() : null,
    };
  });
  const table = opts.kind === "flow" ? flowRuns : taskRuns;
  const isFlow = opts.kind === "flow";
  const terminal = sql.raw(STATE_TYPES.filter(isTerminal).map((t) => `'${t}'`).join(", "));
  // A task run's lease is its flow run's, a subflow's its top-level run's (./leases.ts). When a
  // token is checked, or a missing one refused, that row is locked FOR SHARE: a claim or the
  // zombie killer changing its lease waits for this statement, and this statement, waiting on
  // them, re-reads the new token and refuses.
  const leaseLock = items.some((i) => i.token !== null || i.strict) ? sql` FOR SHARE OF l` : sql``;
  const flowIds = isFlow ? sql`SELECT id FROM items` : sql`SELECT t.flow_run_id FROM ${taskRuns} t WHERE t.id IN (SELECT id FROM items)`;
  const result = await opts.db.execute(sql`
    WITH RECURSIVE items AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(items)}::jsonb) AS x(
        ord int, id uuid, token uuid, strict boolean, result_id uuid, to_type state_type, to_name text, message text,
        expected_version int, scheduled_time timestamptz)
    ),
    allowed AS (
      SELECT * FROM jsonb_to_recordset(${ALLOWED_PAIRS}::jsonb) AS a("to" state_type, "from" state_type)
    ),
    ${leaseOfRuns(flowIds, opts.workspaceId)},
    prev AS (
      -- Lock in id order so two batches touching the same runs cannot deadlock.
      SELECT r.id, r.state_type, r.state_name, r.state_version, l.lease_token, l.id AS lease_run_id, l.worker_id AS lease_worker_id
      FROM ${table} r
      JOIN lease_of lo ON lo.run_id = ${isFlow ? sql`r.id` : sql`r.flow_run_id`}
      JOIN ${flowRuns} l ON l.id = lo.lease_run_id
      WHERE r.id IN (SELECT id FROM items) AND r.workspace_id = ${opts.workspaceId}::uuid
      ORDER BY r.id
      FOR UPDATE OF r${leaseLock}
    ),
    found AS (
      -- The results named, that exist in this workspace.
      SELECT res.id FROM ${results} res
      WHERE res.id IN (SELECT result_id FROM items WHERE result_id IS NOT NULL) AND res.workspace_id = ${opts.workspaceId}::uuid
    ),
    upd AS (
      UPDATE ${table} r SET
        state_type = i.to_type,
        state_name = i.to_name,
        state_message = i.message,
        state_version = r.state_version + 1,
        state_timestamp = now(),
        updated_at = now(),
        run_count = r.run_count + (CASE WHEN i.to_type = 'RUNNING' AND p.state_type <> 'RUNNING' THEN 1 ELSE 0 END),
        start_time = CASE WHEN i.to_type = 'RUNNING' THEN coalesce(r.start_time, now()) ELSE r.start_time END,
        end_time = CASE WHEN i.to_type IN (${terminal}) THEN now() ELSE r.end_time END,
        scheduled_time = coalesce(i.scheduled_time, r.scheduled_time),
        result_id = coalesce(i.result_id, r.result_id)
        ${isFlow ? sql`, lease_token = CASE WHEN i.to_type IN (${terminal}, 'SCHEDULED') THEN NULL ELSE r.lease_token END` : sql``}
      FROM items i JOIN prev p ON p.id = i.id
      WHERE r.id = i.id
        AND EXISTS (SELECT 1 FROM allowed a WHERE a."to" = i.to_type AND a."from" = p.state_type)
        AND NOT (p.state_type = i.to_type AND p.state_name = i.to_name)
        AND (i.expected_version IS NULL OR p.state_version = i.expected_version)
        AND (i.token IS NULL OR p.lease_token IS NOT DISTINCT FROM i.token)
        AND NOT (i.strict AND i.token IS NULL AND p.lease_token IS NOT NULL)
        AND (i.result_id IS NULL OR i.result_id IN (SELECT id FROM found))
      RETURNING r.*
    ),
    hist AS (
      INSERT INTO ${stateHistory} (workspace_id, ${sql.raw(isFlow ? "flow_run_id" : "task_run_id")},
        from_type, from_name, to_type, to_name, message, actor, created_at)
      SELECT u.workspace_id, u.id, p.state_type, p.state_name, u.state_type, u.state_name, u.state_message,
        -- A report carrying the lease is the lease holder's: history names that worker.
        ${isFlow ? sql`coalesce(CASE WHEN i.token IS NOT NULL THEN (SELECT 'worker:' || w.name FROM ${workers} w WHERE w.id = p.lease_worker_id) END, ${opts.actor})` : sql`${opts.actor}`},
        now()
      FROM upd u JOIN prev p ON p.id = u.id JOIN items i ON i.id = u.id
    )
    SELECT i.ord, p.state_type AS prev_type, p.state_name AS prev_name, p.state_version AS prev_version,
      p.lease_token AS prev_lease_token, p.lease_run_id AS prev_lease_run_id,
      (i.result_id IS NULL OR i.result_id IN (SELECT id FROM found)) AS result_found, u.*
    FROM items i LEFT JOIN prev p ON p.id = i.id LEFT JOIN upd u ON u.id = i.id
    ORDER BY i.ord`);
  const what = isFlow ? "Flow run" : "Task run";
  const rows = rowsOf(result);
  // A report sent again under the same lease after the first was applied (its answer was lost to
  // a reset connection): the run is already where the report says, so it is answered as done,
  // with the run as it is — refusing it would fail a flow over a lost reply.
  const repeats = rows.flatMap((row, ord) => (!row.id && isRepeat(opts.changes[ord]!, row) ? [opts.changes[ord]!.runId] : []));
  const current = repeats.length ? new Map((await opts.db.select().from(table).where(inArray(table.id, repeats))).map((r) => [r.id, r])) : new Map();
  return rows.map((row, ord) => {
    const change = opts.changes[ord]!;
    if (row.id) return { ok: true as const, run: mapRow(table, row) };
    const same = current.get(change.runId);
    if (same) return { ok: true as const, run: same as FlowRunRow | TaskRunRow };
    return { ok: false as const, error: refusal(what, change, row) };
  });
}

/** The run is in exactly the state the change asks for, and the change carries the lease the run is under. */
function isRepeat(change: StateChange, row: Record<string, unknown>): boolean {
  if (!row.prev_type || !change.leaseToken || row.prev_lease_token !== change.leaseToken) return false;
  if (change.expectedVersion !== undefined) return false;
  return row.prev_type === change.to.type && row.prev_name === (change.to.name ?? DEFAULT_STATE_NAMES[change.to.type]);
}

/** Why a change was not applied, most specific reason first. */
function refusal(what: string, change: StateChange, row: Record<string, unknown>): AppError {
  if (!row.prev_type) return AppError.notFound(what, change.runId, "id");
  const current = { type: row.prev_type as StateType, name: row.prev_name as string };
  if (change.strictLease && !change.leaseToken && row.prev_lease_token) {
    return new AppError(
      "CONFLICT",
      `${what} ${change.runId} is held by a worker (${current.name}): only that worker reports its state, with its lease token; cancel the run instead`,
      { field: "leaseToken", reason: "LEASE_HELD" },
    );
  }
  if (change.leaseToken && row.prev_lease_token !== change.leaseToken) {
    const leaseRunId = row.prev_lease_run_id as string;
    if (leaseRunId !== change.runId) {
      const whose = what === "Task run" ? "its task runs" : `its subflow run ${change.runId}`;
      return new LeaseLostError(leaseRunId, `${whose} may not be reported by a worker that no longer holds it`);
    }
    return new LeaseLostError(
      change.runId,
      row.prev_lease_token ? "it was claimed again by another worker" : `it is ${current.name} and holds no lease`,
    );
  }
  if (change.expectedVersion !== undefined && row.prev_version !== change.expectedVersion) {
    return AppError.conflict(`${what} ${change.runId} changed meanwhile (it is now ${current.name}); reload it and try again`);
  }
  if (change.resultId && !row.result_found) {
    return new AppError("NOT_FOUND", `Result ${change.resultId} was not found in this workspace: ${what.toLowerCase()} ${change.runId} stays ${current.name}; create it with results.create first`, {
      field: "resultId",
    });
  }
  const check = checkTransition(current, change.to);
  const toName = change.to.name ?? DEFAULT_STATE_NAMES[change.to.type];
  return new AppError(
    "PRECONDITION_FAILED",
    `${what} ${change.runId}: ${check.ok ? `cannot move from ${current.name} to ${toName}` : check.reason}`,
    { field: "state" },
  );
}

export interface SetRunStateOptions extends StateChange {
  db: DbOrTx;
  workspaceId: string;
  kind: RunKind;
  /** Who makes the change, recorded in history: `user`, `worker:<name>`, `scheduler`, … */
  actor: string;
}

/**
 * Moves one run to a new state. Refuses an illegal transition (PRECONDITION_FAILED, saying why),
 * a lost race (CONFLICT) and a stale lease (CONFLICT, reason LEASE_LOST). Returns the updated run.
 */
export async function setRunState(opts: SetRunStateOptions & { kind: "flow" }): Promise<FlowRunRow>;
export async function setRunState(opts: SetRunStateOptions & { kind: "task" }): Promise<TaskRunRow>;
export async function setRunState(opts: SetRunStateOptions): Promise<FlowRunRow | TaskRunRow> {
  const { db, workspaceId, kind, actor, ...change } = opts;
  const [result] = await setRunStates({ db, workspaceId, kind: kind as "flow", actor, changes: [change] });
  if (!result!.ok) throw result!.error;
  return result!.run;
}

/** Records the first state of a newly inserted run (no `from`). Call inside the creating transaction. */
export async function recordInitialState(opts: {
  db: DbOrTx;
  workspaceId: string;
  kind: RunKind;
  runId: string;
  state: { type: StateType; name: string; message?: string | null };
  actor: string;
}): Promise<void> {
  await opts.db.insert(stateHistory).values({
    workspaceId: opts.workspaceId,
    flowRunId: opts.kind === "flow" ? opts.runId : null,
    taskRunId: opts.kind === "task" ? opts.runId : null,
    fromType: null,
    fromName: null,
    toType: opts.state.type,
    toName: opts.state.name,
    message: opts.state.message ?? null,
    actor: opts.actor,
  });
}
