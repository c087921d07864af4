/**
 * How the CLI follows a run as it goes (`flow-run logs --follow`, `flow-run watch`), and the
 * exit code a followed run ends with.
 *
 * Following is polling for now: each step fetches what is new by cursor (log lines after the
 * last id, state history after the last row) and says whether the run has ended. Only
 * `followRun` knows how the CLI learns that something may have changed, so push updates from
 * the server can replace the timer here without touching the commands.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { StateType, TerminalStateType } from "../server/engine/state-types";
import type { BatonClient } from "../server/client";

/** Often enough to feel live, rarely enough to cost the server little (a few small queries a tick). */
export const POLL_INTERVAL_MS = 500;

/**
 * Runs `step` until it returns a value, never two at once: once now, then each time the run may
 * have changed (today: every POLL_INTERVAL_MS after the previous step ended). `client` and
 * `runId` are what a push implementation would subscribe with.
 */
export async function followRun<T>(opts: {
  client: BatonClient;
  runId: string;
  step: () => Promise<T | undefined>;
  intervalMs?: number;
}): Promise<T> {
  for (;;) {
    const done = await opts.step();
    if (done !== undefined) return done;
    await sleep(opts.intervalMs ?? POLL_INTERVAL_MS);
  }
}

/**
 * What `--follow` and `watch` exit with, so a script can tell how the run ended: 0 only for
 * COMPLETED. 1 stays the CLI's own failure (bad arguments, an unknown run, an unreachable server).
 */
export const EXIT_CODE_BY_FINAL_STATE: Record<TerminalStateType, number> = {
  COMPLETED: 0,
  FAILED: 2,
  CRASHED: 3,
  CANCELLED: 4,
};

export function exitCodeFor(state: StateType): number {
  return EXIT_CODE_BY_FINAL_STATE[state as TerminalStateType] ?? 1;
}
