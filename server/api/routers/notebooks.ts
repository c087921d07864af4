/**
 * Notebooks over tRPC: viewers read them (and their versions), editors create, save and delete.
 * The cells' shape and rules are common/notebook.ts's, checked in server/domain/notebooks.ts.
 */
import { z } from "zod";
import { zCell, zCells } from "../../../common/notebook";
import { requireFlowRunInScope } from "../../auth/scope";
import { createNotebook, deleteNotebook, deployNotebook, getNotebook, listNotebookRuns, listNotebooks, listNotebookVersions, pipelineOfRun, saveNotebook } from "../../domain/notebooks";
import { cancelCellRun, cellRunStatus, startCellRun } from "../../domain/notebook-cell-runs";
import { createTRPCRouter, editorProcedure, viewerProcedure, workerProcedure, workerReadProcedure, zDate, zId, zLimit, zName } from "../trpc";
import { deploymentOutput } from "./deployments";
import { deletedOutput, zCursor, zJsonObject, zRef, zStateType } from "./inputs";

const zVersion = z.number().int("must be a whole number").min(1, "must be 1 or more");

const summaryFields = {
  id: zId,
  name: z.string(),
  /** Goes up by one with every save. */
  version: z.number().int(),
  createdBy: z.string(),
  updatedBy: z.string(),
  createdAt: zDate,
  updatedAt: zDate,
};

export const notebookOutput = z.object({ ...summaryFields, cells: z.array(zCell) });

export const notebooksRouter = createTRPCRouter({
  list: viewerProcedure
    .input(z.object({ limit: zLimit.optional(), cursor: zCursor }).optional())
    .output(z.object({ items: z.array(z.object({ ...summaryFields, cellCount: z.number().int() })), nextCursor: z.string().nullable() }))
    .query(({ ctx, input }) => listNotebooks({ db: ctx.db, workspaceId: ctx.workspaceId, ...input })),

  /** The notebook as last saved, or one of its earlier versions. */
  get: viewerProcedure
    .input(z.object({ id: zId, version: zVersion.optional() }))
    .output(notebookOutput)
    .query(({ ctx, input }) => getNotebook({ db: ctx.db, workspaceId: ctx.workspaceId, ...input })),

  create: editorProcedure
    .input(z.object({ name: zName, cells: zCells.optional() }))
    .output(notebookOutput)
    .mutation(({ ctx, input }) => createNotebook({ db: ctx.db, workspaceId: ctx.workspaceId, actor: ctx.actor, mayDefineExecution: ctx.access.mayDefineExecution, ...input })),

  /** A new version over `expectedVersion`; refused (CONFLICT, STALE_VERSION) when someone saved since. */
  save: editorProcedure
    .input(z.object({ id: zId, expectedVersion: zVersion, name: zName.optional(), cells: zCells }))
    .output(notebookOutput)
    .mutation(({ ctx, input }) => saveNotebook({ db: ctx.db, workspaceId: ctx.workspaceId, actor: ctx.actor, mayDefineExecution: ctx.access.mayDefineExecution, ...input })),

  versions: viewerProcedure
    .input(z.object({ id: zId, limit: zLimit.optional() }))
    .output(z.array(z.object({ version: z.number().int(), name: z.string(), actor: z.string(), cellCount: z.number().int(), createdAt: zDate })))
    .query(({ ctx, input }) => listNotebookVersions({ db: ctx.db, workspaceId: ctx.workspaceId, ...input })),

  /**
   * The notebook as last saved, deployed as a pipeline flow: a deployment (named "notebook"
   * unless given) on a node work pool whose runs a worker executes cell by cell, each a task run.
   * Deploying again points it at the newest version.
   */
  deploy: editorProcedure
    .input(z.object({ id: zId, workPool: zRef("work pool"), workQueue: zRef("work queue").nullish(), deploymentName: zName.optional() }))
    .output(deploymentOutput)
    .mutation(({ ctx, input }) => deployNotebook({ db: ctx.db, workspaceId: ctx.workspaceId, mayDefineExecution: ctx.access.mayDefineExecution, ...input })),

  /** The latest runs of its deployments, newest first. */
  runs: viewerProcedure
    .input(z.object({ id: zId, limit: z.number().int().min(1).max(100).optional() }))
    .output(z.array(z.object({ id: zId, name: z.string(), stateType: zStateType, stateName: z.string(), deploymentName: z.string(), createdAt: zDate })))
    .query(({ ctx, input }) => listNotebookRuns({ db: ctx.db, workspaceId: ctx.workspaceId, ...input })),

  /** What a worker runs for a run of a deployed notebook: the version's cells, and the files they read (base64). */
  pipeline: workerReadProcedure
    .input(z.object({ flowRunId: zId }))
    .output(
      z.object({
        notebookId: zId,
        name: z.string(),
        version: z.number().int(),
        cells: z.array(zCell),
        workPoolName: z.string().nullable(),
        files: z.array(z.object({ resultId: zId, base64: z.string() })),
      }),
    )
    .query(async ({ ctx, input }) => {
      await requireFlowRunInScope(ctx, input.flowRunId);
      return pipelineOfRun({ db: ctx.db, workspaceId: ctx.workspaceId, flowRunId: input.flowRunId });
    }),

  /**
   * For the worker running a deployed notebook: a cell that names its own pool runs there, as a
   * child run of the pipeline run and of the cell's task run (notebook-cell-runs.ts). The pool is
   * the saved cell's; only the worker holding the pipeline run's lease may ask. Asked again for
   * the same task run, it returns the same child.
   */
  runCell: workerProcedure
    .input(z.object({ flowRunId: zId, leaseToken: zId, cellId: z.string().min(1).max(40), taskRunId: zId, parameters: zJsonObject }))
    .output(z.object({ id: zId, name: z.string(), workPoolName: z.string() }))
    .mutation(async ({ ctx, input }) => {
      await requireFlowRunInScope(ctx, input.flowRunId);
      return startCellRun({ db: ctx.db, workspaceId: ctx.workspaceId, actor: ctx.actor, ...input });
    }),

  /** A cell's child run as the pipeline's worker waits on it: its state, the worker on it, and its result once COMPLETED. */
  cellRun: workerReadProcedure
    .input(z.object({ flowRunId: zId, childRunId: zId }))
    .output(
      z.object({
        id: zId,
        name: z.string(),
        stateType: zStateType,
        stateName: z.string(),
        stateMessage: z.string().nullable(),
        workerName: z.string().nullable(),
        resultId: zId.nullable().optional(),
        result: z.unknown().optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      await requireFlowRunInScope(ctx, input.flowRunId);
      return cellRunStatus({ db: ctx.db, workspaceId: ctx.workspaceId, ...input });
    }),

  /** A stopped pipeline's cell run on another pool, cancelled by the pipeline's worker as it stops. */
  cancelCell: workerProcedure
    .input(z.object({ flowRunId: zId, leaseToken: zId, childRunId: zId }))
    .output(z.object({ id: zId, stateType: zStateType }))
    .mutation(async ({ ctx, input }) => {
      await requireFlowRunInScope(ctx, input.flowRunId);
      return cancelCellRun({ db: ctx.db, workspaceId: ctx.workspaceId, actor: ctx.actor, ...input });
    }),

  delete: editorProcedure
    .input(z.object({ id: zId }))
    .output(deletedOutput)
    .mutation(async ({ ctx, input }) => {
      await deleteNotebook({ db: ctx.db, workspaceId: ctx.workspaceId, id: input.id });
      return { deleted: true as const };
    }),
});
