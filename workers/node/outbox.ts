/**
 * Final reports that must not be lost. A run's outcome is written to disk before it is sent and
 * removed only once the server has answered — accepted, or refused for a reason sending again
 * cannot change (the lease is gone, the run moved on). Until then it is re-sent with backoff,
 * through server restarts and outages; a worker that dies meanwhile leaves the file, and the next
 * worker of the same pool on this machine sends it when it starts (the lease decides whether the
 * server still takes it). Before this, a report that failed during an outage was logged and
 * forgotten, and the run stayed RUNNING for good.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { TRPCClientError } from "@trpc/client";

export interface PendingReport {
  runId: string;
  runName: string;
  leaseToken: string;
  state: { type: "COMPLETED" | "FAILED" | "CRASHED" | "CANCELLED"; message?: string };
  resultId?: string;
  /** A small result sent inline with the report. */
  result?: { value: unknown };
  createdAt: string;
}

export type Delivery = { delivered: true } | { delivered: false; refused: string } | { delivered: false; stopped: true };

/** Whether the server answered (so sending again would get the same answer). */
export function serverAnswered(err: unknown): boolean {
  if (!(err instanceof TRPCClientError)) return false;
  const status = (err.data as { httpStatus?: number } | undefined)?.httpStatus;
  return typeof status === "number" && status < 500 && status !== 429 && status !== 408;
}

export class ReportOutbox {
  private stopped = false;
  private readonly waiting = new Set<() => void>();

  constructor(
    readonly dir: string,
    private readonly send: (report: PendingReport) => Promise<void>,
    private readonly log: (line: string) => void,
    private readonly maxBackoffMs = 10_000,
  ) {}

  private file(runId: string): string {
    return path.join(this.dir, `${runId}.json`);
  }

  /** Reports an earlier worker left here, oldest first. */
  async leftovers(): Promise<PendingReport[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith(".json"));
    } catch {
      return [];
    }
    const reports: PendingReport[] = [];
    for (const name of names) {
      try {
        reports.push(JSON.parse(await readFile(path.join(this.dir, name), "utf8")) as PendingReport);
      } catch {
        this.log(`outbox: ${name} is unreadable; leaving it in ${this.dir}`);
      }
    }
    return reports.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Keeps the report on disk, then sends it until the server answers (or the outbox is stopped). */
  async deliver(report: PendingReport, { persisted = false } = {}): Promise<Delivery> {
    if (!persisted) {
      await mkdir(this.dir, { recursive: true });
      const tmp = `${this.file(report.runId)}.${randomUUID()}.tmp`;
      await writeFile(tmp, JSON.stringify(report));
      await rename(tmp, this.file(report.runId));
    }
    for (let attempt = 0; ; attempt++) {
      // Once stopped, one more try (a forced shutdown still reports what it can), then no more.
      if (this.stopped && attempt > 0) return { delivered: false, stopped: true };
      try {
        await this.send(report);
        await rm(this.file(report.runId), { force: true });
        return { delivered: true };
      } catch (err) {
        if (serverAnswered(err)) {
          await rm(this.file(report.runId), { force: true });
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

  /** Stops re-sending (a forced shutdown); what is not delivered stays on disk for the next start. */
  stop(): void {
    this.stopped = true;
    for (const wake of [...this.waiting]) wake();
  }
}
