/**
 * Final reports that must not be lost. A run's outcome (with the log lines the server has not
 * taken yet) is written to the outbox's store before it is sent, and removed only once the server
 * has answered — accepted, or refused for a reason sending again cannot change (the lease is
 * gone, the run moved on). Until then it is re-sent with backoff, through server restarts and
 * outages; a worker that dies meanwhile leaves it in the store, and the next worker of the same
 * pool on that machine (or in that browser) sends it when it starts — the lease decides whether
 * the server still takes it. The store is the runtime's part: files for a Node worker
 * (workers/node/outbox-store.ts), IndexedDB for a tab (workers/browser/outbox-store.ts).
 */
import { TRPCClientError } from "@trpc/client";
import type { LogLine } from "./log-shipper";
import type { TaskRunEvent } from "../../common/task-run-event";

export interface PendingReport {
  runId: string;
  runName: string;
  leaseToken: string;
  state: { type: "COMPLETED" | "FAILED" | "CRASHED" | "CANCELLED"; message?: string };
  resultId?: string;
  /** A small result sent inline with the report. */
  result?: { value: unknown };
  /** The run's task-run journal the server has not stored yet: applied first, in the same transaction. */
  taskRuns?: TaskRunEvent[];
  /** The run's log lines the server has not stored yet: sent with the state, in the same call. */
  logs?: LogLine[];
  createdAt: string;
}

/** Where pending reports wait: one entry per run, written whole (a crash leaves the old or the new). */
export interface OutboxStore {
  /** Where it is, for messages ("/var/lib/baton/outbox/gpu", "IndexedDB baton-outbox"). */
  readonly location: string;
  put(report: PendingReport): Promise<void>;
  remove(runId: string): Promise<void>;
  /** Every report waiting, in any order; entries that cannot be read are named through `warn`. */
  list(warn: (message: string) => void): Promise<PendingReport[]>;
}

/** For runtimes without durable storage (a browser in private mode): kept for this session only. */
export class MemoryOutboxStore implements OutboxStore {
  readonly location = "memory (not kept across restarts)";
  private readonly reports = new Map<string, PendingReport>();
  async put(report: PendingReport) {
    this.reports.set(report.runId, structuredClone(report));
  }
  async remove(runId: string) {
    this.reports.delete(runId);
  }
  async list() {
    return [...this.reports.values()];
  }
}

export type Delivery = { delivered: true } | { delivered: false; refused: string } | { delivered: false; stopped: true };

/** The server took the call and refused this report (its answer in a batch): sending it again would get the same. */
export class ReportRefused extends Error {
  override name = "ReportRefused";
  constructor(
    message: string,
    readonly code: string,
    readonly reason: string | null,
  ) {
    super(message);
  }
}

/** Whether the server answered (so sending again would get the same answer). */
export function serverAnswered(err: unknown): boolean {
  if (err instanceof ReportRefused) return true;
  if (!(err instanceof TRPCClientError)) return false;
  const status = (err.data as { httpStatus?: number } | undefined)?.httpStatus;
  return typeof status === "number" && status < 500 && status !== 429 && status !== 408;
}

export class ReportOutbox {
  private stopped = false;
  private readonly waiting = new Set<() => void>();

  constructor(
    readonly store: OutboxStore,
    private readonly send: (report: PendingReport) => Promise<void>,
    private readonly log: (line: string) => void,
    private readonly maxBackoffMs = 10_000,
  ) {}

  /** Reports an earlier worker left in the store, oldest first. */
  async leftovers(): Promise<PendingReport[]> {
    const reports = await this.store.list((m) => this.log(`outbox: ${m}`)).catch((err: unknown) => {
      this.log(`outbox: cannot read ${this.store.location}: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    });
    return reports.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Keeps the report in the store, then sends it until the server answers (or the outbox is stopped). */
  async deliver(report: PendingReport, { persisted = false } = {}): Promise<Delivery> {
    // The first send goes while the report is being written: a worker that dies before the write
    // is done loses it either way, and one that lives re-sends from memory. Removal waits for it.
    let stored = persisted ? Promise.resolve() : this.store.put(structuredClone(report));
    stored.catch(() => {});
    // A report with more lines (or journal) than one call takes is rewritten as its oldest go ahead
    // (report-sender.ts): those writes must come after this one.
    if ((report.logs?.length ?? 0) > 1000 || (report.taskRuns?.length ?? 0) > 1000) await stored.catch(() => {});
    for (let attempt = 0; ; attempt++) {
      // Once stopped, one more try (a forced shutdown still reports what it can), then no more.
      if (this.stopped && attempt > 0) return { delivered: false, stopped: true };
      try {
        await this.send(report);
        await stored.catch(() => {});
        await this.store.remove(report.runId);
        return { delivered: true };
      } catch (err) {
        // A failed write is tried again with the next send: the report must be on disk while it waits.
        stored = stored.catch(() => this.store.put(report));
        if (serverAnswered(err)) {
          await stored.catch(() => {});
          await this.store.remove(report.runId);
          return { delivered: false, refused: err instanceof Error ? err.message : String(err) };
        }
        const delay = Math.min(this.maxBackoffMs, 250 * 2 ** Math.min(attempt, 8));
        if (attempt === 0 || attempt % 10 === 0) {
          this.log(`could not report ${report.runName} yet (${err instanceof Error ? err.message : String(err)}); kept in the outbox, retrying`);
        }
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            this.waiting.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, delay);
          this.waiting.add(wake);
        });
      }
    }
  }

  /** Stops re-sending (a forced shutdown); what is not delivered stays in the store for the next start. */
  stop(): void {
    this.stopped = true;
    for (const wake of [...this.waiting]) wake();
  }
}
