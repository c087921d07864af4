/**
 * The run state types and the sets the engine reasons with, in one dependency-free module so the
 * database schema, the engine, its SQL (server/engine/sql/, which interpolates these sets into
 * the functions it installs), the CLI and the browser bundle all share one list. A set named here
 * is the only spelling of it: import it rather than writing the states out again.
 */
export const STATE_TYPES = [
  "SCHEDULED",
  "PENDING",
  "RUNNING",
  "PAUSED",
  "CANCELLING",
  "CANCELLED",
  "COMPLETED",
  "FAILED",
  "CRASHED",
] as const;

export type StateType = (typeof STATE_TYPES)[number];

/** Final: nothing may follow except a retry back to SCHEDULED (from FAILED or CRASHED). */
export const TERMINAL_STATE_TYPES = ["COMPLETED", "FAILED", "CANCELLED", "CRASHED"] as const satisfies readonly StateType[];

/**
 * Held by a worker: the run has a lease, counts against pool, queue and tag concurrency limits,
 * and is crashed by the zombie killer when its worker goes silent.
 */
export const ACTIVE_STATE_TYPES = ["PENDING", "RUNNING", "CANCELLING"] as const satisfies readonly StateType[];

/** Ended in failure (a retry may follow): what the dashboard lists as recent failures. */
export const FAILED_STATE_TYPES = ["FAILED", "CRASHED"] as const satisfies readonly TerminalStateType[];

/** What a claim may take (when due). */
export const CLAIMABLE_STATE_TYPES = ["SCHEDULED"] as const satisfies readonly StateType[];

/**
 * A run entering one of these may let an idle worker of its pool claim something: it is new
 * work (claimable) or it freed a slot (terminal). The wake-up trigger NOTIFYs for these.
 */
export const WAKING_STATE_TYPES = [...CLAIMABLE_STATE_TYPES, ...TERMINAL_STATE_TYPES] as const;

export type TerminalStateType = (typeof TERMINAL_STATE_TYPES)[number];
export type ActiveStateType = (typeof ACTIVE_STATE_TYPES)[number];

const terminal: ReadonlySet<StateType> = new Set(TERMINAL_STATE_TYPES);
const active: ReadonlySet<StateType> = new Set(ACTIVE_STATE_TYPES);

export const isTerminalState = (type: StateType): type is TerminalStateType => terminal.has(type);
export const isActiveState = (type: StateType): type is ActiveStateType => active.has(type);
