/**
 * A run's state as a coloured badge. The colour follows the state type (so "Late" and
 * "AwaitingRetry", both SCHEDULED, look scheduled); the text is the state's own name.
 */
import type { StateType } from "@/app/_lib/trpc-types";

const TONE: Record<StateType, string> = {
  SCHEDULED: "scheduled",
  PENDING: "pending",
  RUNNING: "running",
  PAUSED: "paused",
  CANCELLING: "cancelled",
  CANCELLED: "cancelled",
  COMPLETED: "completed",
  FAILED: "failed",
  CRASHED: "failed",
};

/** The colour family of a state type: `badge-<tone>` in app/globals.css (the run graph's nodes use it too). */
export function stateTone(type: StateType): string {
  return TONE[type];
}

/** "SCHEDULED" → "Scheduled", as Prefect names its default states. */
export function stateTypeLabel(type: StateType): string {
  return type.charAt(0) + type.slice(1).toLowerCase();
}

export function StateBadge({ type, name }: { type: StateType; name?: string | null }) {
  const label = name || stateTypeLabel(type);
  return (
    <span className={`badge badge-${stateTone(type)}`} data-testid="state-badge" data-state-type={type} title={type}>
      {label}
    </span>
  );
}
