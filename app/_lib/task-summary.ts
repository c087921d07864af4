/**
 * A task run as the run page's graph, timeline and log filter need it: the few fields they
 * show, so a run of ten thousand task runs sends its browser ten thousand small rows, not the
 * API's whole records (parameters, tags, …). Pure: used on the server, read in the browser.
 */
import type { RouterOutputs, StateType } from "./trpc-types";

type TaskRun = RouterOutputs["taskRuns"]["list"][number];

export interface TaskSummary {
  id: string;
  name: string;
  taskKey: string;
  kind: string | null;
  stateType: StateType;
  stateName: string;
  /** Only a failed or crashed run's message: why it ended so. */
  failure: string | null;
  startTime: string | null;
  endTime: string | null;
  runCount: number;
  /** Task runs of the same flow run whose results it consumed (the graph's edges). */
  upstream: string[];
}

export function summariseTask(t: TaskRun): TaskSummary {
  const failed = t.stateType === "FAILED" || t.stateType === "CRASHED";
  return {
    id: t.id,
    name: t.name,
    taskKey: t.taskKey,
    kind: t.kind,
    stateType: t.stateType,
    stateName: t.stateName,
    failure: failed && t.stateMessage ? t.stateMessage.slice(0, 500) : null,
    startTime: t.startTime,
    endTime: t.endTime,
    runCount: t.runCount,
    upstream: t.upstreamTaskRunIds,
  };
}

/** The task-run page of a task run of flow run `runId`. */
export function taskRunHref(runId: string, taskRunId: string): string {
  return `/runs/${runId}/tasks/${taskRunId}`;
}
