/**
 * Lazarus brings back runs that got stuck: claimed but never started (PENDING too long on a
 * worker that is still alive), or Late for too long. Each is rescheduled, up to a limit; then it
 * is FAILED with the reason, so nothing waits forever without a word.
 */
import { and, eq, lt, sql } from "drizzle-orm";
import { flowRuns, workers } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { explainWaitingRun } from "../engine/diagnose";
import type { FlowRunRow } from "../engine/states";
import { setRunState } from "../engine/transitions";
import { unlessRaced, type ServiceContext } from "./context";

const ACTOR = "lazarus";

export async function reviveStuckRuns(ctx: ServiceContext): Promise<number> {
  const pendingCutoff = new Date(Date.now() - ctx.settings.pendingTimeoutMs);
  const stuckPending = await ctx.db
    .select({ run: flowRuns, workerName: workers.name })
    .from(flowRuns)
    .leftJoin(workers, eq(workers.id, flowRuns.workerId))
    .where(and(eq(flowRuns.stateType, "PENDING"), lt(flowRuns.stateTimestamp, pendingCutoff)))
    .limit(200);
  const lateCutoff = new Date(Date.now() - ctx.settings.lateRescheduleAfterMs);
  const stuckLate = await ctx.db
    .select()
    .from(flowRuns)
    .where(and(eq(flowRuns.stateType, "SCHEDULED"), eq(flowRuns.stateName, "Late"), lt(flowRuns.stateTimestamp, lateCutoff)))
    .limit(200);

  let handled = 0;
  for (const { run, workerName } of stuckPending) {
    const why = `stuck in Pending for ${Math.round(ctx.settings.pendingTimeoutMs / 1000)} s${workerName ? ` on worker "${workerName}"` : ""}`;
    if (await revive(ctx, run, why)) handled++;
  }
  for (const run of stuckLate) {
    const reason = await explainWaitingRun({ db: ctx.db, run, workerTimeoutMs: ctx.settings.workerTimeoutMs });
    const why = `still not started ${Math.round(ctx.settings.lateRescheduleAfterMs / 1000)} s after it was marked Late (${reason})`;
    if (await revive(ctx, run, why)) handled++;
  }
  return handled;
}

async function revive(ctx: ServiceContext, run: FlowRunRow, why: string): Promise<boolean> {
  const limit = ctx.settings.lazarusLimit;
  const done = await unlessRaced(() =>
    ctx.db.transaction(async (tx) => {
      const common = { db: tx, workspaceId: run.workspaceId, kind: "flow" as const, runId: run.id, actor: ACTOR, expectedVersion: run.stateVersion };
      if (run.lazarusCount >= limit) {
        await setRunState({ ...common, to: { type: "FAILED", message: `${why}; gave up after ${limit} reschedules` } });
        return true;
      }
      await setRunState({
        ...common,
        to: { type: "SCHEDULED", message: `${why}; rescheduled (${run.lazarusCount + 1} of ${limit})` },
        scheduledTime: new Date(),
      });
      await bumpLazarusCount(tx, run.id);
      return true;
    }),
  );
  if (done) ctx.log(`lazarus: flow run ${run.name} (${run.id}): ${why}`);
  return Boolean(done);
}

async function bumpLazarusCount(db: DbOrTx, runId: string) {
  await db
    .update(flowRuns)
    .set({ lazarusCount: sql`${flowRuns.lazarusCount} + 1` })
    .where(eq(flowRuns.id, runId));
}
