/**
 * The run state machine. Every state change of a flow run or task run goes through
 * `setRunState`: the transition is checked against the rules below, applied with optimistic
 * concurrency (`state_version`), and written to state history in the same transaction.
 *
 * Vocabulary is Prefect's: a state has a type (the machine's state) and a name (what users
 * see); SCHEDULED may be named Late or AwaitingRetry, RUNNING may be named Retrying.
 */
import { sql } from "drizzle-orm";
import { flowRuns, stateHistory, stateType, taskRuns } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { AppError } from "../errors";
import { mapRow, rowsOf } from "./rows";

export const STATE_TYPES = stateType.enumValues;
export type StateType = (typeof STATE_TYPES)[number];

export const TERMINAL_STATES: ReadonlySet<StateType> = new Set(["COMPLETED", "FAILED", "CANCELLED", "CRASHED"]);
export const isTerminal = (type: StateType) => TERMINAL_STATES.has(type);

export const DEFAULT_STATE_NAMES: Record<StateType, string> = {
  SCHEDULED: "Scheduled",
  PENDING: "Pending",
  RUNNING: "Running",
  PAUSED: "Paused",
  CANCELLING: "Cancelling",
  CANCELLED: "Cancelled",
  COMPLETED: "Completed",
  FAILED: "Failed",
  CRASHED: "Crashed",
};

/** Names other than the default that a state type may carry. */
export const STATE_NAMES: Record<string, StateType> = {
  Late: "SCHEDULED",
  AwaitingRetry: "SCHEDULED",
  Retrying: "RUNNING",
};

/**
 * Which state types each state type may move to. A move to the same type is a rename
 * (Scheduled → Late) and is allowed where listed.
 */
const ALLOWED: Record<StateType, readonly StateType[]> = {
  // Picked up (PENDING) or started directly; renamed Late or rescheduled; cancelled before it ran;
  // failed by lazarus when it has waited too long.
  SCHEDULED: ["SCHEDULED", "PENDING", "RUNNING", "PAUSED", "CANCELLING", "CANCELLED", "FAILED", "CRASHED"],
  // Claimed by a worker. Lazarus may put it back (SCHEDULED) if the worker never starts it.
  PENDING: ["SCHEDULED", "RUNNING", "PAUSED", "CANCELLING", "CANCELLED", "FAILED", "CRASHED"],
  // Running ends one way or another, may pause, or waits for a retry (SCHEDULED AwaitingRetry).
  RUNNING: ["COMPLETED", "FAILED", "CRASHED", "CANCELLING", "CANCELLED", "PAUSED", "SCHEDULED"],
  PAUSED: ["RUNNING", "SCHEDULED", "CANCELLING", "CANCELLED", "FAILED", "CRASHED"],
  // The worker has been told; it confirms (CANCELLED) or is found dead (CRASHED).
  CANCELLING: ["CANCELLED", "CRASHED"],
  // A failed or crashed run can be retried (automatically, or by a user).
  FAILED: ["SCHEDULED"],
  CRASHED: ["SCHEDULED"],
  COMPLETED: [],
  CANCELLED: [],
};

export interface StateSpec {
  type: StateType;
  /** Defaults to the type's usual name. */
  name?: string;
  message?: string | null;
}

export type TransitionCheck = { ok: true } | { ok: false; reason: string };

/** Whether a run in `from` may move to `to`, and if not, why not. */
export function checkTransition(from: { type: StateType; name: string }, to: StateSpec): TransitionCheck {
  const toName = to.name ?? DEFAULT_STATE_NAMES[to.type];
  const namedType = STATE_NAMES[toName];
  if (namedType && namedType !== to.type) {
    return { ok: false, reason: `a state named ${toName} must be of type ${namedType}, not ${to.type}` };
  }
  if (!ALLOWED[from.type].includes(to.type)) {
    if (isTerminal(from.type) && ALLOWED[from.type].length === 0) {
      return { ok: false, reason: `the run is already ${from.name} (${from.type}), a final state` };
    }
    const allowed = ALLOWED[from.type].filter((t) => t !== from.type);
    return {
      ok: false,
      reason: `a ${from.type} run cannot become ${to.type}; from ${from.type} it can only become ${allowed.join(", ") || "nothing"}`,
    };
  }
  if (from.type === to.type && from.name === toName) {
    return { ok: false, reason: `the run is already ${from.name} (${from.type})` };
  }
  return { ok: true };
}

export type RunKind = "flow" | "task";
export type FlowRunRow = typeof flowRuns.$inferSelect;
export type TaskRunRow = typeof taskRuns.$inferSelect;

const tableOf = (kind: RunKind) => (kind === "flow" ? flowRuns : taskRuns);

/** The state types from which a move to `to` is allowed: the transition table, read backwards. */
export function allowedFrom(to: StateType): StateType[] {
  return STATE_TYPES.filter((from) => ALLOWED[from].includes(to));
}

export interface SetRunStateOptions {
  db: DbOrTx;
  workspaceId: string;
  kind: RunKind;
  runId: string;
  to: StateSpec;
  /** Who makes the change, recorded in history: `user`, `worker:<name>`, `scheduler`, … */
  actor: string;
  /** When given, the change applies only if the run is still at this version. */
  expectedVersion?: number;
  /**
   * A worker's lease token (flow runs): the change applies only while the run's lease is this
   * one. A refused token means the run was taken from the worker, which must stop it.
   */
  leaseToken?: string;
  /** For a move to SCHEDULED: when it should run. */
  scheduledTime?: Date;
}

/** Raised when a worker reports on a run whose lease it no longer holds. */
export class LeaseLostError extends AppError {
  constructor(runId: string, detail: string) {
    super("CONFLICT", `Lease lost for flow run ${runId}: ${detail}. Stop this run; it is not yours any more.`, {
      field: "leaseToken",
      reason: "LEASE_LOST",
    });
  }
}

/**
 * Moves a run to a new state, in one statement: the row is locked, the transition, version and
 * lease are checked, the run is updated and the history row written, or nothing happens and
 * the previous state explains why (an illegal transition is PRECONDITION_FAILED with the reason,
 * a lost race CONFLICT, a stale lease CONFLICT with reason LEASE_LOST).
 */
export async function setRunState(opts: SetRunStateOptions & { kind: "flow" }): Promise<FlowRunRow>;
export async function setRunState(opts: SetRunStateOptions & { kind: "task" }): Promise<TaskRunRow>;
export async function setRunState(opts: SetRunStateOptions): Promise<FlowRunRow | TaskRunRow> {
  const table = tableOf(opts.kind);
  const what = opts.kind === "flow" ? "Flow run" : "Task run";
  const to = opts.to.type;
  const toName = opts.to.name ?? DEFAULT_STATE_NAMES[to];
  const named = STATE_NAMES[toName];
  if (named && named !== to) {
    throw new AppError("BAD_REQUEST", `a state named ${toName} must be of type ${named}, not ${to}`, { field: "state" });
  }
  const message = opts.to.message ?? null;
  const from = allowedFrom(to);
  const fromList = sql.join(from.map((f) => sql`${f}`), sql`, `);
  const token = opts.kind === "flow" ? opts.leaseToken ?? null : null;
  const leaseSet =
    opts.kind === "flow" && (isTerminal(to) || to === "SCHEDULED") ? sql`, lease_token = NULL` : sql``;
  const result = await opts.db.execute(sql`
    WITH prev AS (
      SELECT id, workspace_id, state_type, state_name, state_version
        ${opts.kind === "flow" ? sql`, lease_token` : sql`, NULL::uuid AS lease_token`}
      FROM ${table} WHERE id = ${opts.runId}::uuid AND workspace_id = ${opts.workspaceId}::uuid
      FOR UPDATE
    ),
    upd AS (
      UPDATE ${table} r SET
        state_type = ${to}::state_type,
        state_name = ${toName},
        state_message = ${message},
        state_version = r.state_version + 1,
        state_timestamp = now(),
        updated_at = now()
        ${to === "RUNNING" ? sql`, run_count = r.run_count + (CASE WHEN prev.state_type = 'RUNNING' THEN 0 ELSE 1 END), start_time = coalesce(r.start_time, now())` : sql``}
        ${isTerminal(to) ? sql`, end_time = now()` : sql``}
        ${to === "SCHEDULED" && opts.scheduledTime ? sql`, scheduled_time = ${opts.scheduledTime.toISOString()}::timestamptz` : sql``}
        ${leaseSet}
      FROM prev
      WHERE r.id = prev.id
        AND prev.state_type IN (${fromList})
        AND NOT (prev.state_type = ${to}::state_type AND prev.state_name = ${toName})
        ${opts.expectedVersion !== undefined ? sql`AND prev.state_version = ${opts.expectedVersion}` : sql``}
        ${token ? sql`AND prev.lease_token IS NOT DISTINCT FROM ${token}::uuid` : sql``}
      RETURNING r.*
    ),
    hist AS (
      INSERT INTO state_history (workspace_id, ${sql.raw(opts.kind === "flow" ? "flow_run_id" : "task_run_id")},
        from_type, from_name, to_type, to_name, message, actor, created_at)
      SELECT upd.workspace_id, upd.id, prev.state_type, prev.state_name, upd.state_type, upd.state_name,
        ${message}, ${opts.actor}, now()
      FROM upd, prev
    )
    SELECT prev.state_type AS prev_type, prev.state_name AS prev_name, prev.state_version AS prev_version,
      prev.lease_token AS prev_lease_token, upd.*
    FROM prev LEFT JOIN upd ON true`);
  const [row] = rowsOf(result);
  if (!row) throw AppError.notFound(what, opts.runId, "id");
  if (row.id) return mapRow(table, row);

  // Nothing changed: say why, most specific reason first.
  const current = { type: row.prev_type as StateType, name: row.prev_name as string };
  if (token && row.prev_lease_token !== token) {
    throw new LeaseLostError(
      opts.runId,
      row.prev_lease_token ? "it was claimed again by another worker" : `it is ${current.name} and holds no lease`,
    );
  }
  if (opts.expectedVersion !== undefined && row.prev_version !== opts.expectedVersion) {
    throw AppError.conflict(`${what} ${opts.runId} changed meanwhile (it is now ${current.name}); reload it and try again`);
  }
  const check = checkTransition(current, opts.to);
  throw new AppError(
    "PRECONDITION_FAILED",
    `${what} ${opts.runId}: ${check.ok ? `cannot move from ${current.name} to ${toName}` : check.reason}`,
    { field: "state" },
  );
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
