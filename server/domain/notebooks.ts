/**
 * Notebooks: cells (common/notebook.ts) saved per workspace, with every version kept. A save
 * names the version it edited; if someone saved since, it is refused (CONFLICT) with who and
 * when, so two members editing one notebook never overwrite each other silently. Every save is
 * checked whole — steps, parameters, wiring, cycles, results — before anything is written.
 */
import { and, asc, desc, eq, getTableColumns, gt, inArray, like, sql } from "drizzle-orm";
import { deployments, flowRuns, flows, notebooks, notebookVersions, results, workPools } from "../../drizzle/schema";
import { CODE_STEP, cellProblems, cellRunsApart, parsePipelineEntrypoint, stepRunsOn, wireCarriesBytes, PIPELINE_PREFIX, pipelineEntrypoint, UPLOAD_STEP, zCells, type Cell, type CellInput } from "../../common/notebook";
import type { Db, DbOrTx } from "../db/client";
import { AppError } from "../errors";
import { createDeployment, updateDeployment, type DeploymentView } from "./deployments";
import { decodeCursor, encodeCursor } from "./refs";
import { getResult, readResultData } from "./results";
import { getWorkPool } from "./work-pools";
import { z } from "zod";

export type NotebookRow = typeof notebooks.$inferSelect;
export type Notebook = Omit<NotebookRow, "cells"> & { cells: Cell[] };

function asNotebook(row: NotebookRow): Notebook {
  return { ...row, cells: row.cells as Cell[] };
}

/** Parses and checks cells; BAD_REQUEST naming the first cell at fault (and the others after it). */
export async function checkCells(db: DbOrTx, workspaceId: string, input: readonly CellInput[]): Promise<Cell[]> {
  const cells = zCells.parse(input);
  const problems = cellProblems(cells);
  // An output must be a result of this workspace: a cell cannot show another's.
  const resultIds = [...new Set(cells.map((c) => c.outputResultId).filter((id): id is string => !!id))];
  if (resultIds.length > 0) {
    const found = await db.select({ id: results.id }).from(results).where(and(eq(results.workspaceId, workspaceId), inArray(results.id, resultIds)));
    const known = new Set(found.map((r) => r.id));
    cells.forEach((cell, index) => {
      if (cell.outputResultId && !known.has(cell.outputResultId)) {
        problems.push({ cellId: cell.id, field: `cells.${index}.outputResultId`, message: `cell "${cell.id}": outputResultId: result ${cell.outputResultId} was not found` });
      }
    });
  }
  if (problems.length > 0) throw AppError.badRequest(problems.map((p) => p.message).join("; "), problems[0]!.field);
  return cells;
}

/**
 * Each code cell's author, decided here and never by the client: a code cell whose source is what
 * the notebook already held under that id keeps its author; a new or changed one is the saver's.
 * Writing code that others' tabs and the workspace's workers run is defining what they execute,
 * so a new or changed code cell needs the execution privilege (roles.ts).
 */
function stampCodeAuthors(previous: readonly Cell[], cells: Cell[], actor: string, mayDefineExecution: boolean): Cell[] {
  return cells.map((cell, index) => {
    if (cell.kind !== CODE_STEP) {
      const { author: _dropped, ...rest } = cell;
      return rest;
    }
    const before = previous.find((c) => c.id === cell.id && c.kind === CODE_STEP);
    if (before && before.parameters.source === cell.parameters.source && before.author) return { ...cell, author: before.author };
    if (!mayDefineExecution) {
      throw new AppError("FORBIDDEN", `cell "${cell.id}": a code cell is code that other members' tabs and the workspace's workers run: only owners, or members an owner allowed to define what workers execute, may write or change one`, {
        field: `cells.${index}.parameters.source`,
        reason: "FORBIDDEN",
      });
    }
    return { ...cell, author: actor };
  });
}

export async function getNotebook(opts: { db: DbOrTx; workspaceId: string; id: string; version?: number }): Promise<Notebook> {
  const [row] = await opts.db.select().from(notebooks).where(and(eq(notebooks.workspaceId, opts.workspaceId), eq(notebooks.id, opts.id)));
  if (!row) throw AppError.notFound("Notebook", opts.id, "id");
  if (opts.version === undefined || opts.version === row.version) return asNotebook(row);
  const [old] = await opts.db
    .select()
    .from(notebookVersions)
    .where(and(eq(notebookVersions.notebookId, row.id), eq(notebookVersions.version, opts.version)));
  if (!old) throw AppError.notFound("Version", `${opts.version} of notebook "${row.name}"`, "version");
  return { ...row, name: old.name, cells: old.cells as Cell[], version: old.version, updatedBy: old.actor, updatedAt: old.createdAt };
}

export type NotebookSummary = Omit<NotebookRow, "cells"> & { cellCount: number };

const listCursor = z.object({ n: z.string() });

/** Notebooks by name (unique in a workspace, so the name is the keyset), without their cells. */
export async function listNotebooks(opts: { db: DbOrTx; workspaceId: string; limit?: number; cursor?: string | null }): Promise<{ items: NotebookSummary[]; nextCursor: string | null }> {
  const limit = opts.limit ?? 100;
  const after = opts.cursor ? decodeCursor(opts.cursor, listCursor).n : undefined;
  const { cells: _cells, ...columns } = getTableColumns(notebooks);
  const rows = await opts.db
    .select({ ...columns, cellCount: sql<number>`jsonb_array_length(${notebooks.cells})`.mapWith(Number) })
    .from(notebooks)
    .where(and(eq(notebooks.workspaceId, opts.workspaceId), after !== undefined ? gt(notebooks.name, after) : undefined))
    .orderBy(asc(notebooks.name))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeCursor({ n: items[items.length - 1]!.name }) : null };
}

export async function createNotebook(opts: { db: Db; workspaceId: string; name: string; cells?: CellInput[]; actor: string; mayDefineExecution: boolean }): Promise<Notebook> {
  const cells = stampCodeAuthors([], await checkCells(opts.db, opts.workspaceId, opts.cells ?? []), opts.actor, opts.mayDefineExecution);
  return opts.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(notebooks)
      .values({ workspaceId: opts.workspaceId, name: opts.name, cells, version: 1, createdBy: opts.actor, updatedBy: opts.actor })
      .returning();
    await tx.insert(notebookVersions).values({ workspaceId: opts.workspaceId, notebookId: row!.id, version: 1, name: row!.name, cells, actor: opts.actor });
    return asNotebook(row!);
  });
}

/**
 * Saves a new version: only over `expectedVersion`, the version the caller edited. The check
 * and the write are one statement, so of two saves over the same version exactly one wins.
 */
export async function saveNotebook(opts: {
  db: Db;
  workspaceId: string;
  id: string;
  expectedVersion: number;
  name?: string;
  cells: CellInput[];
  actor: string;
  mayDefineExecution: boolean;
}): Promise<Notebook> {
  const checked = await checkCells(opts.db, opts.workspaceId, opts.cells);
  // Authors are judged against the version edited; a save over another is refused below anyway.
  const [edited] = await opts.db
    .select({ cells: notebookVersions.cells })
    .from(notebookVersions)
    .where(and(eq(notebookVersions.workspaceId, opts.workspaceId), eq(notebookVersions.notebookId, opts.id), eq(notebookVersions.version, opts.expectedVersion)));
  const cells = stampCodeAuthors((edited?.cells ?? []) as Cell[], checked, opts.actor, opts.mayDefineExecution);
  return opts.db.transaction(async (tx) => {
    const [row] = await tx
      .update(notebooks)
      .set({
        cells,
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        version: sql`${notebooks.version} + 1`,
        updatedBy: opts.actor,
        updatedAt: new Date(),
      })
      .where(and(eq(notebooks.workspaceId, opts.workspaceId), eq(notebooks.id, opts.id), eq(notebooks.version, opts.expectedVersion)))
      .returning();
    if (!row) {
      const current = await getNotebook({ db: tx, workspaceId: opts.workspaceId, id: opts.id });
      throw new AppError(
        "CONFLICT",
        `notebook "${current.name}" was saved by ${current.updatedBy} at ${current.updatedAt.toISOString()} (version ${current.version}) after the version ${opts.expectedVersion} you edited: reload it, then make your change again`,
        { field: "expectedVersion", reason: "STALE_VERSION" },
      );
    }
    await tx.insert(notebookVersions).values({ workspaceId: opts.workspaceId, notebookId: row.id, version: row.version, name: row.name, cells, actor: opts.actor });
    return asNotebook(row);
  });
}

export interface NotebookVersion {
  version: number;
  name: string;
  actor: string;
  cellCount: number;
  createdAt: Date;
}

/** The notebook's versions, newest first (at most `limit`). */
export async function listNotebookVersions(opts: { db: DbOrTx; workspaceId: string; id: string; limit?: number }): Promise<NotebookVersion[]> {
  const notebook = await getNotebook(opts);
  return opts.db
    .select({
      version: notebookVersions.version,
      name: notebookVersions.name,
      actor: notebookVersions.actor,
      cellCount: sql<number>`jsonb_array_length(${notebookVersions.cells})`.mapWith(Number),
      createdAt: notebookVersions.createdAt,
    })
    .from(notebookVersions)
    .where(eq(notebookVersions.notebookId, notebook.id))
    .orderBy(desc(notebookVersions.version))
    .limit(opts.limit ?? 100);
}

export async function deleteNotebook(opts: { db: DbOrTx; workspaceId: string; id: string }): Promise<void> {
  const deleted = await opts.db
    .delete(notebooks)
    .where(and(eq(notebooks.workspaceId, opts.workspaceId), eq(notebooks.id, opts.id)))
    .returning({ id: notebooks.id });
  if (deleted.length === 0) throw AppError.notFound("Notebook", opts.id, "id");
}

// -------------------------------------------------------------------------------------------
// Deploying: a notebook version as a pipeline flow that workers run with no browser open
// -------------------------------------------------------------------------------------------

/**
 * Deploys the notebook as it was last saved: a flow named after it and a deployment (default
 * name "notebook") whose entrypoint is `pipeline:<id>@<version>`, on a `node` work pool, where
 * a worker runs its cells in DAG order, each as a task run. Deploying again points the same
 * deployment at the newest version (its schedules, if any, stay).
 */
export async function deployNotebook(opts: {
  db: Db;
  workspaceId: string;
  id: string;
  workPool: string;
  workQueue?: string | null;
  deploymentName?: string;
  mayDefineExecution: boolean;
}): Promise<DeploymentView> {
  const notebook = await getNotebook(opts);
  const code = notebook.cells.find((c) => c.kind === CODE_STEP);
  if (notebook.cells.length === 0) throw AppError.badRequest(`notebook "${notebook.name}" has no cells to deploy`, "id");
  const problems = cellProblems(notebook.cells);
  if (problems.length > 0) throw AppError.badRequest(problems.map((p) => p.message).join("; "), problems[0]!.field);
  notebook.cells.forEach((cell, index) => {
    if (cell.kind === UPLOAD_STEP && !cell.outputResultId) {
      throw AppError.badRequest(`cell "${cell.id}": upload a file before deploying (a deployed notebook runs with no browser to choose one)`, `cells.${index}.parameters.file`);
    }
  });
  const pool = await getWorkPool({ db: opts.db, workspaceId: opts.workspaceId, ref: opts.workPool });
  if (pool.type !== "node") {
    throw AppError.badRequest(`workPool: a deployed notebook runs on a node pool's workers; "${pool.name}" is a ${pool.type} pool`, "workPool");
  }
  checkCellPools(notebook.cells, pool.name, await poolTypes(opts.db, opts.workspaceId, notebook.cells));
  if (code) {
    if (!opts.mayDefineExecution) {
      throw new AppError("FORBIDDEN", `cell "${code.id}" is a code cell: deploying it defines what the pool's workers execute, which only owners, or members an owner allowed to, may do`, { field: "id", reason: "FORBIDDEN" });
    }
    if (!poolRunsCodeCells(pool.baseJobTemplate)) {
      throw AppError.badRequest(`workPool: cell "${code.id}" is a code cell and pool "${pool.name}" does not run code cells; an owner opts a pool in by setting its base job template's codeCells to true`, "workPool");
    }
  }
  const name = opts.deploymentName ?? "notebook";
  const fields = {
    entrypoint: pipelineEntrypoint(notebook.id, notebook.version),
    description: `Notebook "${notebook.name}", version ${notebook.version}: ${notebook.cells.map((c) => `${c.id} (${c.kind})`).join(" → ")}`,
    version: String(notebook.version),
    workPool: pool.id,
    workQueue: opts.workQueue ?? null,
  };
  const existing = await opts.db
    .select({ id: deployments.id })
    .from(deployments)
    .innerJoin(flows, eq(flows.id, deployments.flowId))
    .where(and(eq(deployments.workspaceId, opts.workspaceId), eq(flows.name, notebook.name), eq(deployments.name, name)));
  if (existing[0]) return updateDeployment({ db: opts.db, workspaceId: opts.workspaceId, ref: existing[0].id, patch: fields });
  return createDeployment({ db: opts.db, workspaceId: opts.workspaceId, flow: notebook.name, name, ...fields });
}

/** The type of each pool the cells name (absent: no such pool). */
async function poolTypes(db: DbOrTx, workspaceId: string, cells: readonly Cell[]): Promise<Map<string, string>> {
  const names = [...new Set(cells.flatMap((c) => (c.target === "tab" ? [] : [c.target.pool])))];
  if (names.length === 0) return new Map();
  const rows = await db.select({ name: workPools.name, type: workPools.type }).from(workPools).where(and(eq(workPools.workspaceId, workspaceId), inArray(workPools.name, names)));
  return new Map(rows.map((r) => [r.name, r.type]));
}

/**
 * A cell that names a pool other than the deployment's runs there as a child run (the worker
 * asks for it through notebooks.runCell): the pool must be a node pool, the kind must run on
 * Node, and what it reads must travel as JSON — a file's or a model's bytes do not.
 */
function checkCellPools(cells: readonly Cell[], deploymentPool: string, types: ReadonlyMap<string, string>): void {
  cells.forEach((cell, index) => {
    if (!cellRunsApart(cell, deploymentPool)) return;
    const field = `cells.${index}.target`;
    const type = types.get(cell.target.pool);
    if (!type) throw AppError.badRequest(`cell "${cell.id}": work pool "${cell.target.pool}" was not found: create it, or send the cell to another pool`, field);
    if (type !== "node") throw AppError.badRequest(`cell "${cell.id}": pool "${cell.target.pool}" is a ${type} pool; a deployed notebook's cell runs on a node pool`, field);
    if (!stepRunsOn(cell.kind).some((r) => r === "node" || r === "gpu")) throw AppError.badRequest(`cell "${cell.id}": ${cell.kind} does not run on Node workers, so it cannot run on pool "${cell.target.pool}"`, field);
    for (const [param, src] of Object.entries(cell.inputs)) {
      const source = cells.find((c) => c.id === src);
      if (source && wireCarriesBytes(source.kind, param)) {
        throw AppError.badRequest(
          `cell "${cell.id}" reads ${param} from cell "${src}" (${source.kind}) as bytes, which a run on pool "${cell.target.pool}" cannot receive: run it on the deployment's pool "${deploymentPool}"`,
          field,
        );
      }
    }
  });
}

/** A node pool runs notebooks' code cells only when its base job template says `codeCells: true`. */
export function poolRunsCodeCells(template: Record<string, unknown> | null | undefined): boolean {
  return template?.codeCells === true;
}

export interface Pipeline {
  notebookId: string;
  name: string;
  version: number;
  cells: Cell[];
  /** The run's work pool: a cell naming another pool runs there (notebook-cell-runs.ts). */
  workPoolName: string | null;
  /** The uploaded files the cells read, base64, by result id. */
  files: { resultId: string; base64: string }[];
}

/** What a worker runs for a run of a deployed notebook: the cells of the version it names, and their files. */
export async function pipelineOfRun(opts: { db: DbOrTx; workspaceId: string; flowRunId: string }): Promise<Pipeline> {
  const [run] = await opts.db
    .select({ entrypoint: deployments.entrypoint, workPoolName: workPools.name })
    .from(flowRuns)
    .leftJoin(deployments, eq(deployments.id, flowRuns.deploymentId))
    .leftJoin(workPools, eq(workPools.id, flowRuns.workPoolId))
    .where(and(eq(flowRuns.workspaceId, opts.workspaceId), eq(flowRuns.id, opts.flowRunId)));
  if (!run) throw AppError.notFound("Flow run", opts.flowRunId, "flowRunId");
  const ref = parsePipelineEntrypoint(run.entrypoint);
  if (!ref) throw AppError.badRequest(`flowRunId: this run's deployment is not a deployed notebook (its entrypoint is ${run.entrypoint ? `"${run.entrypoint}"` : "not set"})`, "flowRunId");
  const notebook = await getNotebook({ db: opts.db, workspaceId: opts.workspaceId, id: ref.notebookId, version: ref.version });
  const code = notebook.cells.find((c) => c.kind === CODE_STEP);
  if (code) {
    // Checked again at each run: the pool may have opted out since the deploy.
    const [pool] = await opts.db.select({ name: workPools.name, template: workPools.baseJobTemplate }).from(flowRuns).innerJoin(workPools, eq(workPools.id, flowRuns.workPoolId)).where(eq(flowRuns.id, opts.flowRunId));
    if (!pool || !poolRunsCodeCells(pool.template)) {
      throw AppError.badRequest(`cell "${code.id}" is a code cell and this run's pool${pool ? ` "${pool.name}"` : ""} does not run code cells (its base job template's codeCells is not true)`, "flowRunId");
    }
  }
  const uploads = notebook.cells.filter((c) => c.kind === UPLOAD_STEP && c.outputResultId);
  const files = await Promise.all(
    uploads.map(async (c) => {
      const row = await getResult({ db: opts.db, workspaceId: opts.workspaceId, id: c.outputResultId! });
      const data = (await readResultData(row)) ?? new TextEncoder().encode(JSON.stringify(row.value));
      return { resultId: row.id, base64: Buffer.from(data).toString("base64") };
    }),
  );
  return { notebookId: notebook.id, name: notebook.name, version: notebook.version, cells: notebook.cells, workPoolName: run.workPoolName, files };
}

export interface NotebookRun {
  id: string;
  name: string;
  stateType: (typeof flowRuns.stateType.enumValues)[number];
  stateName: string;
  deploymentName: string;
  createdAt: Date;
}

/** The latest runs of the notebook's deployments (every version), newest first. */
export async function listNotebookRuns(opts: { db: DbOrTx; workspaceId: string; id: string; limit?: number }): Promise<NotebookRun[]> {
  const notebook = await getNotebook(opts);
  return opts.db
    .select({ id: flowRuns.id, name: flowRuns.name, stateType: flowRuns.stateType, stateName: flowRuns.stateName, deploymentName: deployments.name, createdAt: flowRuns.createdAt })
    .from(flowRuns)
    .innerJoin(deployments, eq(deployments.id, flowRuns.deploymentId))
    .where(and(eq(deployments.workspaceId, opts.workspaceId), like(deployments.entrypoint, `${PIPELINE_PREFIX}${notebook.id}@%`)))
    .orderBy(desc(flowRuns.createdAt))
    .limit(opts.limit ?? 20);
}
