/**
 * One event of a task run's journal: what a worker running a flow records about its task runs
 * without asking the server first (server/domain/task-run-events.ts applies them; the SDK's
 * task() makes them, sdk/task.ts). Runtime-neutral.
 */
import type { StateType } from "../server/engine/state-types";

export type TaskRunEvent =
  | {
      op: "start";
      id: string;
      taskKey: string;
      dynamicKey: string;
      name?: string;
      parameters?: Record<string, unknown>;
      tags?: string[];
      upstreamTaskRunIds?: string[];
      /** When it started, by the worker's clock (ISO 8601): its start time, unless that is later than the server's now. */
      at?: string;
    }
  | {
      op: "state";
      id: string;
      /** The task run's state version once this change is made: 1 for the first after the start. */
      version: number;
      state: { type: StateType; name?: string; message?: string };
      /** For a move to SCHEDULED (a retry's wait): when the next attempt is due. */
      scheduledTime?: string;
      /** A small JSON result, stored with the change; or the id of one stored already. */
      result?: { value: unknown };
      resultId?: string;
      /** When it happened, by the worker's clock: used for a task run recorded whole (its end time). */
      at?: string;
    };

