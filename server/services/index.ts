/**
 * The background services — scheduler, late marker, zombie killer, lazarus, log retention —
 * as one loop that never dies: one tick at a time (never overlapping), a pause of
 * `servicesIntervalMs` on the resources' clock between ticks, every service call wrapped and
 * logged. With several server processes on one Postgres, only the holder of an advisory lock
 * runs the loop; when it dies its connection goes, the lock is released, and another process
 * takes over on its next tick.
 *
 * Every service is handed the same ServiceResources bag. On a test clock the loop ticks once at
 * start and then once each time the test advances the clock past the interval.
 */
import type { Database } from "../db/client";
import { systemClock, type Clock } from "../engine/clock";
import type { EngineSettings } from "../engine/settings";
import type { RunSignals } from "../engine/signals";
import { markLateRuns } from "./late-runs";
import { reviveStuckRuns } from "./lazarus";
import { lineLog, type ServiceLog, type ServiceResources } from "./resources";
import { pruneOldLogs } from "./retention";
import { scheduleRuns } from "./scheduler";
import { killZombies } from "./zombie-killer";

export type { ServiceLog, ServiceResources } from "./resources";

export const SERVICES_LOCK_KEY = 7_220_411_002;
const RETENTION_EVERY_MS = 10 * 60_000;

const SERVICES: [name: string, run: (res: ServiceResources) => Promise<number>][] = [
  ["scheduler", scheduleRuns],
  ["zombie killer", killZombies],
  ["late marker", markLateRuns],
  ["lazarus", reviveStuckRuns],
];

/** One pass of every service (what the leader does each tick). Returns what each changed. */
export async function runServicesOnce(res: ServiceResources): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [name, run] of SERVICES) {
    try {
      counts[name] = await run(res);
    } catch (err) {
      res.log.error(`${name} failed: ${(err as Error).stack ?? err}`);
    }
  }
  return counts;
}

export interface RunningServices {
  isLeader(): boolean;
  /** Resolves after the next completed tick (tests use it to wait for the loop; on a test clock, advance it too). */
  nextTick(): Promise<void>;
  stop(): Promise<void>;
}

export function startServices(opts: {
  database: Database;
  settings: EngineSettings;
  log?: ServiceLog;
  /** The wall clock unless a test drives one. */
  clock?: Clock;
  signals?: RunSignals;
}): RunningServices {
  const log = opts.log ?? lineLog((m) => console.log(`[baton services] ${m}`));
  const clock = opts.clock ?? systemClock;
  const res: ServiceResources = { db: opts.database.db, settings: opts.settings, log, clock, signals: opts.signals };
  const stopping = new AbortController();
  let lock: Awaited<ReturnType<Database["tryAdvisoryLock"]>> = null;
  let lastRetention: number | undefined;
  let tickWaiters: (() => void)[] = [];

  const tick = async () => {
    if (!lock?.held) {
      lock = null;
      res.servingSince = undefined;
      try {
        lock = await opts.database.tryAdvisoryLock(SERVICES_LOCK_KEY);
        if (lock) {
          // Heartbeats sent before now may have found no server (or no database): a worker's
          // silence counts from here, so the zombie killer waits a worker timeout first.
          res.servingSince = clock.now();
          log.info(`this process now runs the background services (leader); workers' silence counts from now (${opts.settings.workerTimeoutMs / 1000} s to heartbeat)`);
        }
      } catch (err) {
        log.error(`could not try for leadership: ${(err as Error).message}`);
      }
    }
    if (lock?.held && !stopping.signal.aborted) {
      await runServicesOnce(res);
      const now = clock.now().getTime();
      if (lastRetention === undefined || now - lastRetention > RETENTION_EVERY_MS) {
        lastRetention = now;
        await pruneOldLogs(res).catch((err) => log.error(`log retention failed: ${(err as Error).message}`));
      }
    }
  };

  const loop = async () => {
    while (!stopping.signal.aborted) {
      await tick().catch((err) => log.error(`services tick failed: ${(err as Error).stack ?? err}`));
      const waiters = tickWaiters;
      tickWaiters = [];
      for (const w of waiters) w();
      // Called in the same turn as the waiters' wake-up, so a test that awaited nextTick() finds
      // the loop already asleep on the clock when it advances it.
      if (!stopping.signal.aborted) await clock.sleep(opts.settings.servicesIntervalMs, stopping.signal);
    }
  };
  const running = loop();

  return {
    isLeader: () => Boolean(lock?.held),
    nextTick: () => new Promise<void>((resolve) => tickWaiters.push(resolve)),
    stop: async () => {
      stopping.abort();
      await running;
      await lock?.release();
      lock = null;
      for (const w of tickWaiters.splice(0)) w();
    },
  };
}
