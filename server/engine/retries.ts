/**
 * Failure and retry policy. A failed (or crashed) run with retries left is recorded as failed,
 * then put back as SCHEDULED "AwaitingRetry" after the delay common/retry-delay.ts computes
 * (the same function the SDK's task retries use).
 */
import { retryDelayMs as delayAfterAttempt } from "../../common/retry-delay";
import type { DbOrTx } from "../db/client";
import type { FlowRunRow } from "./states";
import { setRunState } from "./transitions";

export interface RetryPolicy {
  runCount: number;
  maxRetries: number;
  retryDelaySeconds: number;
  retryBackoff: number;
  retryJitter: number;
}

/** Milliseconds to wait before the next attempt, after `runCount` attempts so far. */
export function retryDelayMs(policy: RetryPolicy, random: () => number = Math.random): number {
  return delayAfterAttempt({ delaySeconds: policy.retryDelaySeconds, backoff: policy.retryBackoff, jitter: policy.retryJitter }, policy.runCount, random);
}

/** Whether another attempt is allowed. A run that never started (runCount 0) has used none. */
export const hasRetriesLeft = (policy: RetryPolicy) => policy.runCount <= policy.maxRetries;

/**
 * Ends an attempt in failure: FAILED (or CRASHED), then, if retries remain, AwaitingRetry —
 * both in one transaction, so a run is never left failed with a retry owed.
 */
export async function failFlowRun(opts: {
  db: DbOrTx;
  workspaceId: string;
  runId: string;
  type: "FAILED" | "CRASHED";
  name?: string;
  message: string;
  actor: string;
  leaseToken?: string;
  expectedVersion?: number;
  strictLease?: boolean;
}): Promise<FlowRunRow> {
  return opts.db.transaction(async (tx) => {
    const failed = await setRunState({
      db: tx,
      workspaceId: opts.workspaceId,
      kind: "flow",
      runId: opts.runId,
      to: { type: opts.type, name: opts.name, message: opts.message },
      actor: opts.actor,
      leaseToken: opts.leaseToken,
      expectedVersion: opts.expectedVersion,
      strictLease: opts.strictLease,
    });
    if (!hasRetriesLeft(failed)) return failed;
    const delay = retryDelayMs(failed);
    return setRunState({
      db: tx,
      workspaceId: opts.workspaceId,
      kind: "flow",
      runId: opts.runId,
      to: {
        type: "SCHEDULED",
        name: "AwaitingRetry",
        message: `retry ${failed.runCount} of ${failed.maxRetries} in ${(delay / 1000).toFixed(1)} s after: ${opts.message}`,
      },
      actor: opts.actor,
      scheduledTime: new Date(Date.now() + delay),
    });
  });
}
