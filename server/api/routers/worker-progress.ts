/**
 * What a worker sends about the runs it holds while they go on (`workers.progress`), and the
 * task-run journal it also carries in its final reports (`workers.report`): see
 * server/domain/task-run-events.ts. Each run's progress is one transaction under its lease, with
 * its own answer, as reports are.
 */
import { z } from "zod";
import { requireFlowRunInScope } from "../../auth/scope";
import { MAX_LOG_BATCH } from "../../domain/logs";
import { applyRunProgress, requireReportedRunsExist } from "../../domain/run-reports";
import { workerProcedure, zId, zName, zTags } from "../trpc";
import { zInlineResult, zIsoDateInput, zJsonObject, zStateType } from "./inputs";

/** The most journal events one call carries, all runs together. */
export const MAX_TASK_RUN_EVENTS = 1000;

const zKey = z.string().trim().min(1, "must not be empty").max(500);

export const zTaskRunEvent = z.discriminatedUnion("op", [
  z.object({
    op: z.literal("start"),
    /** Made by the worker (a UUID): the task run's id from now on. */
    id: zId,
    taskKey: zKey,
    dynamicKey: zKey,
    name: zName.optional(),
    parameters: zJsonObject.optional(),
    tags: zTags.optional(),
    upstreamTaskRunIds: z.array(zId).max(1000).optional(),
    /** When it started, by the worker's clock; a time after the server's now counts as now. */
    at: z.iso.datetime({ offset: true }).optional(),
  }),
  z.object({
    op: z.literal("state"),
    id: zId,
    /** The task run's state version once this change is made (1 for the first after its start). */
    version: z.number().int().min(1),
    state: z.object({ type: zStateType, name: z.string().trim().min(1).max(100).optional(), message: z.string().max(10_000).optional() }),
    scheduledTime: z.iso.datetime({ offset: true }).optional(),
    result: zInlineResult.optional(),
    resultId: zId.optional(),
    at: z.iso.datetime({ offset: true }).optional(),
  }),
]);

export const zTaskRunJournal = z.array(zTaskRunEvent).max(MAX_TASK_RUN_EVENTS, `at most ${MAX_TASK_RUN_EVENTS} task-run events at once`);

export const zReportLines = z
  .array(
    z.object({
      taskRunId: zId.nullish(),
      level: z.number().int("must be a whole number").min(0).max(100),
      message: z.string().max(100_000, "must be at most 100000 characters"),
      timestamp: zIsoDateInput.optional(),
    }),
  )
  .max(MAX_LOG_BATCH);

const eventCount = (items: { taskRuns?: unknown[] }[]) => items.reduce((n, r) => n + (r.taskRuns?.length ?? 0), 0);
const lineCount = (items: { logs?: unknown[] }[]) => items.reduce((n, r) => n + (r.logs?.length ?? 0), 0);

/** Limits a batch (of reports or of progress) holds to, all runs together. */
export function withinBatchLimits<T extends z.ZodType<{ taskRuns?: unknown[]; logs?: unknown[] }[]>>(schema: T) {
  return schema
    .refine((rs) => lineCount(rs) <= MAX_LOG_BATCH, { message: `at most ${MAX_LOG_BATCH} log lines in one call` })
    .refine((rs) => eventCount(rs) <= MAX_TASK_RUN_EVENTS, { message: `at most ${MAX_TASK_RUN_EVENTS} task-run events in one call` });
}

export const workerProgressProcedures = {
  /**
   * Task runs and log lines of runs the worker holds, while they run: each run's in one
   * transaction under its lease, one answer per run (a lost lease is that run's answer:
   * CONFLICT, LEASE_LOST — stop it). At most 100 runs, 1000 lines and 1000 events a call.
   */
  progress: workerProcedure
    .input(
      z.object({
        runs: withinBatchLimits(
          z
            .array(z.object({ runId: zId, leaseToken: zId, taskRuns: zTaskRunJournal.optional(), logs: zReportLines.optional() }))
            .min(1)
            .max(100, "at most 100 runs at once"),
        ),
      }),
    )
    .output(
      z.object({
        answers: z.array(
          z.discriminatedUnion("ok", [
            z.object({ runId: zId, ok: z.literal(true) }),
            z.object({ runId: zId, ok: z.literal(false), code: z.string(), reason: z.string().nullable(), field: z.string().nullable(), message: z.string() }),
          ]),
        ),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      await requireReportedRunsExist({ db: ctx.db, workspaceId: ctx.workspaceId, runIds: input.runs.map((r) => r.runId), field: "runs" });
      for (const [i, r] of input.runs.entries()) await requireFlowRunInScope(ctx, r.runId, `runs.${i}.runId`);
      return { answers: await applyRunProgress({ db: ctx.db, workspaceId: ctx.workspaceId, actor: ctx.actor, runs: input.runs }) };
    }),
};
