/**
 * What the UI may offer for a run in a given state. Mirrors the engine's transition table
 * (server/engine/states.ts) so buttons are disabled up front; the API still has the last word
 * and its refusal is shown as it comes. The state sets themselves (terminal, active, …) are the
 * engine's one list, server/engine/state-types.ts (dependency-free, safe in the browser).
 */
import { isTerminalState } from "@/server/engine/state-types";
import type { StateType } from "./trpc-types";

/** A scheduled run this close to its time is worth watching: a worker may claim it any moment. */
export const SOON_MS = 60_000;

/** Whether a page showing this run should keep itself fresh. */
export function isLive(run: { stateType: StateType; scheduledTime: string }, now: number): boolean {
  if (isTerminalState(run.stateType)) return false;
  if (run.stateType === "SCHEDULED") return Date.parse(run.scheduledTime) - now <= SOON_MS;
  return true;
}

/** Cancel: SCHEDULED/PENDING/PAUSED end at once, RUNNING asks the worker (CANCELLING). */
export function cancelBlocker(type: StateType): string | null {
  if (type === "CANCELLING") return "The worker has been told to stop; waiting for it to confirm.";
  if (isTerminalState(type)) return "The run has finished: there is nothing to cancel.";
  return null;
}

/** Retry: only FAILED and CRASHED may go back to SCHEDULED without a worker's lease. */
export function retryBlocker(type: StateType): string | null {
  if (type === "FAILED" || type === "CRASHED") return null;
  if (type === "CANCELLED") return "A cancelled run stays cancelled: run the deployment again instead.";
  if (type === "COMPLETED") return "The run completed: run the deployment again for a new run.";
  return "Only a failed or crashed run can be retried.";
}
