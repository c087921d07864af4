/**
 * Running one claimed flow run, by what its pool and entrypoint say it is: a TypeScript flow, a
 * built-in task kind, or (in a `process` pool) a command. Returns the result id to report;
 * throws when the run failed. The caller owns states and the lease.
 */
import type { TaskContext } from "../kinds/types";
import type { RunContext } from "../../sdk/context";
import { executeFlow } from "../../sdk/flow";
import { resultRef } from "../../sdk/results";
import { EntrypointError, loadFlow, loadKind } from "./entrypoints";
import { runProcessJob } from "./process-job";
import type { ClaimedRun, WorkerRuntime } from "./types";

export async function executeRun(run: ClaimedRun, signal: AbortSignal, rt: WorkerRuntime): Promise<{ resultId?: string; result?: { value: unknown }; message?: string }> {
  const ctx: RunContext = {
    client: rt.client,
    sink: rt.shipper,
    flowRunId: run.id,
    leaseToken: run.leaseToken,
    signal,
    taskCounters: new Map(),
    capabilities: rt.capabilities,
  };
  if (rt.poolType === "process") return runProcessJob(run, signal, rt);
  if (!run.entrypoint) {
    throw new EntrypointError("this flow run has no entrypoint: run it from a deployment made with `baton deploy file.ts:flow`");
  }
  if (run.entrypoint.startsWith("kind:")) {
    const kind = await loadKind(run.entrypoint.slice("kind:".length));
    const value = await kind(run.parameters, kindContext(ctx, rt));
    return resultRef(rt.client, value, run.id);
  }
  const definition = await loadFlow(run.entrypoint, rt.settings.checkout);
  const { value: _value, ...ref } = await executeFlow(definition, ctx, run.parameters);
  return ref;
}

/** The TaskContext a kind gets: logs and metrics to the run, progress as a log line every 10 %. */
function kindContext(ctx: RunContext, rt: WorkerRuntime): TaskContext {
  const levels = { debug: 10, info: 20, warn: 30, error: 40 } as const;
  let lastTenth = -1;
  return {
    log: (level, message) => rt.shipper.log({ flowRunId: ctx.flowRunId, level: levels[level], message }),
    metric: (name, value, step) => rt.shipper.metric({ flowRunId: ctx.flowRunId, name, value, step }),
    progress: (fraction, message) => {
      const tenth = Math.floor(Math.min(1, Math.max(0, fraction)) * 10);
      if (tenth === lastTenth && !message) return;
      lastTenth = tenth;
      rt.shipper.log({ flowRunId: ctx.flowRunId, level: 20, message: `progress ${Math.round(fraction * 100)}%${message ? `: ${message}` : ""}` });
    },
    signal: ctx.signal,
    device: rt.capabilities.gpu ? "cuda" : "cpu",
  };
}
