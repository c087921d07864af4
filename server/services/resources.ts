import type { Db } from "../db/client";
import type { Clock } from "../engine/clock";
import type { EngineSettings } from "../engine/settings";
import type { RunSignals } from "../engine/signals";

/** Where a service's messages go: `info` for what it did, `error` for what must not happen. */
export interface ServiceLog {
  info(message: string): void;
  error(message: string): void;
}

/** A ServiceLog writing lines through `write`, errors marked as such. */
export function lineLog(write: (line: string) => void): ServiceLog {
  return { info: write, error: (message) => write(`ERROR ${message}`) };
}

/**
 * The one bag every background service is handed (as trigger.dev's run engine hands its systems
 * `SystemResources`): what it reads and writes, how it reports, and where it reads the time.
 */
export interface ServiceResources {
  db: Db;
  settings: EngineSettings;
  log: ServiceLog;
  /** The only source of "now" for a service, in TypeScript and as the parameter its SQL compares with. */
  clock: Clock;
  /**
   * The process's wake-up signals, when it has them (the server does; `baton services start`
   * alone has no claimers to wake). The services' state changes wake claimers through the
   * database's NOTIFY trigger either way.
   */
  signals?: RunSignals;
  /**
   * When this instance began running the services (took the leader lock), on `clock`. A worker's
   * silence counts only from the later of its last heartbeat and this moment: while no server was
   * running (or the database was away), no heartbeat could land, and that is not the worker's
   * fault. So for one worker timeout after this moment the zombie killer crashes no run for
   * silence (and lazarus judges no run stuck). Absent (one-off calls, tests): silence counts from
   * the last heartbeat alone.
   */
  servingSince?: Date;
}

/**
 * What a service tried to do to one run, for the log when the engine refuses it.
 * `transition` reads like "RUNNING → CRASHED".
 */
export interface Attempt {
  service: string;
  runId: string;
  transition: string;
}

/**
 * Runs `fn`, one service's state change of one run. A lost race is "nothing to do": another actor
 * changed the run first (CONFLICT: its version moved on, or its lease changed hands), so the
 * service's view was stale and the next tick looks again. An illegal transition
 * (PRECONDITION_FAILED) is no race — the service asked for something the state machine forbids,
 * which is a bug in the service — so it is logged as an error, naming the run and the
 * transition, and the service goes on with its other runs. Anything else is thrown.
 *
 * Every service change passes `expectedVersion` (the version it read), so a run that moved on
 * meanwhile is refused as CONFLICT before its transition is judged: PRECONDITION_FAILED then
 * means the transition was illegal from the very state the service saw.
 */
export async function unlessRaced<T>(res: Pick<ServiceResources, "log">, attempt: Attempt, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "CONFLICT") return undefined;
    if (code === "PRECONDITION_FAILED") {
      res.log.error(`${attempt.service}: illegal transition refused for flow run ${attempt.runId} (${attempt.transition}): ${(err as Error).message}`);
      return undefined;
    }
    throw err;
  }
}

/** Whole seconds from `date` to the clock's now. */
export const secondsAgo = (clock: Clock, date: Date) => Math.round((clock.now().getTime() - date.getTime()) / 1000);
