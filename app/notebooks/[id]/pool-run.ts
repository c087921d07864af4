/**
 * A cell sent to a work pool: a run of the kind's deployment on that pool (`notebook-cells/
 * <kind>-<pool>`, entrypoint `kind:<kind>`, made on first use), with the cell's parameters as
 * filled from its inputs. The page follows it through `live.run` (state and log lines pushed;
 * a metric line, `metric loss=0.41 step=3`, becomes a live curve point), falling back to asking
 * once a second where the server offers no live updates, and takes its result as the cell's output.
 */
import type { TRPCClient } from "@trpc/client";
import type { AppRouter } from "@/server/api/root";
import { CELL_FLOW, cellDeploymentName, cellDeploymentRef } from "@/common/notebook";

export { CELL_FLOW };
const TERMINAL = new Set(["COMPLETED", "FAILED", "CRASHED", "CANCELLED"]);
const METRIC_LINE = /^metric (\S+)=(-?[\d.e+-]+|NaN)(?: step=(\d+))?$/;

export interface PoolRunEvents {
  onRun(run: { id: string; name: string }): void;
  onState(state: string, message: string | null): void;
  onLog(level: number, message: string): void;
  onMetric(name: string, value: number, step: number | null): void;
}

async function cellDeployment(api: TRPCClient<AppRouter>, kind: string, pool: string): Promise<string> {
  const name = cellDeploymentName(kind, pool);
  try {
    return (await api.deployments.get.query({ deployment: cellDeploymentRef(kind, pool) })).id;
  } catch (err) {
    if ((err as { data?: { code?: string } }).data?.code !== "NOT_FOUND") throw err;
  }
  const made = await api.deployments.create.mutate({
    flow: CELL_FLOW,
    name,
    entrypoint: `kind:${kind}`,
    workPool: pool,
    description: `Notebook cells of kind ${kind} sent to pool ${pool}`,
  });
  return made.id;
}

/** Runs the kind on the pool and resolves with the run's result id once it completes. */
export async function runOnPool(
  api: TRPCClient<AppRouter>,
  opts: { kind: string; pool: string; parameters: Record<string, unknown>; signal: AbortSignal } & PoolRunEvents,
): Promise<string> {
  const deployment = await cellDeployment(api, opts.kind, opts.pool);
  const run = await api.deployments.run.mutate({ deployment, parameters: opts.parameters });
  opts.onRun({ id: run.id, name: run.name });
  opts.onState(run.stateName, null);
  const final = await new Promise<{ stateType: string; stateMessage: string | null }>((resolve, reject) => {
    let timer: ReturnType<typeof setInterval> | undefined;
    let done = false;
    const finish = (state: { stateType: string; stateMessage: string | null }) => {
      if (done) return;
      done = true;
      sub.unsubscribe();
      if (timer) clearInterval(timer);
      resolve(state);
    };
    const check = async () => {
      const now = await api.flowRuns.get.query({ id: run.id });
      opts.onState(now.stateName, now.stateMessage);
      if (TERMINAL.has(now.stateType)) finish(now);
    };
    const sub = api.live.run.subscribe(
      { id: run.id },
      {
        onData: ({ data }) => {
          if (data.type === "run") {
            opts.onState(data.run.stateName, data.run.stateMessage);
            if (TERMINAL.has(data.run.stateType)) finish(data.run);
          } else if (data.type === "logs") {
            for (const line of data.items) {
              const metric = METRIC_LINE.exec(line.message);
              if (metric) opts.onMetric(metric[1]!, Number(metric[2]), metric[3] !== undefined ? Number(metric[3]) : null);
              else opts.onLog(line.level, line.message);
            }
          } else if (data.type === "resync") void check().catch(() => {});
        },
        // No live updates here: ask once a second instead.
        onError: () => (timer ??= setInterval(() => void check().catch(() => {}), 1_000)),
      },
    );
    opts.signal.addEventListener("abort", () => {
      done = true;
      sub.unsubscribe();
      if (timer) clearInterval(timer);
      reject(new Error(`stopped following run ${run.name}; it goes on on pool ${opts.pool}`));
    }, { once: true });
    // It may have finished before the stream opened.
    void check().catch(() => {});
  });
  if (final.stateType !== "COMPLETED") throw new Error(`run ${run.name} on pool ${opts.pool} ended ${final.stateType}${final.stateMessage ? `: ${final.stateMessage}` : ""}`);
  const result = await api.results.ofRun.query({ flowRunId: run.id });
  if (!result) throw new Error(`run ${run.name} completed with no result`);
  return result.id;
}
