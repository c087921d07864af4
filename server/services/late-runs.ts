/**
 * The late marker: a run still waiting a few seconds after its scheduled time is renamed Late,
 * and its state message says why it has not started (no worker online, a paused queue, a full
 * concurrency limit, no worker with the required capabilities…).
 */
import { and, eq, inArray, lt } from "drizzle-orm";
import { flowRuns } from "../../drizzle/schema";
import { explainWaitingRun } from "../engine/diagnose";
import { setRunState } from "../engine/transitions";
import { unlessRaced, type ServiceContext } from "./context";

export async function markLateRuns(ctx: ServiceContext): Promise<number> {
  const runs = await ctx.db
    .select()
    .from(flowRuns)
    .where(
      and(
        eq(flowRuns.stateType, "SCHEDULED"),
        inArray(flowRuns.stateName, ["Scheduled", "AwaitingRetry"]),
        lt(flowRuns.scheduledTime, new Date(Date.now() - ctx.settings.lateAfterMs)),
      ),
    )
    .limit(200);
  let marked = 0;
  for (const run of runs) {
    const reason = await explainWaitingRun({ db: ctx.db, run, workerTimeoutMs: ctx.settings.workerTimeoutMs });
    const done = await unlessRaced(() =>
      setRunState({
        db: ctx.db,
        workspaceId: run.workspaceId,
        kind: "flow",
        runId: run.id,
        to: { type: "SCHEDULED", name: "Late", message: `not started: ${reason}` },
        actor: "late-marker",
        expectedVersion: run.stateVersion,
      }),
    );
    if (done) marked++;
  }
  return marked;
}
