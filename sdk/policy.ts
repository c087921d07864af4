/**
 * Options shared by flows and tasks, and how a run waits and stops. The retry delay itself is
 * common/retry-delay.ts, the function the engine uses too.
 */
export interface Requirements {
  gpu?: boolean;
  memoryGb?: number;
  [key: string]: unknown;
}

export interface RunOptions {
  name?: string;
  description?: string;
  /** How many more attempts after a failure. */
  retries?: number;
  retryDelaySeconds?: number;
  /** Multiplier per attempt (1: constant delay). */
  backoff?: number;
  /** A fraction: each delay is spread by ± this much. */
  jitter?: number;
  timeoutSeconds?: number;
  tags?: string[];
  /** What the machine must offer: flows are only claimed by workers that have it. */
  requires?: Requirements;
}

/** Rejects after `seconds` (aborting `controller`), unless `work` settles first. */
export async function withTimeout<T>(work: (signal: AbortSignal) => Promise<T>, seconds: number | undefined, parent: AbortSignal): Promise<T> {
  const controller = new AbortController();
  // One listener on the parent, removed when the work settles: a flow with many tasks must not
  // pile listeners onto its run's signal (MaxListenersExceededWarning past 10).
  let rejectOnAbort: ((err: Error) => void) | undefined;
  const onAbort = () => {
    controller.abort(parent.reason);
    rejectOnAbort?.(asError(parent.reason));
  };
  parent.addEventListener("abort", onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    const racers: Promise<T>[] = [work(controller.signal)];
    if (seconds) {
      racers.push(
        new Promise<T>((_, reject) => {
          timer = setTimeout(() => {
            const err = new Error(`timed out after ${seconds} s`);
            controller.abort(err);
            reject(err);
          }, seconds * 1000);
        }),
      );
    }
    racers.push(
      new Promise<T>((_, reject) => {
        if (parent.aborted) reject(asError(parent.reason));
        else rejectOnAbort = reject;
      }),
    );
    return await Promise.race(racers);
  } finally {
    if (timer) clearTimeout(timer);
    parent.removeEventListener("abort", onAbort);
  }
}

export function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason ?? "aborted"));
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(asError(signal.reason));
    const onAbort = () => {
      clearTimeout(timer);
      reject(asError(signal!.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? `${err.name === "Error" ? "" : `${err.name}: `}${err.message}` : String(err);
}
