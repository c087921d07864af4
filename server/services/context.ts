import type { Db } from "../db/client";
import type { EngineSettings } from "../engine/settings";

/** What every background service gets. */
export interface ServiceContext {
  db: Db;
  settings: EngineSettings;
  log: (message: string) => void;
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
