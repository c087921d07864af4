import type { Db } from "../db/client";
import type { EngineSettings } from "../engine/settings";

/** What every background service gets. */
export interface ServiceContext {
  db: Db;
  settings: EngineSettings;
  log: (message: string) => void;
  /**
   * When this instance began running the services (took the leader lock). A worker's silence
   * counts only from the later of its last heartbeat and this moment: while no server was
   * running (or the database was away), no heartbeat could land, and that is not the worker's
   * fault. So for one worker timeout after this moment the zombie killer crashes no run for
   * silence. Absent (one-off calls, tests): silence counts from the last heartbeat alone.
   */
  servingSince?: Date;
}

/** Runs `fn`, treating a lost race (another actor changed the run first) as "nothing to do". */
export async function unlessRaced<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "CONFLICT" || code === "PRECONDITION_FAILED") return undefined;
    throw err;
  }
}

export const secondsAgo = (date: Date) => Math.round((Date.now() - date.getTime()) / 1000);
