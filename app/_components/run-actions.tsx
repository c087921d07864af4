"use client";
/**
 * Cancel and Retry on a run's page. Cancel asks once more before it acts (a running job is
 * killed); Retry puts a failed or crashed run back to Scheduled for any worker of its pool.
 * Each says what happened, or the API's own reason for refusing, and the page re-renders.
 */
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { cancelBlocker, retryBlocker } from "@/app/_lib/run-states";
import type { StateType } from "@/app/_lib/trpc-types";
import { useCurrentRunState } from "./run-live";
import { useTRPC } from "./trpc-provider";

const CANCEL_OUTCOME: Partial<Record<StateType, string>> = {
  CANCELLING: "Cancelling: the worker has been told to stop the run.",
  CANCELLED: "Cancelled.",
};

export function RunActions({
  runId,
  runName,
  stateType: renderedType,
  stateVersion = 0,
}: {
  runId: string;
  runName: string;
  stateType: StateType;
  /** With it, a state pushed to the page (RunLive) since it was rendered counts at once. */
  stateVersion?: number;
}) {
  const stateType = useCurrentRunState({ type: renderedType, name: "" }, stateVersion).type;
  const trpc = useTRPC();
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  // An outcome belongs to the state it reported: once the live page moves on (Cancelling →
  // Cancelled), the badge says it better and the old sentence would be stale.
  const [outcome, setOutcome] = useState<{ text: string; forState: StateType } | null>(null);
  const cancel = useMutation(
    trpc.flowRuns.cancel.mutationOptions({
      onSuccess: (run) => {
        setOutcome({ text: CANCEL_OUTCOME[run.stateType] ?? `Now ${run.stateName}.`, forState: run.stateType });
        router.refresh();
      },
      onSettled: () => setConfirming(false),
    }),
  );
  const retry = useMutation(
    trpc.flowRuns.setState.mutationOptions({
      onSuccess: (run) => {
        setOutcome({ text: `Retrying: the run is ${run.stateName} again and waits for a worker.`, forState: run.stateType });
        router.refresh();
      },
    }),
  );
  const busy = cancel.isPending || retry.isPending;
  const cancelWhyNot = cancelBlocker(stateType);
  const retryWhyNot = retryBlocker(stateType);
  const error = cancel.error ?? retry.error;

  return (
    <div className="run-actions" role="group" aria-label="Run actions">
      <div className="run-actions-buttons">
        {confirming ? (
          <>
            <span className="confirm-text">Cancel {runName}?</span>
            <button
              type="button"
              className="button button-danger"
              disabled={busy}
              onClick={() => cancel.mutate({ id: runId, message: "Cancelled from the web UI" })}
            >
              {cancel.isPending ? "Cancelling…" : "Yes, cancel run"}
            </button>
            <button type="button" className="button" disabled={busy} onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </>
        ) : (
          <>
            <button
              type="button"
              className="button"
              disabled={busy || cancelWhyNot !== null}
              title={cancelWhyNot ?? "Stop this run: a running job is told to stop, a waiting one is cancelled at once"}
              onClick={() => {
                cancel.reset();
                retry.reset();
                setOutcome(null);
                setConfirming(true);
              }}
            >
              Cancel run
            </button>
            <button
              type="button"
              className="button"
              disabled={busy || retryWhyNot !== null}
              title={retryWhyNot ?? "Schedule this run again; a worker of its pool picks it up"}
              onClick={() => {
                cancel.reset();
                setOutcome(null);
                retry.mutate({ id: runId, state: { type: "SCHEDULED", name: "Scheduled", message: "Retried from the web UI" } });
              }}
            >
              {retry.isPending ? "Retrying…" : "Retry run"}
            </button>
          </>
        )}
      </div>
      <div className="run-feedback" role="status" aria-live="polite" data-testid="run-action-feedback">
        {outcome && outcome.forState === stateType && !error ? <span className="feedback-ok">{outcome.text}</span> : null}
      </div>
      {error ? (
        <div className="run-feedback feedback-error" role="alert">
          {error.message}
        </div>
      ) : null}
    </div>
  );
}
