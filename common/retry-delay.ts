/**
 * The retry delay, for the engine (a failed flow run going back to AwaitingRetry) and the SDK (a
 * task retrying in its flow): delay × backoff^(attempt−1), spread by ± jitter so that many runs
 * failing together do not retry in lock-step. Browser-safe, dependency-free.
 */
export interface RetryDelayPolicy {
  /** The first retry's delay. Absent: 0. */
  delaySeconds?: number;
  /** Multiplier per attempt; below 1 counts as 1 (a constant delay). Absent: 1. */
  backoff?: number;
  /** A fraction in [0, 1]: each delay is spread by ± this much. Absent or 0: no spread. */
  jitter?: number;
}

/**
 * Milliseconds to wait after `attempt` attempts have failed (1 after the first). `random` is
 * drawn only when there is jitter, so a policy without it is deterministic.
 */
export function retryDelayMs(policy: RetryDelayPolicy, attempt: number, random: () => number = Math.random): number {
  const base = (policy.delaySeconds ?? 0) * Math.pow(Math.max(1, policy.backoff ?? 1), Math.max(0, attempt - 1));
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0));
  const spread = jitter > 0 ? 1 + jitter * (2 * random() - 1) : 1;
  return Math.max(0, base * spread * 1000);
}
