/**
 * How the outbox's reports reach the server. Reports go in batches: every report handed over in
 * the same turn of the event loop (runs that finished together, an earlier worker's leftovers)
 * travels in one `workers.report` call, each with its own answer. A server older than this client
 * gets one call per report, as before.
 */
import { ReportRefused, serverAnswered, type OutboxStore, type PendingReport } from "./outbox";
import type { WorkerApi } from "./session";

/** The most log lines one report call carries (the server's MAX_LOG_BATCH). */
const MAX_REPORT_LINES = 1000;
/** The most task-run journal events one call carries (the server's MAX_TASK_RUN_EVENTS). */
const MAX_REPORT_EVENTS = 1000;

export class ReportSender {
  constructor(
    private readonly api: WorkerApi,
    /** Where the report waits: rewritten once lines sent ahead are stored, so they are not sent twice. */
    private readonly store: OutboxStore,
    private readonly log: (line: string) => void,
  ) {}

  async send(r: PendingReport): Promise<void> {
    // A long outage can leave more lines than one call takes: the oldest go ahead on their own.
    await this.shipLogsBeyond(r, this.singleReports ? 0 : MAX_REPORT_LINES);
    if (this.singleReports) return this.sendReportAlone(r);
    return new Promise<void>((resolve, reject) => {
      this.reportQueue.push({ report: r, resolve, reject });
      if (this.reportQueue.length === 1) setTimeout(() => void this.sendReportBatch(), 0);
    });
  }

  private reportQueue: { report: PendingReport; resolve: () => void; reject: (err: unknown) => void }[] = [];
  /** The server predates `workers.report`: one call per report, as before. */
  private singleReports = false;

  private async sendReportBatch(): Promise<void> {
    // Within the server's limits: 100 reports and 1000 log lines a call.
    const batch: typeof this.reportQueue = [];
    let lines = 0;
    let events = 0;
    while (this.reportQueue.length && batch.length < 100) {
      const n = this.reportQueue[0]!.report.logs?.length ?? 0;
      const e = this.reportQueue[0]!.report.taskRuns?.length ?? 0;
      if (batch.length && (lines + n > MAX_REPORT_LINES || events + e > MAX_REPORT_EVENTS)) break;
      lines += n;
      events += e;
      batch.push(this.reportQueue.shift()!);
    }
    if (this.reportQueue.length) setTimeout(() => void this.sendReportBatch(), 0);
    try {
      const { answers } = await this.api.workers.report.mutate({
        reports: batch.map(({ report: r }) => ({
          runId: r.runId,
          leaseToken: r.leaseToken,
          state: r.state,
          resultId: r.resultId,
          result: r.result,
          taskRuns: r.taskRuns,
          logs: r.logs?.map((l) => ({ taskRunId: l.taskRunId, level: l.level, message: l.message, timestamp: l.timestamp })),
        })),
      });
      const byRun = new Map(answers.map((a) => [a.runId, a]));
      for (const { report, resolve, reject } of batch) {
        const answer = byRun.get(report.runId);
        if (answer?.ok) resolve();
        else if (answer) reject(new ReportRefused(answer.message, answer.code, answer.reason));
        else reject(new Error(`the server did not answer the report of ${report.runName}`));
      }
    } catch (err) {
      if (isMissingProcedure(err)) {
        this.singleReports = true;
        for (const { report, resolve, reject } of batch) this.sendReportAlone(report).then(resolve, reject);
        return;
      }
      // The call was refused for one report (a run deleted, or outside the key's pools): that one
      // is answered, the others go again.
      const index = /^reports\.(\d+)\./.exec((err as { data?: { field?: string | null } }).data?.field ?? "")?.[1];
      const culprit = index === undefined ? undefined : batch[Number(index)];
      if (culprit && serverAnswered(err)) {
        const e = err as { message: string; data?: { code?: string; reason?: string | null } };
        culprit.reject(new ReportRefused(e.message, e.data?.code ?? "BAD_REQUEST", e.data?.reason ?? null));
        const rest = batch.filter((b) => b !== culprit);
        if (rest.length) {
          this.reportQueue.unshift(...rest);
          if (this.reportQueue.length === rest.length) setTimeout(() => void this.sendReportBatch(), 0);
        }
        return;
      }
      for (const { reject } of batch) reject(err);
    }
  }

  /**
   * Sends the report's oldest lines with `logs.create` until at most `keep` are left with it —
   * after its task-run journal (`workers.progress`), since lines may name those task runs.
   */
  private async shipLogsBeyond(r: PendingReport, keep: number): Promise<void> {
    // More journal than one call takes (a long outage), or lines to send ahead: the journal goes
    // first, in calls of its own, oldest events first.
    while (r.taskRuns?.length && (r.taskRuns.length > MAX_REPORT_EVENTS || (r.logs && r.logs.length > keep))) {
      const chunk = r.taskRuns.slice(0, MAX_REPORT_EVENTS);
      const { answers } = await this.api.workers.progress.mutate({ runs: [{ runId: r.runId, leaseToken: r.leaseToken, taskRuns: chunk }] });
      const answer = answers[0];
      if (answer && !answer.ok) throw new ReportRefused(answer.message, answer.code, answer.reason);
      r.taskRuns = r.taskRuns.length > chunk.length ? r.taskRuns.slice(chunk.length) : undefined;
      await this.store.put(r);
    }
    while (r.logs && r.logs.length > keep) {
      const chunk = r.logs.slice(0, Math.min(MAX_REPORT_LINES, r.logs.length - keep));
      const { leaseLost } = await this.api.logs.create.mutate({ logs: chunk });
      // Stored (or dropped for a lost lease, which the state change will say too): not again.
      r.logs = r.logs.slice(chunk.length);
      if (!r.logs.length) r.logs = undefined;
      await this.store.put(r);
      if (leaseLost.length) this.log(`the server refused the last logs of ${r.runName}: its lease is gone`);
    }
  }

  private async sendReportAlone(r: PendingReport): Promise<void> {
    await this.shipLogsBeyond(r, 0);
    await this.api.flowRuns.setState.mutate({ id: r.runId, state: r.state, leaseToken: r.leaseToken, resultId: r.resultId, result: r.result });
  }

}

/** A server older than this client: it has no such procedure. */
function isMissingProcedure(err: unknown): boolean {
  const e = err as { data?: { code?: string }; message?: string };
  return e?.data?.code === "NOT_FOUND" && /no procedure found/i.test(e.message ?? "");
}
