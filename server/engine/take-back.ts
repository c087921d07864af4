/**
 * Taking a run back from a worker that no longer runs it: RUNNING becomes CRASHED (and is retried
 * if its policy allows), PENDING (never started) goes back to the queue, CANCELLING is confirmed
 * as CANCELLED. One place for the zombie killer (a silent worker) and the heartbeat (a live
 * worker that does not hold a run the server thinks it does), so both leave the same history.
 */
import type { DbOrTx } from "../db/client";
import { failFlowRun } from "./retries";
import type { FlowRunRow } from "./states";
import { setRunState } from "./transitions";

export async function takeBackRun(opts: {
  db: DbOrTx;
  run: Pick<FlowRunRow, "id" | "workspaceId" | "stateType" | "stateVersion">;
  actor: string;
  /** Why, as a clause: `worker "gpu-1" stopped heartbeating; last seen …`. */
  why: string;
}): Promise<void> {
  const { run } = opts;
  const common = { db: opts.db, workspaceId: run.workspaceId, runId: run.id, actor: opts.actor, expectedVersion: run.stateVersion };
  if (run.stateType === "CANCELLING") {
    await setRunState({ ...common, kind: "flow", to: { type: "CANCELLED", message: `cancelled: ${opts.why}` } });
  } else if (run.stateType === "PENDING") {
    await setRunState({ ...common, kind: "flow", to: { type: "SCHEDULED", message: `back in the queue: ${opts.why} before starting it` } });
  } else {
    await failFlowRun({ ...common, type: "CRASHED", message: `crashed: ${opts.why}` });
  }
}
