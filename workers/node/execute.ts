/**
 * Running one claimed flow run, by what its pool and entrypoint say it is: a TypeScript flow (in
 * a process of its own, flow-process.ts), a built-in task kind, a deployed notebook (its cells,
 * pipeline.ts), or (in a `process` pool) a command. Returns the result to report; throws when the
 * run failed, and rejects with the signal's reason once a stopped run's code has stopped. The
 * caller owns states and the lease.
 */
import { LOG_LEVELS } from "../../common/log-levels";
import { PIPELINE_PREFIX } from "../../common/notebook";
import { createKindContext } from "../kinds/context";
import type { TaskContext } from "../kinds/types";
import { resultRef } from "../../sdk/results";
import { EntrypointError, loadKind } from "./entrypoints";
import { runFlowInProcess } from "./flow-process";
import { runPipeline } from "./pipeline";
import { runProcessJob } from "./process-job";
import { clientResultReader } from "./result-reader";
import type { ClaimedRun, WorkerRuntime } from "./types";

export async function executeRun(run: ClaimedRun, signal: AbortSignal, rt: WorkerRuntime): Promise<{ resultId?: string; result?: { value: unknown }; message?: string }> {
  if (rt.poolType === "process") return runProcessJob(run, signal, rt);
  const { entrypoint } = run;
  if (!entrypoint) {
    throw new EntrypointError("this flow run has no entrypoint: run it from a deployment made with `baton deploy file.ts:flow`");
  }
  if (entrypoint.startsWith("kind:")) return untilAborted(runKind(run, entrypoint.slice("kind:".length), signal, rt), signal);
  // A deployed notebook: registered kinds only, so it runs here, like a kind.
  if (entrypoint.startsWith(PIPELINE_PREFIX)) return untilAborted(runPipeline(run, signal, rt), signal);
  return runFlowInProcess({ ...run, entrypoint }, signal, rt);
}

/**
 * A built-in kind runs in the worker process: its modules (and, for encode, a loaded model) stay
 * warm between runs. It gets the abort signal; a stopped one is let go at once.
 */
async function runKind(run: ClaimedRun, name: string, signal: AbortSignal, rt: WorkerRuntime) {
  const kind = await loadKind(name);
  const value = await kind(run.parameters, kindContext(run.id, signal, rt));
  return resultRef(rt.client, value, run.id, run.leaseToken, rt.inlineResultMaxBytes);
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** A kind's logs and metrics go to the run through the worker's shipper. */
function kindContext(flowRunId: string, signal: AbortSignal, rt: WorkerRuntime): TaskContext {
  return createKindContext({
    log: (level, message) => rt.shipper.log({ flowRunId, level: LOG_LEVELS[level], message }),
    metric: (name, value, step) => rt.shipper.metric({ flowRunId, name, value, step }),
    signal,
    device: rt.capabilities.gpu ? "cuda" : "cpu",
    results: clientResultReader(rt.client),
  });
}
