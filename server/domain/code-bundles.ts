/**
 * Delivered code: a deployment's flow bundled with its local imports (`baton deploy`,
 * cli/bundle.ts), kept once per workspace and content hash. The hash is the code version: a
 * deployment points at the version it was last deployed with, each run records the version its
 * deployment had when the run was made (re-deploying makes a new version; old runs keep theirs),
 * and a worker fetches exactly that version for the run (`workers.code`, workers/node/code.ts).
 * A process pool's deployment keeps a packed directory the same way (`baton deploy --dir`,
 * common/code-archive.ts; workers/node/code-directory.ts unpacks it): the source tells which it is.
 */
import { createHash } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { type ArchiveError, isDirectoryArchive, readDirectoryArchive } from "../../common/code-archive";
import { codeBundles, flowRuns } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { AppError } from "../errors";

/** The largest bundle kept (cli/bundle.ts refuses bigger ones before sending). */
export const MAX_CODE_BYTES = 8 * 1024 * 1024;

export interface CodeInput {
  /** One ES module: the flow and its local imports. */
  source: string;
  /** npm packages it imports by name, with the version range the project asks for. */
  dependencies: Record<string, string>;
  /** The files that went into it (for people reading the deployment). */
  files?: string[];
}

export type CodeBundleRow = typeof codeBundles.$inferSelect;

export const codeVersionOf = (source: string) => `sha256:${createHash("sha256").update(source).digest("hex")}`;

/**
 * A packed directory (`baton deploy --dir`, common/code-archive.ts) is checked before it is kept
 * — its paths stay inside it, its entries are regular files — and its file list is its own.
 */
function directoryFiles(source: string): string[] | undefined {
  if (!isDirectoryArchive(source)) return undefined;
  try {
    return readDirectoryArchive(source).map((e) => e.path);
  } catch (err) {
    throw AppError.badRequest(`code.source: ${(err as ArchiveError).message}`, "code.source");
  }
}

/** Stores `code` (once per workspace and version) and returns its row. */
export async function storeCodeBundle(opts: { db: DbOrTx; workspaceId: string; code: CodeInput; actor: string }): Promise<CodeBundleRow> {
  const version = codeVersionOf(opts.code.source);
  const packed = directoryFiles(opts.code.source);
  const [row] = await opts.db
    .insert(codeBundles)
    .values({
      workspaceId: opts.workspaceId,
      version,
      source: opts.code.source,
      sizeBytes: Buffer.byteLength(opts.code.source),
      dependencies: packed ? {} : opts.code.dependencies,
      files: packed ?? opts.code.files ?? [],
      createdBy: opts.actor,
    })
    .onConflictDoUpdate({ target: [codeBundles.workspaceId, codeBundles.version], set: { version: sql`excluded.version` } })
    .returning();
  return row!;
}

/** The code a run was made with: its version, source and the packages it imports. */
export async function codeOfRun(opts: { db: DbOrTx; workspaceId: string; flowRunId: string }): Promise<{ version: string; source: string; dependencies: Record<string, string> }> {
  const [row] = await opts.db
    .select({ version: codeBundles.version, source: codeBundles.source, dependencies: codeBundles.dependencies, runVersion: flowRuns.codeVersion })
    .from(flowRuns)
    .leftJoin(codeBundles, eq(codeBundles.id, flowRuns.codeBundleId))
    .where(and(eq(flowRuns.id, opts.flowRunId), eq(flowRuns.workspaceId, opts.workspaceId)));
  if (!row) throw AppError.notFound("Flow run", opts.flowRunId, "flowRunId");
  if (!row.runVersion) throw AppError.badRequest("flowRunId: this run has no delivered code (its deployment runs a file of the worker's checkout)", "flowRunId");
  if (!row.source || !row.version) throw new AppError("NOT_FOUND", `the code of version ${row.runVersion} is no longer stored`, { field: "flowRunId" });
  return { version: row.version, source: row.source, dependencies: row.dependencies ?? {} };
}
