/**
 * Lazarus brings back runs that got stuck: claimed but never started (PENDING too long on a
 * worker that is still alive), or Late for too long. Each is rescheduled, up to a limit; then it
 * is FAILED with the reason, so nothing waits forever without a word.
 *
 * Time stuck counts only while this server was up (res.servingSince, as for the zombie
 * killer): a run that sat in Pending or Late while no server ran (or the database was away)
 * could not have been started, reported or marked meanwhile, so after a restart it gets the
 * full timeout again before it is judged stuck. Before, a restart after a long outage
 * rescheduled (and, at the limit, FAILED) every Pending run at once, its worker alive and
 * about to report it started.
 */
import { and, eq, lt, sql, type SQL } from "drizzle-orm";
import { flowRuns, workers } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { explainWaitingRun } from "../engine/diagnose";
import type { FlowRunRow } from "../engine/states";
import { setRunState } from "../engine/transitions";
import { unlessRaced, type ServiceResources } from "./resources";

const ACTOR = "lazarus";

/**
 * "In this state for longer than `timeoutMs`", counted from the later of the state's timestamp
 * and servingSince: greatest(state_timestamp, servingSince) < now − timeout. Within a timeout of
 * servingSince that is nobody, so the query is skipped (null).
 */
function stuckFor(res: ServiceResources, now: Date, timeoutMs: number): SQL | null {
  const cutoff = new Date(now.getTime() - timeoutMs);
  if (res.servingSince && res.servingSince.getTime() > cutoff.getTime()) return null;
  return lt(flowRuns.stateTimestamp, cutoff) ?? null;
}

export async function reviveStuckRuns(res: ServiceResources): Promise<number> {
  const now = res.clock.now();
  const pendingStuck = stuckFor(res, now, res.settings.pendingTimeoutMs);
  const stuckPending = pendingStuck
    ? await res.db
        .select({ run: flowRuns, workerName: workers.name })
        .from(flowRuns)
        .leftJoin(workers, eq(workers.id, flowRuns.workerId))
        .where(and(eq(flowRuns.stateType, "PENDING"), pendingStuck))
        .limit(200)
    : [];
  const lateStuck = stuckFor(res, now, res.settings.lateRescheduleAfterMs);
  const stuckLate = lateStuck
    ? await res.db
        .select()
        .from(flowRuns)
        .where(and(eq(flowRuns.stateType, "SCHEDULED"), eq(flowRuns.stateName, "Late"), lateStuck))
        .limit(200)
    : [];

  let handled = 0;
  for (const { run, workerName } of stuckPending) {
    const why = `stuck in Pending for ${Math.round(res.settings.pendingTimeoutMs / 1000)} s${workerName ? ` on worker "${workerName}"` : ""}`;
    if (await revive(res, run, why, now)) handled++;
  }
  for (const run of stuckLate) {
    const reason = await explainWaitingRun({ db: res.db, run, workerTimeoutMs: res.settings.workerTimeoutMs, now });
    const why = `still not started ${Math.round(res.settings.lateRescheduleAfterMs / 1000)} s after it was marked Late (${reason})`;
    if (await revive(res, run, why, now)) handled++;
  }
  return handled;
}

async function revive(res: ServiceResources, run: FlowRunRow, why: string, now: Date): Promise<boolean> {
  const limit = res.settings.lazarusLimit;
  const giveUp = run.lazarusCount >= limit;
  const attempt = { service: "lazarus", runId: run.id, transition: `${run.stateName} → ${giveUp ? "Failed" : "Scheduled"}` };
  const done = await unlessRaced(res, attempt, () =>
    res.db.transaction(async (tx) => {
      const common = { db: tx, workspaceId: run.workspaceId, kind: "flow" as const, runId: run.id, actor: ACTOR, expectedVersion: run.stateVersion };
      if (giveUp) {
        await setRunState({ ...common, to: { type: "FAILED", message: `${why}; gave up after ${limit} reschedules` } });
        return true;
      }
      await setRunState({
        ...common,
        to: { type: "SCHEDULED", message: `${why}; rescheduled (${run.lazarusCount + 1} of ${limit})` },
        scheduledTime: now,
      });
      await bumpLazarusCount(tx, run.id);
      return true;
    }),
  );
  if (done) res.log.info(`lazarus: flow run ${run.name} (${run.id}): ${why}`);
  return Boolean(done);
}

async function bumpLazarusCount(db: DbOrTx, runId: string) {
  await db
    .update(flowRuns)
    .set({ lazarusCount: sql`${flowRuns.lazarusCount} + 1` })
    .where(eq(flowRuns.id, runId));
}
