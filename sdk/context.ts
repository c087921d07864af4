/**
 * The run context: which flow run (and task run) the current code belongs to, and how it talks
 * to Baton. Carried by AsyncLocalStorage, so `task()` calls and `log()` deep inside a flow find
 * their run without it being passed around — as Prefect's run context does.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { LOG_LEVELS, type LogLevel } from "../common/log-levels";
import type { BatonClient } from "../server/client";
import type { TaskRunEvent } from "../common/task-run-event";

export type { LogLevel };

/** Where logs and metrics go: batched to the API by the worker (see sdk/log-shipper.ts). */
export interface RunSink {
  /** `leaseToken`: the run's governing lease (a subflow's: its top-level run's), for the server to check. */
  log(entry: { flowRunId: string; taskRunId?: string; level: number; message: string; leaseToken?: string }): void;
  metric(entry: { flowRunId: string; taskRunId?: string; name: string; value: number; step?: number; leaseToken?: string }): void;
  /**
   * Records a task-run journal event of the run (server/domain/task-run-events.ts), where the
   * runtime ships journals: the worker sends it with the run's lines or its final report.
   */
  taskRun?(entry: { flowRunId: string; leaseToken: string; event: TaskRunEvent }): void;
}

export interface RunContext {
  client: BatonClient;
  sink: RunSink;
  flowRunId: string;
  /** Set while a task body runs. */
  taskRunId?: string;
  /**
   * The worker's lease on the top-level flow run it claimed. Every write about this run carries
   * it — task runs, states, logs, results, artifacts, subflow runs — and so do a subflow's (a
   * subflow runs inside its parent's worker: its writes are checked against the top-level run).
   * Absent only for a run no worker holds (a flow called at the top level).
   */
  leaseToken?: string;
  /** Aborted when the run is cancelled, loses its lease or times out. */
  signal: AbortSignal;
  /** How many times each task key has been called in this flow run: the task run's dynamic key. */
  taskCounters: Map<string, number>;
  /**
   * The flow run whose task runs are journalled through `sink.taskRun` instead of created by a
   * call: set by the worker for a run's first attempt (no earlier task runs to find). A subflow's
   * tasks, and every task of a later attempt, are created by a call.
   */
  journalRunId?: string;
  /** What the executing worker offers (tasks with `requires` are checked against it). */
  capabilities?: Record<string, unknown>;
}

const storage = new AsyncLocalStorage<RunContext>();

export function currentRun(): RunContext | undefined {
  return storage.getStore();
}

export function withRun<T>(ctx: RunContext, fn: () => Promise<T>): Promise<T> {
  return storage.run(ctx, fn);
}

/** Logs to the current run (printed to the console outside one). */
export function log(level: LogLevel, message: string): void {
  const ctx = currentRun();
  if (!ctx) {
    console.log(`${level.toUpperCase().padEnd(5)} ${message}`);
    return;
  }
  ctx.sink.log({ flowRunId: ctx.flowRunId, taskRunId: ctx.taskRunId, level: LOG_LEVELS[level], message, leaseToken: ctx.leaseToken });
}

/** A logger bound to the current run, in the manner of Prefect's `get_run_logger()`. */
export function getRunLogger() {
  return {
    debug: (m: string) => log("debug", m),
    info: (m: string) => log("info", m),
    warn: (m: string) => log("warn", m),
    error: (m: string) => log("error", m),
  };
}

/** Records a metric point (e.g. loss per step) on the current run. */
export function metric(name: string, value: number, step?: number): void {
  const ctx = currentRun();
  if (!ctx) {
    console.log(`METRIC ${name}=${value}${step !== undefined ? ` step=${step}` : ""}`);
    return;
  }
  ctx.sink.metric({ flowRunId: ctx.flowRunId, taskRunId: ctx.taskRunId, name, value, step, leaseToken: ctx.leaseToken });
}

/** Throws the abort reason when the current run has been told to stop. */
export function throwIfAborted(ctx: RunContext | undefined = currentRun()): void {
  if (ctx?.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error(String(ctx.signal.reason ?? "aborted"));
}
