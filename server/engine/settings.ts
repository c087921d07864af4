/**
 * The engine's timings, from the environment with defaults in Prefect's spirit. Tests pass
 * millisecond values to reach timeout paths quickly.
 */
import { z } from "zod";

const seconds = (fallback: number) => z.coerce.number().positive("must be a positive number of seconds").default(fallback);
const days = (fallback: number) => z.coerce.number().positive("must be a positive number of days").default(fallback);

const schema = z.object({
  /** How often workers heartbeat. */
  BATON_HEARTBEAT_INTERVAL_S: seconds(10),
  /** A worker silent for this long is gone; its runs are crashed (zombie killer). */
  BATON_WORKER_TIMEOUT_S: seconds(30),
  /** A run still SCHEDULED this long after its time is marked Late. */
  BATON_LATE_AFTER_S: seconds(5),
  /** Lazarus: a run PENDING this long is put back; a Late run this long is rescheduled. */
  BATON_PENDING_TIMEOUT_S: seconds(300),
  BATON_LATE_RESCHEDULE_AFTER_S: seconds(600),
  /** Lazarus gives up (FAILED) after this many reschedules. */
  BATON_LAZARUS_LIMIT: z.coerce.number().int().min(0).default(3),
  /** Logs older than this are deleted by the retention loop. */
  BATON_LOG_RETENTION_DAYS: days(30),
  /** The scheduler keeps this many runs ahead per schedule, within the horizon. */
  BATON_SCHEDULER_MIN_RUNS: z.coerce.number().int().min(1).default(3),
  BATON_SCHEDULER_MAX_RUNS: z.coerce.number().int().min(1).default(100),
  BATON_SCHEDULER_HORIZON_S: seconds(7 * 24 * 3600),
  /** How often each service loop runs. */
  BATON_SERVICES_INTERVAL_S: seconds(2),
  /** An idle long-polling claimer re-checks the database at least this often. */
  BATON_CLAIM_FALLBACK_POLL_S: seconds(10),
});

export interface EngineSettings {
  heartbeatIntervalMs: number;
  workerTimeoutMs: number;
  lateAfterMs: number;
  pendingTimeoutMs: number;
  lateRescheduleAfterMs: number;
  lazarusLimit: number;
  logRetentionMs: number;
  schedulerMinRuns: number;
  schedulerMaxRuns: number;
  schedulerHorizonMs: number;
  servicesIntervalMs: number;
  claimFallbackPollMs: number;
}

export function loadEngineSettings(env: Record<string, string | undefined> = process.env): EngineSettings {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${String(i.path[0])} ${i.message} (got "${env[String(i.path[0])]}")`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  return {
    heartbeatIntervalMs: e.BATON_HEARTBEAT_INTERVAL_S * 1000,
    workerTimeoutMs: e.BATON_WORKER_TIMEOUT_S * 1000,
    lateAfterMs: e.BATON_LATE_AFTER_S * 1000,
    pendingTimeoutMs: e.BATON_PENDING_TIMEOUT_S * 1000,
    lateRescheduleAfterMs: e.BATON_LATE_RESCHEDULE_AFTER_S * 1000,
    lazarusLimit: e.BATON_LAZARUS_LIMIT,
    logRetentionMs: e.BATON_LOG_RETENTION_DAYS * 86_400_000,
    schedulerMinRuns: e.BATON_SCHEDULER_MIN_RUNS,
    schedulerMaxRuns: e.BATON_SCHEDULER_MAX_RUNS,
    schedulerHorizonMs: e.BATON_SCHEDULER_HORIZON_S * 1000,
    servicesIntervalMs: e.BATON_SERVICES_INTERVAL_S * 1000,
    claimFallbackPollMs: e.BATON_CLAIM_FALLBACK_POLL_S * 1000,
  };
}
