/**
 * The run state types, in one dependency-free module so the database schema, the engine, the CLI
 * and the browser bundle all share one list.
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
