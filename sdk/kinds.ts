/**
 * Built-in task kinds (pdf, encode, cluster, train, infer) called from flow code: `runKind`
 * gives a kind the current run's logger, metrics and abort signal, so its progress and metrics
 * land on the run like any task's.
 */
import type { TaskContext, TaskKind } from "../workers/kinds/types";
import { currentRun, log, metric, type LogLevel } from "./context";

export function kindContext(): TaskContext {
  const run = currentRun();
  let lastReported = -1;
  return {
    log: (level: LogLevel, message) => log(level, message),
    metric: (name, value, step) => metric(name, value, step),
    // Progress as a log line at every tenth, so long work shows it moving without flooding the log.
    progress: (fraction, message) => {
      const tenth = Math.floor(fraction * 10);
      if (tenth === lastReported) return;
      lastReported = tenth;
      log("debug", `progress ${Math.round(fraction * 100)}%${message ? `: ${message}` : ""}`);
    },
    signal: run?.signal ?? new AbortController().signal,
  };
}

export function runKind<P, R>(kind: TaskKind<P, R>, params: P): Promise<R> {
  return kind(params, kindContext());
}
