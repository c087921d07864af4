/**
 * The zombie killer: runs held by a worker that stopped heartbeating (or said goodbye while
 * still holding them) are taken back. RUNNING becomes CRASHED and is retried if it may be;
 * PENDING (never started) goes back to the queue; CANCELLING is confirmed as CANCELLED.
 * Also the run watchdog: a RUNNING run past its timeout is failed as TimedOut.
 *
 * Silence counts only from when this server began running the services (res.servingSince):
 * after the server (or its database) was down, live workers get a worker timeout to heartbeat
 * again before any of their runs is judged abandoned — their heartbeats could not land meanwhile.
 *
 * "Now" is res.clock's, passed into the SQL as a parameter (never SQL now()), so a test clock
 * reaches the timeouts without waiting for them.
 */
import { and, eq, inArray, isNotNull, lt, or, sql } from "drizzle-orm";
import { flowRuns, workers } from "../../drizzle/schema";
import { failFlowRun } from "../engine/retries";
import { ACTIVE_STATE_TYPES } from "../engine/state-types";
import { takeBackRun } from "../engine/take-back";
import { secondsAgo, unlessRaced, type ServiceResources } from "./resources";

const ACTOR = "zombie-killer";

export async function killZombies(res: ServiceResources): Promise<number> {
  const now = res.clock.now();
  const cutoff = new Date(now.getTime() - res.settings.workerTimeoutMs);
  // Silence is judged by heartbeats this server could have received: greatest(last heartbeat,
  // servingSince) < cutoff. Within a worker timeout of servingSince nobody is silent yet;
  // a worker that said goodbye (stopped_at) is gone at once either way.
  const graceLeftMs = res.servingSince ? res.servingSince.getTime() - cutoff.getTime() : 0;
  const silent = graceLeftMs > 0 ? sql`false` : lt(workers.lastHeartbeatAt, cutoff);
  const zombies = await res.db
    .select({ run: flowRuns, workerId: workers.id, workerName: workers.name })
    .from(flowRuns)
    .innerJoin(workers, eq(workers.id, flowRuns.workerId))
    .where(and(inArray(flowRuns.stateType, [...ACTIVE_STATE_TYPES]), or(silent, isNotNull(workers.stoppedAt))))
    .limit(500);
  let handled = 0;
  for (const { run, workerId, workerName } of zombies) {
    const to = run.stateType === "CANCELLING" ? "CANCELLED" : run.stateType === "PENDING" ? "SCHEDULED" : "CRASHED";
    const done = await unlessRaced(res, { service: "zombie killer", runId: run.id, transition: `${run.stateName} → ${to}` }, () =>
      res.db.transaction(async (tx) => {
        // Re-check under the worker row's lock: a heartbeat that lands now waits for this
        // transaction, then learns the run is gone — never both the worker and us acting.
        const [still] = await tx
          .select({ lastSeen: workers.lastHeartbeatAt, stoppedAt: workers.stoppedAt })
          .from(workers)
          .where(and(eq(workers.id, workerId), or(silent, isNotNull(workers.stoppedAt))))
          .for("update");
        if (!still) return false;
        const seen = `worker "${workerName}" ${still.stoppedAt ? "shut down while holding it" : "stopped heartbeating"}; last seen ${still.lastSeen.toISOString()} (${secondsAgo(res.clock, still.lastSeen)} s ago)`;
        await takeBackRun({ db: tx, run, actor: ACTOR, why: seen });
        return true;
      }),
    );
    if (done) {
      handled++;
      res.log.info(`zombie killer: flow run ${run.name} (${run.id}) was ${run.stateType} on worker "${workerName}", which is gone`);
    }
  }
  return handled + (await failTimedOutRuns(res, now));
}

async function failTimedOutRuns(res: ServiceResources, now: Date): Promise<number> {
  const overdue = await res.db
    .select()
    .from(flowRuns)
    .where(
      and(
        eq(flowRuns.stateType, "RUNNING"),
        isNotNull(flowRuns.timeoutSeconds),
        sql`${flowRuns.startTime} + make_interval(secs => ${flowRuns.timeoutSeconds}) < ${now.toISOString()}::timestamptz`,
      ),
    )
    .limit(500);
  let handled = 0;
  for (const run of overdue) {
    const done = await unlessRaced(res, { service: "watchdog", runId: run.id, transition: `${run.stateName} → TimedOut` }, () =>
      failFlowRun({
        db: res.db,
        workspaceId: run.workspaceId,
        runId: run.id,
        type: "FAILED",
        name: "TimedOut",
        message: `timed out after ${run.timeoutSeconds} s`,
        actor: "watchdog",
        // A run that ended meanwhile is a race (CONFLICT), not an illegal RUNNING → FAILED.
        expectedVersion: run.stateVersion,
      }),
    );
    if (done) handled++;
  }
  return handled;
}
