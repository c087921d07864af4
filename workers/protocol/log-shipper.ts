/**
 * Sends a worker's logs and metrics to the API in batches, for every run it holds: at most every
 * `intervalMs`, or at once when `maxBatch` entries are waiting. Lines carry their run's lease, so
 * the server drops those of a run the worker lost and says which (`onLeaseLost`). Metrics are stored as artifacts of type `metrics` (one per
 * flush and run, with its points) and echoed as debug logs, so they are visible through
 * `artifacts.list` and in the run's log. A failed send is retried on the next flush, bounded,
 * so a slow API cannot make a worker run out of memory. What is still unsent when a run ends goes
 * with its final report (`take`), which the outbox keeps until the server has it.
 *
 * Runtime-neutral (no Node modules): the Node worker, a flow's child process and a browser tab
 * all use it.
 */
import type { createTRPCClient } from "@trpc/client";
import type { AppRouter } from "../../server/api/root";
import type { RunSink } from "../../sdk/context";

type Api = ReturnType<typeof createTRPCClient<AppRouter>>;

/** A log line as `logs.create` takes it. */
export interface LogLine {
  flowRunId: string;
  taskRunId?: string;
  level: number;
  message: string;
  timestamp: string;
  leaseToken?: string;
}
type LogEntry = LogLine;

interface MetricEntry {
  flowRunId: string;
  taskRunId?: string;
  name: string;
  value: number;
  step?: number;
  timestamp: string;
  leaseToken?: string;
}

const MAX_BUFFERED = 50_000;

export class LogShipper implements RunSink {
  private logs: LogEntry[] = [];
  private metrics: MetricEntry[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly client: Api,
    private readonly opts: {
      /** Takes secrets out of a line before it is kept (the Node worker's API key). */
      redact?: (text: string) => string;
      intervalMs?: number;
      maxBatch?: number;
      echo?: (line: string) => void;
      /** The worker's lease on a flow run, sent with its lines so the server can refuse stale ones. */
      leaseOf?: (flowRunId: string) => string | undefined;
      /** Runs whose lines the server refused because their lease is gone: the worker stops them. */
      onLeaseLost?: (flowRunIds: string[]) => void;
    } = {},
  ) {}

  /** `leaseToken`: the run's governing lease (a subflow's line carries its top-level run's); else the worker's lease on the run. */
  log(entry: { flowRunId: string; taskRunId?: string; level: number; message: string; leaseToken?: string }): void {
    if (this.logs.length >= MAX_BUFFERED) this.logs.shift();
    // A line that shows an API key this process holds (a job printing its environment) keeps it out.
    const message = (this.opts.redact ?? ((t: string) => t))(entry.message.slice(0, 100_000));
    this.logs.push({
      ...entry,
      message,
      timestamp: new Date().toISOString(),
      leaseToken: entry.leaseToken ?? this.opts.leaseOf?.(entry.flowRunId),
    });
    this.opts.echo?.(message);
    this.schedule();
  }

  metric(entry: { flowRunId: string; taskRunId?: string; name: string; value: number; step?: number; leaseToken?: string }): void {
    if (!Number.isFinite(entry.value)) return;
    if (this.metrics.length >= MAX_BUFFERED) this.metrics.shift();
    this.metrics.push({ ...entry, leaseToken: entry.leaseToken ?? this.opts.leaseOf?.(entry.flowRunId), timestamp: new Date().toISOString() });
    this.log({ ...entry, level: 10, message: `metric ${entry.name}=${entry.value}${entry.step !== undefined ? ` step=${entry.step}` : ""}` });
  }

  /**
   * Removes and returns the run's lines still waiting (after a flush that could not reach the
   * server): the final report carries them, so they are kept as durably as the outcome.
   */
  take(flowRunId: string): LogLine[] {
    const mine = this.logs.filter((l) => l.flowRunId === flowRunId);
    if (mine.length) this.logs = this.logs.filter((l) => l.flowRunId !== flowRunId);
    return mine;
  }

  private schedule(): void {
    if (this.logs.length >= (this.opts.maxBatch ?? 200)) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.opts.intervalMs ?? 250);
  }

  /** Sends everything buffered; resolves when it is stored (or has failed and been put back). */
  /**
   * Before a run's final report: waits for a send in flight (its lines may be in it), and sends
   * now only if the run has metrics waiting — they are stored as artifacts, not carried by the
   * report. The run's remaining lines are then `take`n into the report: one call, not two.
   */
  async settle(flowRunId: string): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.metrics.some((m) => m.flowRunId === flowRunId)) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // One flush at a time keeps the logs in order.
    while (this.flushing) await this.flushing;
    if (!this.logs.length && !this.metrics.length) return;
    this.flushing = this.send().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private async send(): Promise<void> {
    const logs = this.logs.splice(0, 1000);
    const metrics = this.metrics.splice(0);
    try {
      if (logs.length) {
        const { leaseLost } = await this.client.logs.create.mutate({ logs });
        if (leaseLost.length) this.opts.onLeaseLost?.(leaseLost);
      }
    } catch {
      this.logs.unshift(...logs);
      this.metrics.unshift(...metrics);
      this.timer ??= setTimeout(() => void this.flush(), 1000);
      return;
    }
    const byRun = new Map<string, MetricEntry[]>();
    for (const m of metrics) byRun.set(`${m.flowRunId}:${m.taskRunId ?? ""}`, [...(byRun.get(`${m.flowRunId}:${m.taskRunId ?? ""}`) ?? []), m]);
    for (const points of byRun.values()) {
      const { flowRunId, taskRunId, leaseToken } = points[0]!;
      await this.client.artifacts.create
        .mutate({ flowRunId, taskRunId, leaseToken: leaseToken ?? this.opts.leaseOf?.(flowRunId), type: "metrics", data: { points: points.map(({ name, value, step, timestamp }) => ({ name, value, step, timestamp })) } })
        .catch(() => {});
    }
    if (this.logs.length) this.schedule();
  }
}
