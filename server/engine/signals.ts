/**
 * Wake-ups for long-polling claimers. The database NOTIFYs `baton_runs` with a pool id whenever
 * runs become due or slots free up in that pool (drizzle/0004_run_notifications.sql); this class
 * LISTENs once per process and wakes the claimers waiting on that pool. Signals arriving in the
 * same tick are folded into one wake-up per pool (debounce), so a burst costs one round of claims.
 *
 * When the database restarts, the LISTEN connection goes with it; the database layer reconnects
 * (retrying until it can) and every waiting claimer is woken then, because whatever was NOTIFYd
 * while nobody listened is lost. Until then claimers fall back to their polling interval.
 */
import type { Database } from "../db/client";

export const RUNS_CHANNEL = "baton_runs";

export interface Waiter {
  /** Resolves on a signal for the pool, or after `ms`. */
  wait(ms: number): Promise<"signal" | "timeout">;
  cancel(): void;
}

export class RunSignals {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly pending = new Set<string>();
  private flushScheduled = false;
  private unlisten?: () => Promise<void>;

  async start(database: Pick<Database, "listen">): Promise<void> {
    this.unlisten = await database.listen(RUNS_CHANNEL, (poolId) => this.signal(poolId), { onReconnect: () => this.wakeAll() });
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
    this.unlisten = undefined;
    for (const set of this.waiters.values()) for (const wake of set) wake();
    this.waiters.clear();
  }

  /** Wakes the claimers of a pool (debounced to one wake-up per pool per tick). */
  signal(poolId: string): void {
    this.pending.add(poolId);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const pools = [...this.pending];
      this.pending.clear();
      for (const pool of pools) {
        const set = this.waiters.get(pool);
        if (!set) continue;
        this.waiters.delete(pool);
        for (const wake of set) wake();
      }
    });
  }

  /** Wakes every waiting claimer (signals may have been missed: look again). */
  wakeAll(): void {
    for (const pool of this.waiters.keys()) this.signal(pool);
  }

  /**
   * Registers interest in a pool before the caller looks for work, so a signal that arrives
   * between "found nothing" and "start waiting" is not lost.
   */
  prepare(poolId: string): Waiter {
    let woken = false;
    let resolveWait: ((v: "signal" | "timeout") => void) | undefined;
    const wake = () => {
      woken = true;
      resolveWait?.("signal");
    };
    let set = this.waiters.get(poolId);
    if (!set) this.waiters.set(poolId, (set = new Set()));
    set.add(wake);
    const remove = () => {
      const current = this.waiters.get(poolId);
      current?.delete(wake);
      if (current?.size === 0) this.waiters.delete(poolId);
    };
    return {
      wait: (ms) =>
        new Promise((resolve) => {
          if (woken) return resolve("signal");
          const timer = setTimeout(() => {
            remove();
            resolve("timeout");
          }, Math.max(0, ms));
          resolveWait = (v) => {
            clearTimeout(timer);
            resolve(v);
          };
        }),
      cancel: remove,
    };
  }

  /** How many claimers are waiting, per pool (for tests and metrics). */
  waiting(poolId: string): number {
    return this.waiters.get(poolId)?.size ?? 0;
  }
}
