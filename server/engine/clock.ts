/**
 * Where the background services (and, in time, the engine) read the time. The system clock is
 * the wall clock; a test clock stands still until the test moves it (`advance`), so the timeout
 * paths (a silent worker, a run stuck in Pending, a Late run) are reached by moving time instead
 * of sleeping through it — fast, and the same on a loaded two-core machine as on a fast one.
 *
 * A service that compares a row's timestamp with "now" passes `clock.now()` into its SQL as a
 * parameter rather than writing SQL `now()`, so a test clock moves that comparison too. Rows are
 * still stamped by the database's own clock (the engine writes `now()`); a test clock starts at
 * the wall time and only runs ahead, so such stamps lie in its past, as they would in production.
 */
export interface Clock {
  now(): Date;
  /** Resolves after `ms` of this clock's time, or at once when `signal` aborts (it never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener("abort", done, { once: true });
    }),
};

interface Sleeper {
  until: number;
  wake: () => void;
}

/** A clock that moves only when told to. Sleepers wake, in deadline order, as `advance` passes their deadlines. */
export class TestClock implements Clock {
  private current: number;
  private sleepers: Sleeper[] = [];

  constructor(start: Date | number = Date.now()) {
    this.current = typeof start === "number" ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const sleeper: Sleeper = {
        until: this.current + ms,
        wake: () => {
          signal?.removeEventListener("abort", sleeper.wake);
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          resolve();
        },
      };
      this.sleepers.push(sleeper);
      signal?.addEventListener("abort", sleeper.wake, { once: true });
    });
  }

  /** Moves time on by `ms` and wakes every sleeper whose deadline that reaches. */
  advance(ms: number): void {
    if (ms < 0) throw new Error(`a test clock only moves forward (asked to move ${ms} ms)`);
    this.current += ms;
    const due = this.sleepers.filter((s) => s.until <= this.current).sort((a, b) => a.until - b.until);
    for (const sleeper of due) sleeper.wake();
  }

  /** How many sleeps are waiting on this clock (a loop parked between ticks is one). */
  get sleeping(): number {
    return this.sleepers.length;
  }
}
