/**
 * A worker's final reports, many runs in one call (`workers.report`): for each run its last log
 * lines and its end state — with the result inline or by id — under the run's lease. One report
 * is one transaction: the lines and the state land together or not at all, so a report the
 * worker re-sends after a lost answer is refused as a whole (the lease was released by the first
 * delivery) and its lines are not stored twice. Reports in one call are independent: one refused
 * (its lease gone) does not hold back the others; each gets its own answer.
 *
 * Before this, a worker made three calls per finished run (logs, optional result, state), each a
 * round trip on the path from a click to COMPLETED, and the lines could land without the state.
 * A report also carries the journal of the run's task runs not yet sent (./task-run-events.ts),
 * and `workers.progress` sends journal and lines while the run goes on.
 */
import { and, eq, inArray } from "drizzle-orm";
import { flowRuns } from "../../drizzle/schema";
import { AppError, translateDatabaseError } from "../errors";
import type { DbOrTx } from "../db/client";
import { failFlowRun } from "../engine/retries";
import type { FlowRunRow } from "../engine/states";
import type { StateType } from "../engine/state-types";
import { setRunState } from "../engine/transitions";
import { createLogs, type LogInput } from "./logs";
import { applyTaskRunEvents, type TaskRunEvent } from "./task-run-events";
import { withInlineResult } from "./results";

export interface FlowRunStateReport {
  db: DbOrTx;
  workspaceId: string;
  runId: string;
  actor: string;
  state: { type: StateType; name?: string; message?: string };
  leaseToken?: string;
  expectedVersion?: number;
  resultId?: string;
  result?: { value: unknown };
  /** `db` is a transaction of the caller's that holds the whole report. */
  inTransaction?: boolean;
}

/**
 * A flow run's state as a worker or API client reports it. Failures go through the retry policy.
 * strictLease: a run a worker holds changes only through that worker's reports, with its lease
 * token (members cancel it instead), so nobody can forge its outcome. The state and the result
 * commit together: a result missing from the workspace leaves the run as it was (NOT_FOUND on
 * resultId), never COMPLETED without its result.
 */
export async function reportFlowRunState(opts: FlowRunStateReport): Promise<FlowRunRow> {
  if (opts.result && opts.resultId) throw AppError.badRequest("result: give result or resultId, not both", "result");
  const common = { workspaceId: opts.workspaceId, runId: opts.runId, actor: opts.actor, leaseToken: opts.leaseToken, expectedVersion: opts.expectedVersion, strictLease: true };
  const { type, name, message } = opts.state;
  if (type === "FAILED" || type === "CRASHED") {
    return failFlowRun({ ...common, db: opts.db, type, name, message: message ?? (type === "FAILED" ? "failed" : "crashed") });
  }
  return withInlineResult(
    opts.db,
    opts.workspaceId,
    opts.result,
    (db, inlineId) => setRunState({ ...common, db, kind: "flow", to: { type, name, message }, resultId: inlineId ?? opts.resultId }),
    opts.inTransaction,
  );
}

/** What a worker sends about a run it holds while it runs: its task runs' journal and log lines. */
export interface RunProgress {
  runId: string;
  leaseToken: string;
  /** Task runs recorded after the fact (./task-run-events.ts), applied before the lines that name them. */
  taskRuns?: TaskRunEvent[];
  /** The run's lines (its own or its task runs'). */
  logs?: Omit<LogInput, "flowRunId" | "leaseToken">[];
}

/** A final report: the run's progress not yet sent, and its end state. */
export interface RunReport extends RunProgress {
  state: { type: StateType; name?: string; message?: string };
  resultId?: string;
  result?: { value: unknown };
}

type Refusal = { runId: string; ok: false; code: string; reason: string | null; field: string | null; message: string };

export type RunReportAnswer = { runId: string; ok: true; stateType: StateType; stateName: string } | Refusal;
export type RunProgressAnswer = { runId: string; ok: true } | Refusal;

export async function applyRunReports(opts: { db: DbOrTx; workspaceId: string; actor: string; reports: RunReport[] }): Promise<RunReportAnswer[]> {
  return perRun(opts.db, opts.reports, "reports", async (tx, report, field) => {
    await applyProgress(tx, opts, report, field);
    const run = await reportFlowRunState({ db: tx, workspaceId: opts.workspaceId, runId: report.runId, actor: opts.actor, state: report.state, leaseToken: report.leaseToken, resultId: report.resultId, result: report.result, inTransaction: true });
    return { runId: report.runId, ok: true, stateType: run.stateType, stateName: run.stateName };
  });
}

/** `workers.progress`: each run's journal and lines in one transaction, under its lease. */
export async function applyRunProgress(opts: { db: DbOrTx; workspaceId: string; actor: string; runs: RunProgress[] }): Promise<RunProgressAnswer[]> {
  return perRun(opts.db, opts.runs, "runs", async (tx, progress, field) => {
    await applyProgress(tx, opts, progress, field);
    return { runId: progress.runId, ok: true };
  });
}

async function applyProgress(tx: DbOrTx, opts: { workspaceId: string; actor: string }, p: RunProgress, field: string): Promise<void> {
  if (p.taskRuns?.length) {
    await applyTaskRunEvents({ db: tx, workspaceId: opts.workspaceId, flowRunId: p.runId, leaseToken: p.leaseToken, actor: opts.actor, events: p.taskRuns, field: `${field}.taskRuns` });
  }
  if (p.logs?.length) {
    await createLogs({ db: tx, workspaceId: opts.workspaceId, logs: p.logs.map((l) => ({ ...l, flowRunId: p.runId, leaseToken: p.leaseToken })) });
  }
}

/**
 * One transaction per run, one answer per run: a refusal the caller's input or the run's state
 * explains (lease gone, run moved on) is that run's answer and does not hold back the others.
 */
async function perRun<T extends { runId: string }, A>(db: DbOrTx, items: T[], name: string, apply: (tx: DbOrTx, item: T, field: string) => Promise<A>): Promise<(A | Refusal)[]> {
  const answers: (A | Refusal)[] = [];
  for (const [i, item] of items.entries()) {
    for (let attempt = 1; ; attempt++) {
      try {
        answers.push(await db.transaction((tx) => apply(tx, item, `${name}.${i}`)));
        break;
      } catch (err) {
        const pgCode = (err as { cause?: { code?: string }; code?: string }).cause?.code ?? (err as { code?: string }).code;
        // A serialization failure or deadlock: the report is fine, the moment was not.
        if ((pgCode === "40001" || pgCode === "40P01") && attempt < 3) continue;
        const known = translateDatabaseError(err);
        if (!(known instanceof AppError)) throw err;
        answers.push({ runId: item.runId, ok: false, code: known.code, reason: known.reason ?? null, field: known.field ?? null, message: known.message });
        break;
      }
    }
  }
  return answers;
}

/**
 * Every reported run must be the workspace's: one that is not refuses the call, naming the report
 * (the worker answers that one and re-sends the rest); an outsider learns nothing of another
 * workspace's runs, not even that they exist.
 */
export async function requireReportedRunsExist(opts: { db: DbOrTx; workspaceId: string; runIds: string[]; field?: string }): Promise<void> {
  const ids = [...new Set(opts.runIds)];
  const known = new Set(
    (await opts.db.select({ id: flowRuns.id }).from(flowRuns).where(and(eq(flowRuns.workspaceId, opts.workspaceId), inArray(flowRuns.id, ids)))).map((r) => r.id),
  );
  opts.runIds.forEach((id, i) => {
    if (!known.has(id)) throw new AppError("NOT_FOUND", `Flow run ${id} was not found`, { field: `${opts.field ?? "reports"}.${i}.runId` });
  });
}
