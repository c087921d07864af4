import type { Db } from "../../server/db/client";
import { loadEngineSettings, type EngineSettings } from "../../server/engine/settings";
import type { ServiceContext } from "../../server/services/context";

/** Service settings with tiny intervals, so timeout paths are reached in milliseconds. */
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

export function serviceContext(db: Db, overrides: Partial<EngineSettings> = {}): ServiceContext & { logs: string[] } {
  const logs: string[] = [];
  return { db, settings: fastSettings(overrides), log: (m) => logs.push(m), logs };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
