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
  return withInlineResult(opts.db, opts.workspaceId, opts.result, (db, inlineId) =>
    setRunState({ ...common, db, kind: "flow", to: { type, name, message }, resultId: inlineId ?? opts.resultId }),
  );
}

export interface RunReport {
  runId: string;
  leaseToken: string;
  state: { type: StateType; name?: string; message?: string };
  resultId?: string;
  result?: { value: unknown };
  /** The run's last lines (its own or its task runs'), stored with the state. */
  logs?: Omit<LogInput, "flowRunId" | "leaseToken">[];
}

export type RunReportAnswer =
  | { runId: string; ok: true; stateType: StateType; stateName: string }
  | { runId: string; ok: false; code: string; reason: string | null; field: string | null; message: string };

export async function applyRunReports(opts: { db: DbOrTx; workspaceId: string; actor: string; reports: RunReport[] }): Promise<RunReportAnswer[]> {
  const answers: RunReportAnswer[] = [];
  for (const report of opts.reports) {
    for (let attempt = 1; ; attempt++) {
      try {
        const run = await opts.db.transaction(async (tx) => {
          if (report.logs?.length) {
            await createLogs({ db: tx, workspaceId: opts.workspaceId, logs: report.logs.map((l) => ({ ...l, flowRunId: report.runId, leaseToken: report.leaseToken })) });
          }
          return reportFlowRunState({ db: tx, workspaceId: opts.workspaceId, runId: report.runId, actor: opts.actor, state: report.state, leaseToken: report.leaseToken, resultId: report.resultId, result: report.result });
        });
        answers.push({ runId: report.runId, ok: true, stateType: run.stateType, stateName: run.stateName });
        break;
      } catch (err) {
        const pgCode = (err as { cause?: { code?: string }; code?: string }).cause?.code ?? (err as { code?: string }).code;
        // A serialization failure or deadlock: the report is fine, the moment was not.
        if ((pgCode === "40001" || pgCode === "40P01") && attempt < 3) continue;
        const known = translateDatabaseError(err);
        if (!(known instanceof AppError)) throw err;
        answers.push({ runId: report.runId, ok: false, code: known.code, reason: known.reason ?? null, field: known.field ?? null, message: known.message });
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
export async function requireReportedRunsExist(opts: { db: DbOrTx; workspaceId: string; runIds: string[] }): Promise<void> {
  const ids = [...new Set(opts.runIds)];
  const known = new Set(
    (await opts.db.select({ id: flowRuns.id }).from(flowRuns).where(and(eq(flowRuns.workspaceId, opts.workspaceId), inArray(flowRuns.id, ids)))).map((r) => r.id),
  );
  opts.runIds.forEach((id, i) => {
    if (!known.has(id)) throw new AppError("NOT_FOUND", `Flow run ${id} was not found`, { field: `reports.${i}.runId` });
  });
}
