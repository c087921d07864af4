/**
 * Task runs recorded after the fact. A worker running a flow's first attempt does not ask the
 * server before each task: it makes the task run's id itself and journals what happened — the
 * task started, then its state changes (COMPLETED with its result, or FAILED, a retry's wait…) —
 * and sends the journal with its next batch of log lines (`workers.progress`) or with the run's
 * final report (`workers.report`), in the transaction that writes them. A one-task run then costs
 * one call to the server instead of three, and its task run lands with the run's end state.
 *
 * Each event is applied under the flow run's lease, checked in the statement that writes (the
 * insert, the state change), exactly as `taskRuns.create` and `taskRuns.setState` check it.
 * A journal delivered twice (its answer lost on the way back) is applied once: a start names
 * its id, and a state change the version it makes (the task run's `state_version` after it), so
 * events the first delivery applied are passed over.
 */
import { inArray } from "drizzle-orm";
import { taskRuns } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import type { TaskRunEvent } from "../../common/task-run-event";
import { DEFAULT_STATE_NAMES, STATE_NAMES } from "../engine/states";
import { setRunState } from "../engine/transitions";
import { AppError } from "../errors";
import { createResult } from "./results";
import { insertTaskRun } from "./task-runs";

export type { TaskRunEvent };

/**
 * Applies a flow run's journal in order, inside the caller's transaction. `field` names the
 * journal in errors (`reports.0.taskRuns`), so a refusal says which event.
 */
export async function applyTaskRunEvents(opts: {
  db: DbOrTx;
  workspaceId: string;
  flowRunId: string;
  leaseToken: string;
  actor: string;
  events: TaskRunEvent[];
  field: string;
}): Promise<void> {
  const { db, workspaceId, flowRunId, leaseToken, actor } = opts;
  /** Each task run's state version as this journal leaves it; read once for those it did not start. */
  const versions = new Map<string, number>();
  const started = new Set(opts.events.flatMap((e) => (e.op === "start" ? [e.id] : [])));
  const unknown = [...new Set(opts.events.flatMap((e) => (e.op === "state" && !started.has(e.id) ? [e.id] : [])))];
  if (unknown.length) {
    const rows = await db.select({ id: taskRuns.id, flowRunId: taskRuns.flowRunId, stateVersion: taskRuns.stateVersion }).from(taskRuns).where(inArray(taskRuns.id, unknown));
    for (const r of rows) if (r.flowRunId === flowRunId) versions.set(r.id, r.stateVersion);
  }
  for (let i = 0; i < opts.events.length; i++) {
    const event = opts.events[i]!;
    const field = `${opts.field}.${i}`;
    if (event.op === "start") {
      // A task that ended before its start was sent (the usual quick task): one insert, in its end state.
      const next = opts.events[i + 1];
      const ends =
        next?.op === "state" &&
        next.id === event.id &&
        next.version === 1 &&
        !next.resultId &&
        ["COMPLETED", "FAILED", "CRASHED"].includes(next.state.type) &&
        // A name of another type is for setRunState to refuse, with its message.
        (!next.state.name || !STATE_NAMES[next.state.name] || STATE_NAMES[next.state.name] === next.state.type)
          ? next
          : undefined;
      const { id, created } = await insertTaskRun({
        db,
        workspaceId,
        flowRunId,
        id: event.id,
        taskKey: event.taskKey,
        dynamicKey: event.dynamicKey,
        name: event.name,
        parameters: event.parameters,
        tags: event.tags,
        upstreamTaskRunIds: event.upstreamTaskRunIds,
        startedAt: event.at,
        flowRunLeaseToken: leaseToken,
        requireLease: true,
        start: true,
        finished: ends && {
          type: ends.state.type as "COMPLETED" | "FAILED" | "CRASHED",
          name: ends.state.name ?? DEFAULT_STATE_NAMES[ends.state.type],
          message: ends.state.message ?? null,
          result: ends.result,
          at: ends.at,
        },
        actor,
      });
      if (id !== event.id) {
        // An earlier attempt's task run holds this key: only a worker that asked first may reuse it.
        throw AppError.conflict(`task ${event.taskKey} (call ${event.dynamicKey}) of flow run ${flowRunId} exists already as task run ${id}; record it with taskRuns.create instead`, `${field}.id`);
      }
      if (created && ends) {
        versions.set(id, 1);
        i++;
      } else if (created) versions.set(id, 0);
      else if (!versions.has(id)) {
        const [row] = await db.select({ stateVersion: taskRuns.stateVersion }).from(taskRuns).where(inArray(taskRuns.id, [id]));
        versions.set(id, row!.stateVersion);
      }
      continue;
    }
    const current = versions.get(event.id);
    if (current === undefined) throw new AppError("NOT_FOUND", `Task run ${event.id} was not found in flow run ${flowRunId}`, { field: `${field}.id` });
    // Applied by an earlier delivery of this journal.
    if (current >= event.version) continue;
    if (current !== event.version - 1) {
      throw AppError.conflict(`task run ${event.id} is at state version ${current}; this change makes version ${event.version}: an earlier change is missing`, `${field}.version`);
    }
    if (event.result && event.resultId) throw AppError.badRequest("result: give result or resultId, not both", `${field}.result`);
    const inline = event.result ? (await createResult({ db, workspaceId, value: event.result.value })).id : undefined;
    await setRunState({
      db,
      workspaceId,
      kind: "task",
      runId: event.id,
      to: event.state,
      actor,
      expectedVersion: current,
      scheduledTime: event.scheduledTime ? new Date(event.scheduledTime) : undefined,
      leaseToken,
      strictLease: true,
      resultId: inline ?? event.resultId,
    });
    versions.set(event.id, event.version);
  }
}
