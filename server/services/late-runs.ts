/**
 * The late marker: a run still waiting a few seconds after its scheduled time is renamed Late,
 * and its state message says why it has not started (no worker online, a paused queue, a full
 * concurrency limit, no worker with the required capabilities…).
 */
import { and, eq, inArray, lt } from "drizzle-orm";
import { flowRuns } from "../../drizzle/schema";
import { explainWaitingRun } from "../engine/diagnose";
import { setRunState } from "../engine/transitions";
import { unlessRaced, type ServiceResources } from "./resources";

export async function markLateRuns(res: ServiceResources): Promise<number> {
  const now = res.clock.now();
  const runs = await res.db
    .select()
    .from(flowRuns)
    .where(
      and(
        eq(flowRuns.stateType, "SCHEDULED"),
        inArray(flowRuns.stateName, ["Scheduled", "AwaitingRetry"]),
        lt(flowRuns.scheduledTime, new Date(now.getTime() - res.settings.lateAfterMs)),
      ),
    )
    .limit(200);
  let marked = 0;
  for (const run of runs) {
    const reason = await explainWaitingRun({ db: res.db, run, workerTimeoutMs: res.settings.workerTimeoutMs, now });
    const done = await unlessRaced(res, { service: "late marker", runId: run.id, transition: `${run.stateName} → Late` }, () =>
      setRunState({
        db: res.db,
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
