/**
 * The run state machine's rules: the states, their names, and which transitions are allowed.
 * Every state change of a flow run or task run is applied by ./transitions.ts against these
 * rules, with optimistic concurrency and state history.
 *
 * Vocabulary is Prefect's: a state has a type (the machine's state) and a name (what users
 * see); SCHEDULED may be named Late or AwaitingRetry, RUNNING may be named Retrying.
 */
import { flowRuns, taskRuns } from "../../drizzle/schema";
import { STATE_TYPES, isTerminalState, type StateType } from "./state-types";

export { STATE_TYPES, type StateType };

// The state sets (terminal, active, claimable, …) live in ./state-types.ts, shared with the SQL and the UI.
export const isTerminal = isTerminalState;

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

/** The state types from which a move to `to` is allowed: the transition table, read backwards. */
export function allowedFrom(to: StateType): StateType[] {
  return STATE_TYPES.filter((from) => ALLOWED[from].includes(to));
}
