/**
 * `task()`: a step of a flow. Each call inside a flow run is a task run with its own state,
 * retries, timeout, cache key and persisted result. A task called again after its flow run was
 * retried or resumed elsewhere (same key, same position) returns the result it already has
 * instead of running twice. Outside a flow run a task is a plain function call (with retries).
 */
import { currentRun, log, throwIfAborted, withRun, type RunContext } from "./context";
import { retryDelayMs } from "../common/retry-delay";
import { errorMessage, sleep, withTimeout, type RunOptions } from "./policy";
import { loadResult, resultRef, summariseArgs } from "./results";
import { rememberResult, upstreamOf } from "./upstream";
import type { TaskRunEvent } from "../common/task-run-event";

export interface TaskOptions<A extends unknown[]> extends RunOptions {
  /** Calls with the same cache key reuse the first completed result. */
  cacheKey?: (...args: A) => string | undefined;
}

export const TASK = Symbol.for("baton.task");

export type Task<A extends unknown[], R> = ((...args: A) => Promise<R>) & { readonly [TASK]: { name: string; options: TaskOptions<A> } };

export function task<A extends unknown[], R>(options: TaskOptions<A> | string, fn: (...args: A) => R | Promise<R>): Task<A, R> {
  const opts: TaskOptions<A> = typeof options === "string" ? { name: options } : options;
  const name = opts.name ?? (fn.name || "task");
  const call = async (...args: A): Promise<R> => {
    const ctx = currentRun();
    if (!ctx) return runAttempts(opts, name, () => Promise.resolve(fn(...args)), new AbortController().signal);
    return runTracked(ctx, opts, name, args, fn);
  };
  return Object.assign(call, { [TASK]: { name, options: opts } });
}

type StateReport = { type: "PENDING" | "RUNNING" | "SCHEDULED" | "COMPLETED" | "FAILED" | "CRASHED"; name?: string; message?: string };
type StateExtra = { resultId?: string; result?: { value: unknown }; scheduledTime?: string };

/**
 * A task run recorded after the fact (server/domain/task-run-events.ts): its id made here, its
 * start and each state change handed to the run's sink, which ships them with the run's lines
 * or its final report. Only for the flow run the worker says is journalled (its first attempt).
 */
function journalOf(ctx: RunContext) {
  const { sink, leaseToken } = ctx;
  if (ctx.journalRunId !== ctx.flowRunId || !sink.taskRun || !leaseToken) return undefined;
  const record = (event: TaskRunEvent) => sink.taskRun!({ flowRunId: ctx.flowRunId, leaseToken, event });
  let id = "";
  let version = 0;
  return {
    start(fields: Omit<Extract<TaskRunEvent, { op: "start" }>, "op" | "id">) {
      id = globalThis.crypto.randomUUID();
      record({ op: "start", id, ...fields, at: journalTime() });
      return { id, created: true, stateType: "RUNNING" as string };
    },
    report: async (state: StateReport, extra: StateExtra = {}) => record({ op: "state", id, version: ++version, state, ...extra, at: journalTime() }),
  };
}

let lastMicros = 0;
/**
 * Now, as ISO 8601 to the microsecond and strictly later than the last time this process
 * journalled: two tasks started within one millisecond keep their order in the run's list.
 */
function journalTime(): string {
  let micros = Date.now() * 1000;
  if (micros <= lastMicros) micros = lastMicros + 1;
  lastMicros = micros;
  return new Date(Math.floor(micros / 1000)).toISOString().replace("Z", `${String(micros % 1000).padStart(3, "0")}Z`);
}

async function runTracked<A extends unknown[], R>(ctx: RunContext, opts: TaskOptions<A>, name: string, args: A, fn: (...args: A) => R | Promise<R>): Promise<R> {
  throwIfAborted(ctx);
  checkRequirements(ctx, opts, name);
  const index = ctx.taskCounters.get(name) ?? 0;
  ctx.taskCounters.set(name, index + 1);
  const cacheKey = opts.cacheKey?.(...args);
  const client = ctx.client;
  const fields = {
    taskKey: name,
    dynamicKey: String(index),
    name: `${name}-${index}`,
    parameters: summariseArgs(args),
    tags: opts.tags,
    // The DAG: earlier task runs of this flow run whose results are among the arguments.
    upstreamTaskRunIds: upstreamOf(args, ctx.flowRunId),
  };
  // A first attempt's task (no earlier task run to find, no cache to ask) is journalled: no call now.
  const journal = !cacheKey ? journalOf(ctx) : undefined;
  const taskRun = journal
    ? journal.start(fields)
    : await client.taskRuns.create.mutate({
        flowRunId: ctx.flowRunId,
        ...fields,
        cacheKey,
        flowRunLeaseToken: ctx.leaseToken,
        // Created RUNNING: one call, not create then a state change (an earlier attempt's run keeps its state).
        start: true,
      });
  const report = journal
    ? journal.report
    : (state: StateReport, extra: StateExtra = {}) => client.taskRuns.setState.mutate({ id: taskRun.id, state, flowRunLeaseToken: ctx.leaseToken, ...extra });

  // Created RUNNING by this call: nothing to report yet. Found from an earlier attempt: bring it round.
  const fresh = taskRun.created && taskRun.stateType === "RUNNING";
  /** A value this task run hands on: later tasks called with it are downstream of it. */
  const produced = (value: R): R => {
    rememberResult(value, ctx.flowRunId, taskRun.id);
    return value;
  };
  if (taskRun.stateType === "COMPLETED") {
    // Done by an earlier attempt of this flow run: its result stands.
    const done = await client.results.ofRun.query({ taskRunId: taskRun.id });
    if (done) return produced((await loadResult(client, done.id)) as R);
  }
  if (cacheKey) {
    const hit = await client.taskRuns.cached.query({ cacheKey, flowRunId: ctx.flowRunId });
    if (hit && hit.taskRunId !== taskRun.id) {
      if (!fresh) await bringToRunning(taskRun.stateType, report);
      await report({ type: "COMPLETED", name: "Cached", message: `cached result of task run ${hit.taskRunId}` }, { resultId: hit.resultId });
      return produced((await loadResult(client, hit.resultId)) as R);
    }
  }
  if (!fresh) await bringToRunning(taskRun.stateType, report);
  const taskCtx: RunContext = { ...ctx, taskRunId: taskRun.id };
  let value: R;
  try {
    value = await withRun(taskCtx, () =>
      runAttempts(opts, name, (signal) => withRun({ ...taskCtx, signal }, () => Promise.resolve(fn(...args))), ctx.signal, async (attempt, err, delayMs) => {
        await report({ type: "FAILED", message: errorMessage(err) });
        await report(
          { type: "SCHEDULED", name: "AwaitingRetry", message: `retry ${attempt} of ${opts.retries} in ${(delayMs / 1000).toFixed(1)} s after: ${errorMessage(err)}` },
          { scheduledTime: new Date(Date.now() + delayMs).toISOString() },
        );
        await sleep(delayMs, ctx.signal);
        await report({ type: "RUNNING", name: "Retrying" });
      }),
    );
  } catch (err) {
    await report({ type: ctx.signal.aborted ? "CRASHED" : "FAILED", message: errorMessage(err) }).catch(() => {});
    throw err;
  }
  // Small results ride with the COMPLETED report; large ones are stored first.
  await report({ type: "COMPLETED" }, await resultRef(client, value, ctx.flowRunId, ctx.leaseToken));
  return produced(value);
}

/**
 * Runs the attempts: the first, then one per retry after its delay. `beforeRetry` records the
 * failure and the wait (tracked tasks); untracked calls just wait.
 */
export async function runAttempts<R>(
  opts: RunOptions,
  name: string,
  attempt: (signal: AbortSignal) => Promise<R>,
  signal: AbortSignal,
  beforeRetry?: (attempt: number, err: unknown, delayMs: number) => Promise<void>,
): Promise<R> {
  for (let n = 1; ; n++) {
    try {
      return await withTimeout(attempt, opts.timeoutSeconds, signal);
    } catch (err) {
      if (signal.aborted || n > (opts.retries ?? 0)) throw err;
      const delayMs = retryDelayMs({ delaySeconds: opts.retryDelaySeconds, backoff: opts.backoff, jitter: opts.jitter }, n);
      log("warn", `${name} failed (attempt ${n} of ${(opts.retries ?? 0) + 1}): ${errorMessage(err)}; retrying in ${(delayMs / 1000).toFixed(1)} s`);
      if (beforeRetry) await beforeRetry(n, err, delayMs);
      else await sleep(delayMs, signal);
    }
  }
}

/** Moves a task run to RUNNING from wherever an earlier attempt of its flow run left it. */
async function bringToRunning(state: string, report: (s: StateReport) => Promise<unknown>): Promise<void> {
  switch (state) {
    case "PENDING":
    case "SCHEDULED":
    case "PAUSED":
      await report({ type: "RUNNING" });
      return;
    case "RUNNING":
    case "CANCELLING":
      // Left running by an attempt that died: record that, then start over.
      await report({ type: "CRASHED", message: "the flow run attempt that ran it ended before it finished" });
      await report({ type: "SCHEDULED", name: "AwaitingRetry" });
      await report({ type: "RUNNING", name: "Retrying" });
      return;
    case "FAILED":
    case "CRASHED":
    case "COMPLETED": // completed without a result: run it again
      if (state === "COMPLETED") throw new Error("task run completed without a stored result; cannot reuse it");
      await report({ type: "SCHEDULED", name: "AwaitingRetry" });
      await report({ type: "RUNNING", name: "Retrying" });
      return;
    default:
      throw new Error(`task run is ${state} and cannot run again`);
  }
}

function checkRequirements(ctx: RunContext, opts: RunOptions, name: string): void {
  const caps = ctx.capabilities;
  if (!caps || !opts.requires) return;
  if (opts.requires.gpu && !caps.gpu) throw new Error(`task ${name} requires a GPU and this worker has none`);
  const memory = Number(caps.memoryGb ?? Infinity);
  if (opts.requires.memoryGb && memory < opts.requires.memoryGb) {
    throw new Error(`task ${name} requires ${opts.requires.memoryGb} GB of memory and this worker has ${memory} GB`);
  }
}
