/**
 * Workers: reading them (the UI's list), and the protocol they speak — what a Node worker or a
 * browser tab calls to take part (the client side is workers/protocol/session.ts). Register, then
 * loop: claim (a long poll that returns as soon as work arrives), run, report states with the
 * lease token, heartbeat with the runs held (the reply says which to cancel or drop), goodbye.
 */
import { z } from "zod";
import { codeOfRun } from "../../domain/code-bundles";
import { claimWithWait, heartbeatWorker, registerWorker, resolveQueueIds, workerGoodbye } from "../../engine/workers";
import { getWorkPool } from "../../domain/work-pools";
import { findRegisteredWorker, getWorker, listWorkers, withDeploymentEntrypoints } from "../../domain/workers";
import { MAX_LOG_BATCH } from "../../domain/logs";
import { MAX_INLINE_RESULT_BYTES } from "../../domain/results";
import { applyRunReports, requireReportedRunsExist } from "../../domain/run-reports";
import { requireFlowRunInScope } from "../../auth/scope";
import { withinBatchLimits, workerProgressProcedures, zReportLines, zTaskRunJournal } from "./worker-progress";
import { createTRPCRouter, requirePoolInScope, viewerProcedure, workerProcedure, zDate, zId, type WorkspaceContext } from "../trpc";
import { zInlineResult, zIsoDateInput, zJsonObject, zNullableDate, zRef, zStateType } from "./inputs";

export const workerOutput = z.object({
  id: zId,
  name: z.string(),
  workPoolId: zId,
  workPoolName: z.string(),
  capabilities: z.record(z.string(), z.unknown()),
  /** ONLINE while heartbeats arrive and it has not said goodbye. */
  status: z.enum(["ONLINE", "OFFLINE"]),
  lastHeartbeatAt: zDate,
  stoppedAt: zNullableDate,
  createdAt: zDate,
});

export const MAX_CLAIM_WAIT_MS = 60_000;

const zCapabilities = zJsonObject.describe("what the worker offers: cores, memoryGb, gpu, gpus, runtime…");

export const claimedRunOutput = z.object({
  id: zId,
  name: z.string(),
  flowId: zId,
  deploymentId: zId.nullable(),
  /** Where the worker finds the code to run (the deployment's entrypoint). */
  entrypoint: z.string().nullable(),
  /** The code delivered with its deployment, `sha256:<hex>` (fetch it with workers.code); null: the entrypoint is a file of the worker's checkout. */
  codeVersion: z.string().nullable(),
  /** Its deployment's pull step: fetch the code from git at this ref and run the entrypoint from there. */
  pull: z.object({ git: z.string(), ref: z.string(), directory: z.string().optional() }).nullable(),
  /** The deployment's overrides of the pool's job template (`{}` without a deployment). */
  jobVariables: z.record(z.string(), z.unknown()),
  workPoolId: zId.nullable(),
  workQueueId: zId.nullable(),
  parentFlowRunId: zId.nullable(),
  stateType: zStateType,
  stateName: z.string(),
  stateVersion: z.number().int(),
  parameters: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
  requirements: z.record(z.string(), z.unknown()),
  runCount: z.number().int(),
  maxRetries: z.number().int(),
  timeoutSeconds: z.number().nullable(),
  scheduledTime: zDate,
  startTime: zNullableDate,
  /** Carry this on every report about the run; a refused token means: stop the run. */
  leaseToken: zId,
});

/** The caller's registered worker (WORKER_UNKNOWN if not), within a worker key's pools. */
async function ownWorker(ctx: WorkspaceContext, workerId: string) {
  const worker = await findRegisteredWorker({ db: ctx.db, workspaceId: ctx.workspaceId, workerId });
  requirePoolInScope(ctx, worker.workPoolId);
  return worker;
}

/** Reading workers, and the protocol workers speak. */
export const workersRouter = createTRPCRouter({
  register: workerProcedure
    .input(z.object({ workPool: zRef("work pool"), name: z.string().trim().min(1).max(200), capabilities: zCapabilities.default({}) }))
    .output(
      z.object({
        workerId: zId,
        workPoolId: zId,
        workPoolType: z.string(),
        heartbeatIntervalSeconds: z.number(),
        workerTimeoutSeconds: z.number(),
        /** The largest JSON result (UTF-8 bytes) to send inline; larger ones go to the blob store. */
        inlineResultMaxBytes: z.number().int(),
        /**
         * What this server takes beyond the first protocol: `task-run-journal` — task runs recorded
         * after the fact with `workers.progress` and `workers.report` (a worker may then skip
         * `taskRuns.create` for a run's first attempt).
         */
        features: z.array(z.string()),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const pool = await getWorkPool({ db: ctx.db, workspaceId: ctx.workspaceId, ref: input.workPool });
      requirePoolInScope(ctx, pool.id);
      const worker = await registerWorker({ db: ctx.db, workspaceId: ctx.workspaceId, workPoolId: pool.id, name: input.name, capabilities: input.capabilities });
      return {
        workerId: worker.id,
        workPoolId: pool.id,
        workPoolType: pool.type,
        heartbeatIntervalSeconds: ctx.engine.settings.heartbeatIntervalMs / 1000,
        workerTimeoutSeconds: ctx.engine.settings.workerTimeoutMs / 1000,
        inlineResultMaxBytes: MAX_INLINE_RESULT_BYTES,
        features: ["task-run-journal"],
      };
    }),

  heartbeat: workerProcedure
    .input(z.object({ workerId: zId, runs: z.array(z.object({ id: zId, leaseToken: zId })).max(1000).default([]) }))
    .output(z.object({ cancel: z.array(zId), stop: z.array(zId) }))
    .mutation(async ({ ctx, input }) => {
      // The extra read is only for pool-scoped keys; others stay at one statement a heartbeat.
      if (ctx.access.workPoolIds) await ownWorker(ctx, input.workerId);
      const { heartbeatIntervalMs, workerTimeoutMs } = ctx.engine.settings;
      return heartbeatWorker({
        db: ctx.db,
        workspaceId: ctx.workspaceId,
        workerId: input.workerId,
        runs: input.runs,
        workerTimeoutMs,
        // A claim's answer may still be on its way when the next heartbeat leaves.
        orphanGraceMs: Math.max(3 * heartbeatIntervalMs, 5_000),
      });
    }),

  claim: workerProcedure
    .input(
      z.object({
        workerId: zId,
        /** Only these queues of the worker's pool (names); all when absent. */
        workQueues: z.array(z.string().min(1)).max(100).optional(),
        max: z.number().int().min(1).max(1000).default(1),
        /** Hold the request open up to this long until work arrives (a long poll). */
        waitMs: z.number().int().min(0).max(MAX_CLAIM_WAIT_MS).default(0),
        /** Move claimed runs straight to RUNNING (for workers that start them at once). */
        start: z.boolean().default(false),
      }),
    )
    .output(z.array(claimedRunOutput))
    .mutation(async ({ ctx, input, signal }) => {
      const worker = await ownWorker(ctx, input.workerId);
      const workQueueIds = await resolveQueueIds({ db: ctx.db, workPoolId: worker.workPoolId, names: input.workQueues });
      const runs = await claimWithWait({
        db: ctx.db,
        workspaceId: ctx.workspaceId,
        workPoolId: worker.workPoolId,
        workQueueIds,
        workerId: worker.id,
        max: input.max,
        capabilities: worker.capabilities,
        start: input.start,
        actor: `worker:${worker.name}`,
        waitMs: input.waitMs,
        signals: ctx.engine.signals,
        fallbackPollMs: ctx.engine.settings.claimFallbackPollMs,
        workerTimeoutMs: ctx.engine.settings.workerTimeoutMs,
        abort: signal,
      });
      return withDeploymentEntrypoints({ db: ctx.db, runs });
    }),

  /**
   * Final reports, many runs at once: each run's last log lines and end state (with its result)
   * under its lease, one transaction per run, one answer per run — a refused report (lease gone,
   * run moved on) does not hold back the others. The worker's outbox sends what it holds in one
   * call; at most 100 reports and 1000 lines a call.
   */
  report: workerProcedure
    .input(
      z.object({
        reports: withinBatchLimits(
          z
          .array(
            z.object({
              runId: zId,
              leaseToken: zId,
              state: z.object({
                type: z.enum(["COMPLETED", "FAILED", "CRASHED", "CANCELLED"]),
                name: z.string().trim().min(1).max(100).optional(),
                message: z.string().max(10_000).optional(),
              }),
              resultId: zId.optional(),
              result: zInlineResult.optional(),
              /** The run's task runs not yet recorded, applied first (server/domain/task-run-events.ts). */
              taskRuns: zTaskRunJournal.optional(),
              logs: zReportLines.optional(),
            }),
          )
          .min(1)
          .max(100, "at most 100 reports at once"),
        ),
      }),
    )
    .output(
      z.object({
        answers: z.array(
          z.discriminatedUnion("ok", [
            z.object({ runId: zId, ok: z.literal(true), stateType: zStateType, stateName: z.string() }),
            z.object({ runId: zId, ok: z.literal(false), code: z.string(), reason: z.string().nullable(), field: z.string().nullable(), message: z.string() }),
          ]),
        ),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      // Runs the caller cannot see refuse the call, naming the report (the worker re-sends the
      // others): an outsider learns nothing of another workspace's runs, not even that they exist.
      await requireReportedRunsExist({ db: ctx.db, workspaceId: ctx.workspaceId, runIds: input.reports.map((r) => r.runId) });
      for (const [i, r] of input.reports.entries()) await requireFlowRunInScope(ctx, r.runId, `reports.${i}.runId`);
      return { answers: await applyRunReports({ db: ctx.db, workspaceId: ctx.workspaceId, actor: ctx.actor, reports: input.reports }) };
    }),

  /**
   * The delivered code of a run (its deployment's bundle as it was when the run was made): the
   * one module to import, the version it hashes to, and the npm packages it imports. A worker
   * key gets it only for runs of its own pools.
   */
  code: workerProcedure
    .input(z.object({ workerId: zId, flowRunId: zId }))
    .output(z.object({ version: z.string(), source: z.string(), dependencies: z.record(z.string(), z.string()) }))
    .query(async ({ ctx, input }) => {
      if (ctx.access.workPoolIds) await ownWorker(ctx, input.workerId);
      await requireFlowRunInScope(ctx, input.flowRunId, "flowRunId");
      return codeOfRun({ db: ctx.db, workspaceId: ctx.workspaceId, flowRunId: input.flowRunId });
    }),

  ...workerProgressProcedures,

  goodbye: workerProcedure
    .input(
      z.object({
        workerId: zId,
        /** The runs it still runs or has a report waiting for; any other run it was handed goes back to the queue. */
        holding: z.array(zId).max(10_000).optional(),
      }),
    )
    .output(z.object({ ok: z.literal(true), returned: z.number().int() }))
    .mutation(async ({ ctx, input }) => {
      if (ctx.access.workPoolIds) await ownWorker(ctx, input.workerId);
      const { returned } = await workerGoodbye({ db: ctx.db, workspaceId: ctx.workspaceId, workerId: input.workerId, holding: input.holding });
      return { ok: true as const, returned };
    }),
  list: viewerProcedure
    .input(z.object({ workPool: zRef("work pool") }))
    .output(z.array(workerOutput))
    .query(({ ctx, input }) => listWorkers({ db: ctx.db, workspaceId: ctx.workspaceId, workPool: input.workPool, offlineAfterMs: ctx.engine.settings.workerTimeoutMs })),

  get: viewerProcedure
    .input(z.object({ id: zId }))
    .output(workerOutput)
    .query(({ ctx, input }) => getWorker({ db: ctx.db, workspaceId: ctx.workspaceId, id: input.id, offlineAfterMs: ctx.engine.settings.workerTimeoutMs })),
});

