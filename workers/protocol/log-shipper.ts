/**
 * Sends a worker's logs and metrics to the API in batches, for every run it holds: at most every
 * `intervalMs`, or at once when `maxBatch` entries are waiting. Lines carry their run's lease, so
 * the server drops those of a run the worker lost and says which (`onLeaseLost`). Metrics are stored as artifacts of type `metrics` (one per
 * flush and run, with its points) and echoed as debug logs, so they are visible through
 * `artifacts.list` and in the run's log. A failed send is retried on the next flush, bounded,
 * so a slow API cannot make a worker run out of memory. What is still unsent when a run ends goes
 * with its final report (`take`), which the outbox keeps until the server has it.
 *
 * It also carries the journal of task runs a flow records after the fact
 * (server/domain/task-run-events.ts): a run's events go ahead of its lines in one
 * `workers.progress` call (the lines may name those task runs), within `journalLingerMs` of the
 * first one waiting — or with the run's final report, when the run ends first (`takeJournal`).
 *
 * Runtime-neutral (no Node modules): the Node worker, a flow's child process and a browser tab
 * all use it.
 */
import type { createTRPCClient } from "@trpc/client";
import type { AppRouter } from "../../server/api/root";
import type { RunSink } from "../../sdk/context";
import type { TaskRunEvent } from "../../common/task-run-event";

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

/** A journal event of a run the worker holds, with that run's lease. */
export interface JournalEntry {
  /** The top-level flow run it holds (whose task run this is). */
  flowRunId: string;
  leaseToken: string;
  event: TaskRunEvent;
}

const MAX_BUFFERED = 50_000;
/** The server's limits on one `workers.progress` call. */
const MAX_LINES_A_CALL = 1000;
const MAX_EVENTS_A_CALL = 1000;

export class LogShipper implements RunSink {
  private logs: LogEntry[] = [];
  private metrics: MetricEntry[] = [];
  private journal: JournalEntry[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the pending flush is due (a journal event brings it forward). */
  private timerDue = 0;
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
      /** How soon a task run's journal goes to the server once an event waits (default 50 ms). */
      journalLingerMs?: number;
      /** A run's progress the server refused for another reason than its lease (a bug): said once. */
      onRefused?: (flowRunId: string, message: string) => void;
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

  /** A task-run journal event of a run this worker holds (from the flow's process). */
  taskRun(entry: JournalEntry): void {
    this.journal.push(entry);
    this.schedule(this.opts.journalLingerMs ?? 50);
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

  /** Removes and returns the run's journal not yet sent: it goes with the final report, ahead of its lines. */
  takeJournal(flowRunId: string): TaskRunEvent[] {
    const mine = this.journal.filter((e) => e.flowRunId === flowRunId);
    if (mine.length) this.journal = this.journal.filter((e) => e.flowRunId !== flowRunId);
    return mine.map((e) => e.event);
  }

  /**
   * Resolves once every journal event of the run handed over so far is stored (a flow's process
   * asks before any call of its own that may name those task runs), trying again while the server
   * cannot be reached; gives up when the run's events are dropped (lease gone) or `signal` fires.
   */
  async deliverJournal(flowRunId: string, signal?: AbortSignal): Promise<void> {
    while (this.journal.some((e) => e.flowRunId === flowRunId) && !signal?.aborted) {
      await this.flush();
      if (!this.journal.some((e) => e.flowRunId === flowRunId)) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  private schedule(withinMs = this.opts.intervalMs ?? 250): void {
    if (this.logs.length >= (this.opts.maxBatch ?? 200)) {
      void this.flush();
      return;
    }
    const due = Date.now() + withinMs;
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => void this.flush(), withinMs);
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
    if (!this.logs.length && !this.metrics.length && !this.journal.length) return;
    this.flushing = this.send().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private async send(): Promise<void> {
    const journal = this.journal.splice(0, MAX_EVENTS_A_CALL);
    const logs = this.logs.splice(0, MAX_LINES_A_CALL);
    const metrics = this.metrics.splice(0);
    // A run's lines may name task runs of its journal: they go with its events, after them in the
    // same transaction, and never ahead of events still waiting (beyond this call's limit).
    const waiting = new Set(this.journal.map((e) => e.flowRunId));
    const runs = [...new Set(journal.map((e) => e.flowRunId))];
    const progress = runs.map((flowRunId) => ({
      runId: flowRunId,
      leaseToken: journal.find((e) => e.flowRunId === flowRunId)!.leaseToken,
      taskRuns: journal.filter((e) => e.flowRunId === flowRunId).map((e) => e.event),
      logs: waiting.has(flowRunId)
        ? []
        : logs.filter((l) => l.flowRunId === flowRunId).map((l) => ({ taskRunId: l.taskRunId, level: l.level, message: l.message, timestamp: l.timestamp })),
    }));
    const inProgress = new Set(runs.filter((id) => !waiting.has(id)));
    const heldBack = logs.filter((l) => waiting.has(l.flowRunId));
    const loose = logs.filter((l) => !waiting.has(l.flowRunId) && !inProgress.has(l.flowRunId));
    /** Runs whose progress the server answered (stored, or refused for good). */
    const answered = new Set<string>();
    let looseStored = false;
    try {
      for (let i = 0; i < progress.length; i += 100) {
        const { answers } = await this.client.workers.progress.mutate({ runs: progress.slice(i, i + 100) });
        for (const a of answers) answered.add(a.runId);
        const lost = answers.filter((a) => !a.ok && a.reason === "LEASE_LOST").map((a) => a.runId);
        if (lost.length) this.opts.onLeaseLost?.(lost);
        for (const a of answers) if (!a.ok && a.reason !== "LEASE_LOST") this.opts.onRefused?.(a.runId, a.message);
      }
      if (loose.length) {
        const { leaseLost } = await this.client.logs.create.mutate({ logs: loose });
        if (leaseLost.length) this.opts.onLeaseLost?.(leaseLost);
      }
      looseStored = true;
    } catch {
      // What was not stored goes again, in its order: journal events first, then lines.
      this.journal.unshift(...journal.filter((e) => !answered.has(e.flowRunId)));
      this.logs.unshift(...logs.filter((l) => (inProgress.has(l.flowRunId) ? !answered.has(l.flowRunId) : waiting.has(l.flowRunId) || !looseStored)));
      this.metrics.unshift(...metrics);
      this.timer ??= setTimeout(() => void this.flush(), 1000);
      return;
    }
    if (heldBack.length) this.logs.unshift(...heldBack);
    // Metrics may name task runs too: those of a run with events still waiting wait with them.
    this.metrics.unshift(...metrics.filter((m) => waiting.has(m.flowRunId)));
    const byRun = new Map<string, MetricEntry[]>();
    for (const m of metrics.filter((m) => !waiting.has(m.flowRunId))) byRun.set(`${m.flowRunId}:${m.taskRunId ?? ""}`, [...(byRun.get(`${m.flowRunId}:${m.taskRunId ?? ""}`) ?? []), m]);
    for (const points of byRun.values()) {
      const { flowRunId, taskRunId, leaseToken } = points[0]!;
      await this.client.artifacts.create
        .mutate({ flowRunId, taskRunId, leaseToken: leaseToken ?? this.opts.leaseOf?.(flowRunId), type: "metrics", data: { points: points.map(({ name, value, step, timestamp }) => ({ name, value, step, timestamp })) } })
        .catch(() => {});
    }
    if (this.journal.length) this.schedule(0);
    else if (this.logs.length) this.schedule();
  }
}
