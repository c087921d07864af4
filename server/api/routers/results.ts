/**
 * Results and blobs over tRPC. Small JSON values go inline (`value`); bytes go as base64
 * (`base64`) into the blob store: simple, and fine for the tens of megabytes a model or an
 * embedding matrix takes. `get` returns the value, or the bytes as base64 when asked.
 */
import { z } from "zod";
import { requireFlowRunInScope, requireResultInScope, requireTaskRunInScope } from "../../auth/scope";
import { MAX_BLOB_BYTES, createResult, getResult, readResultData, resultIdOfRun, type ResultLease, type ResultRow } from "../../domain/results";
import { previewRunResult } from "../../domain/result-preview";
import { AppError } from "../../errors";
import { createTRPCRouter, isWorkerKey, zDate, zId, viewerProcedure, workerProcedure, workerReadProcedure } from "../trpc";

export { MAX_BLOB_BYTES } from "../../domain/results";

export const resultOutput = z.object({
  id: zId,
  storage: z.enum(["inline", "blob"]),
  value: z.unknown(),
  /** The blob's bytes, base64, when `includeData` was asked for. */
  base64: z.string().nullable(),
  mediaType: z.string().nullable(),
  sizeBytes: z.number().int().nullable(),
  sha256: z.string().nullable(),
  createdAt: zDate,
});

/** A result as the API returns it (validate with resultOutput): the one shape for results.* and the upload route. */
export function resultView(row: ResultRow, data?: Uint8Array) {
  return {
    id: row.id,
    storage: row.storage,
    value: row.storage === "inline" ? row.value : null,
    base64: data ? Buffer.from(data).toString("base64") : null,
    mediaType: row.mediaType,
    sizeBytes: row.sizeBytes,
    sha256: row.sha256,
    createdAt: row.createdAt,
  };
}

/** The lease a result is written under: the run it names, and the writer's token (required of worker keys). */
export function resultLease(flowRunId: string | undefined, leaseToken: string | undefined, workerKey: boolean): ResultLease | undefined {
  if (!flowRunId) {
    if (leaseToken) throw AppError.badRequest("leaseToken: name the run it is the lease of (flowRunId)", "leaseToken");
    return undefined;
  }
  return { flowRunId, token: leaseToken ?? null, strict: workerKey };
}

export const resultsRouter = createTRPCRouter({
  create: workerProcedure
    .input(
      z
        .object({
          /** The run this result is for (required of pool-scoped worker keys). */
          flowRunId: zId.optional(),
          value: z.unknown().optional(),
          base64: z.string().max(Math.ceil((MAX_BLOB_BYTES * 4) / 3) + 4, `at most ${MAX_BLOB_BYTES} bytes`).optional(),
          mediaType: z.string().trim().min(1).max(200).optional(),
          /**
           * The worker's lease on that run (a subflow's: its top-level run's): the result is stored
           * only under it (stale: CONFLICT, LEASE_LOST); a worker key must send it while a worker
           * holds the run (else CONFLICT, LEASE_HELD).
           */
          leaseToken: zId.optional(),
        }),
    )
    .output(resultOutput)
    .mutation(async ({ ctx, input }) => {
      await requireFlowRunInScope(ctx, input.flowRunId);
      // Checked after the caller's scope, so a key outside it learns nothing from the answer.
      if ((input.value === undefined) === (input.base64 === undefined)) throw AppError.badRequest("input: give exactly one of value and base64", "value");
      const data = input.base64 !== undefined ? new Uint8Array(Buffer.from(input.base64, "base64")) : undefined;
      const lease = resultLease(input.flowRunId, input.leaseToken, isWorkerKey(ctx));
      const row = await createResult({ db: ctx.db, workspaceId: ctx.workspaceId, value: input.value, data, mediaType: input.mediaType, lease });
      return resultView(row);
    }),

  get: workerReadProcedure
    .input(z.object({ id: zId, includeData: z.boolean().default(false) }))
    .output(resultOutput)
    .query(async ({ ctx, input }) => {
      await requireResultInScope(ctx, input.id);
      const row = await getResult({ db: ctx.db, workspaceId: ctx.workspaceId, id: input.id });
      return resultView(row, input.includeData ? await readResultData(row) : undefined);
    }),

  /** The result of a flow run or task run (null while it has none). */
  ofRun: workerReadProcedure
    .input(z.object({ flowRunId: zId.optional(), taskRunId: zId.optional(), includeData: z.boolean().default(false) }))
    .output(resultOutput.nullable())
    .query(async ({ ctx, input }) => {
      if (input.flowRunId) await requireFlowRunInScope(ctx, input.flowRunId);
      if (input.taskRunId) await requireTaskRunInScope(ctx, input.taskRunId);
      if (!input.flowRunId === !input.taskRunId) throw AppError.badRequest("give exactly one of flowRunId and taskRunId", "flowRunId");
      const id = await resultIdOfRun({ db: ctx.db, workspaceId: ctx.workspaceId, flowRunId: input.flowRunId, taskRunId: input.taskRunId });
      if (!id) return null;
      const row = await getResult({ db: ctx.db, workspaceId: ctx.workspaceId, id });
      return resultView(row, input.includeData ? await readResultData(row) : undefined);
    }),

  /**
   * The result of a flow run or task run as a person sees it (null while it has none): the JSON
   * value when small, a cut-down copy when large, nothing but its facts for bytes.
   */
  preview: viewerProcedure
    .input(z.object({ flowRunId: zId.optional(), taskRunId: zId.optional() }))
    .output(
      z
        .object({
          resultId: zId,
          storage: z.enum(["inline", "blob"]),
          mediaType: z.string().nullable(),
          sizeBytes: z.number().int().nullable(),
          format: z.enum(["json", "bytes"]),
          preview: z.enum(["full", "partial", "none"]),
          value: z.unknown(),
          cuts: z.array(z.object({ path: z.string(), total: z.number().int() })),
        })
        .nullable(),
    )
    .query(({ ctx, input }) => {
      if (!input.flowRunId === !input.taskRunId) throw AppError.badRequest("give exactly one of flowRunId and taskRunId", "flowRunId");
      return previewRunResult({ db: ctx.db, workspaceId: ctx.workspaceId, ...input });
    }),
});
