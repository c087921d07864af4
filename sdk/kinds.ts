/**
 * Built-in task kinds (pdf, encode, cluster, train, infer) called from flow code: `runKind`
 * gives a kind the current run's logger, metrics and abort signal, so its progress and metrics
 * land on the run like any task's.
 */
import { createKindContext } from "../workers/kinds/context";
import type { TaskContext, TaskKind } from "../workers/kinds/types";
import { currentRun, log, metric } from "./context";

/** A kind called from flow code logs and records metrics on the current run (or the console outside one). */
function kindContext(): TaskContext {
  return createKindContext({ log, metric, signal: currentRun()?.signal ?? new AbortController().signal });
}

export function runKind<P, R>(kind: TaskKind<P, R>, params: P): Promise<R> {
  return kind(params, kindContext());
}
