/**
 * The run state machine. Every state change of a flow run or task run goes through
 * `setRunState`: the transition is checked against the rules below, applied with optimistic
 * concurrency (`state_version`), and written to state history in the same transaction.
 *
 * Vocabulary is Prefect's: a state has a type (the machine's state) and a name (what users
 * see); SCHEDULED may be named Late or AwaitingRetry, RUNNING may be named Retrying.
 */
import { and, eq, sql } from "drizzle-orm";
import { flowRuns, stateHistory, stateType, taskRuns } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { AppError } from "../errors";

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
  /** For a move to SCHEDULED: when it should run. */
  scheduledTime?: Date;
}

/**
 * Moves a run to a new state. Refuses an illegal transition (PRECONDITION_FAILED, saying why)
 * and a lost race (CONFLICT). Returns the updated run row.
 */
export async function setRunState(opts: SetRunStateOptions & { kind: "flow" }): Promise<FlowRunRow>;
export async function setRunState(opts: SetRunStateOptions & { kind: "task" }): Promise<TaskRunRow>;
export async function setRunState(opts: SetRunStateOptions): Promise<FlowRunRow | TaskRunRow> {
  const table = tableOf(opts.kind);
  const what = opts.kind === "flow" ? "Flow run" : "Task run";
  return opts.db.transaction(async (tx) => {
    const [current] = await tx
      .select({ type: table.stateType, name: table.stateName, version: table.stateVersion })
      .from(table)
      .where(and(eq(table.id, opts.runId), eq(table.workspaceId, opts.workspaceId)));
    if (!current) throw AppError.notFound(what, opts.runId, "id");
    if (opts.expectedVersion !== undefined && current.version !== opts.expectedVersion) {
      throw AppError.conflict(
        `${what} ${opts.runId} changed meanwhile (it is now ${current.name}); reload it and try again`,
      );
    }
    const check = checkTransition(current, opts.to);
    if (!check.ok) {
      throw new AppError("PRECONDITION_FAILED", `${what} ${opts.runId}: ${check.reason}`, { field: "state" });
    }
    const toName = opts.to.name ?? DEFAULT_STATE_NAMES[opts.to.type];
    const now = new Date();
    const [updated] = await tx
      .update(table)
      .set({
        stateType: opts.to.type,
        stateName: toName,
        stateMessage: opts.to.message ?? null,
        stateVersion: sql`${table.stateVersion} + 1`,
        stateTimestamp: now,
        updatedAt: now,
        ...(opts.to.type === "RUNNING" && current.type !== "RUNNING"
          ? { runCount: sql`${table.runCount} + 1`, startTime: sql`coalesce(${table.startTime}, ${now})` }
          : {}),
        ...(isTerminal(opts.to.type) ? { endTime: now } : {}),
        ...(opts.to.type === "SCHEDULED" && opts.scheduledTime ? { scheduledTime: opts.scheduledTime } : {}),
      })
      .where(and(eq(table.id, opts.runId), eq(table.stateVersion, current.version)))
      .returning();
    if (!updated) {
      throw AppError.conflict(`${what} ${opts.runId} changed state while this change was being made; try again`);
    }
    await tx.insert(stateHistory).values({
      workspaceId: opts.workspaceId,
      flowRunId: opts.kind === "flow" ? opts.runId : null,
      taskRunId: opts.kind === "task" ? opts.runId : null,
      fromType: current.type,
      fromName: current.name,
      toType: opts.to.type,
      toName,
      message: opts.to.message ?? null,
      actor: opts.actor,
      createdAt: now,
    });
    return updated;
  });
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
