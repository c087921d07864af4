import type { Db } from "../../server/db/client";
import { systemClock, TestClock } from "../../server/engine/clock";
import { loadEngineSettings, type EngineSettings } from "../../server/engine/settings";
import type { ServiceLog, ServiceResources } from "../../server/services/resources";

/**
 * Service settings with tiny intervals, so timeout paths are reached in milliseconds of real
 * time: for tests where real processes (workers, a second server) must keep time with the
 * services. Tests that call the services themselves drive a TestClock instead (drivenResources).
 */
export function fastSettings(overrides: Partial<EngineSettings> = {}): EngineSettings {
  return {
    ...loadEngineSettings({}),
    workerTimeoutMs: 150,
    lateAfterMs: 50,
    pendingTimeoutMs: 150,
    lateRescheduleAfterMs: 150,
    lazarusLimit: 2,
    servicesIntervalMs: 20,
    claimFallbackPollMs: 200,
    ...overrides,
  };
}

/** A ServiceLog keeping what it is told: `logs` (info) and `errors`, apart. */
export function recordingLog(): ServiceLog & { logs: string[]; errors: string[] } {
  const logs: string[] = [];
  const errors: string[] = [];
  return { logs, errors, info: (m) => logs.push(m), error: (m) => errors.push(m) };
}

type Recorded<C> = ServiceResources & { clock: C; logs: string[]; errors: string[] };

function resources<C extends ServiceResources["clock"]>(db: Db, settings: EngineSettings, clock: C): Recorded<C> {
  const log = recordingLog();
  return { db, settings, clock, log, logs: log.logs, errors: log.errors };
}

/**
 * Resources on the wall clock with fastSettings, for tests where real workers keep time with
 * the services (the worker suite).
 */
export function serviceContext(db: Db, overrides: Partial<EngineSettings> = {}): Recorded<typeof systemClock> {
  return resources(db, fastSettings(overrides), systemClock);
}

/**
 * Resources on a TestClock that starts at `start` (the wall time by default) and moves only by
 * `clock.advance(ms)`, with the production timings unless overridden: a timeout is reached by
 * advancing past it, never by sleeping.
 */
export function drivenResources(db: Db, overrides: Partial<EngineSettings> = {}, start?: Date): Recorded<TestClock> {
  return resources(db, { ...loadEngineSettings({}), ...overrides }, new TestClock(start));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
