/**
 * The background services — scheduler, late marker, zombie killer, lazarus, log retention —
 * as one loop that never dies: ticks are chained with setTimeout (never overlapping), every
 * service call is wrapped and logged. With several server processes on one Postgres, only the
 * holder of an advisory lock runs the loop; when it dies its connection goes, the lock is
 * released, and another process takes over on its next tick.
 */
import type { Database } from "../db/client";
import type { EngineSettings } from "../engine/settings";
import type { ServiceContext } from "./context";
import { markLateRuns } from "./late-runs";
import { reviveStuckRuns } from "./lazarus";
import { pruneOldLogs } from "./retention";
import { scheduleRuns } from "./scheduler";
import { killZombies } from "./zombie-killer";

export const SERVICES_LOCK_KEY = 7_220_411_002;
const RETENTION_EVERY_MS = 10 * 60_000;

const SERVICES: [name: string, run: (ctx: ServiceContext) => Promise<number>][] = [
  ["scheduler", scheduleRuns],
  ["zombie killer", killZombies],
  ["late marker", markLateRuns],
  ["lazarus", reviveStuckRuns],
];

/** One pass of every service (what the leader does each tick). Returns what each changed. */
export async function runServicesOnce(ctx: ServiceContext): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [name, run] of SERVICES) {
    try {
      counts[name] = await run(ctx);
    } catch (err) {
      ctx.log(`${name} failed: ${(err as Error).stack ?? err}`);
    }
  }
  return counts;
}

export interface RunningServices {
  isLeader(): boolean;
  /** Resolves after the next completed tick (tests use it to wait for the loop). */
  nextTick(): Promise<void>;
  stop(): Promise<void>;
}

export function startServices(opts: {
  database: Database;
  settings: EngineSettings;
  log?: (message: string) => void;
}): RunningServices {
  const log = opts.log ?? ((m: string) => console.log(`[baton services] ${m}`));
  const ctx: ServiceContext = { db: opts.database.db, settings: opts.settings, log };
  let lock: Awaited<ReturnType<Database["tryAdvisoryLock"]>> = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;
  let lastRetention = 0;
  let tickWaiters: (() => void)[] = [];

  const tick = async () => {
    if (!lock?.held) {
      lock = null;
      ctx.servingSince = undefined;
      try {
        lock = await opts.database.tryAdvisoryLock(SERVICES_LOCK_KEY);
        if (lock) {
          // Heartbeats sent before now may have found no server (or no database): a worker's
          // silence counts from here, so the zombie killer waits a worker timeout first.
          ctx.servingSince = new Date();
          log(`this process now runs the background services (leader); workers' silence counts from now (${opts.settings.workerTimeoutMs / 1000} s to heartbeat)`);
        }
      } catch (err) {
        log(`could not try for leadership: ${(err as Error).message}`);
      }
    }
    if (lock?.held && !stopped) {
      await runServicesOnce(ctx);
      if (Date.now() - lastRetention > RETENTION_EVERY_MS) {
        lastRetention = Date.now();
        await pruneOldLogs(ctx).catch((err) => log(`log retention failed: ${(err as Error).message}`));
      }
    }
  };

  const loop = () => {
    if (stopped) return;
    current = tick()
      .catch((err) => log(`services tick failed: ${(err as Error).stack ?? err}`))
      .finally(() => {
        const waiters = tickWaiters;
        tickWaiters = [];
        for (const w of waiters) w();
        if (!stopped) timer = setTimeout(loop, opts.settings.servicesIntervalMs);
      });
  };
  loop();

  return {
    isLeader: () => Boolean(lock?.held),
    nextTick: () => new Promise<void>((resolve) => tickWaiters.push(resolve)),
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await current;
      await lock?.release();
      lock = null;
      for (const w of tickWaiters) w();
    },
  };
}
