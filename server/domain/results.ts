/**
 * Run results: small values inline in the results table (JSON), large ones and raw bytes in
 * the blob store under `<workspace>/<result id>`, with size and sha256 kept beside the row so a
 * reader can check what it got. A flow run or task run points at its result (`result_id`).
 *
 * A worker writing a result for a run it holds passes the run and its lease: the row is inserted
 * only under that lease, checked in the inserting statement (server/engine/leases.ts), and a
 * refused blob's bytes are removed again. A result that rides with a state change is checked by
 * that change (withInlineResult: both commit or neither does).
 */
import { createHash, randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { INLINE_RESULT_MAX_BYTES } from "../../common/inline-result";
import { flowRuns, results, taskRuns } from "../../drizzle/schema";
import { getBlobStore } from "../blobs";
import { BlobTooLargeError } from "../blobs/store";
import type { Db, DbOrTx } from "../db/client";
import { insertSelectParts, leaseAllows, leaseOfRun, leaseRefusal, type LeaseClaim } from "../engine/leases";
import { mapRow, rowsOf } from "../engine/rows";
import { AppError } from "../errors";

export type ResultRow = typeof results.$inferSelect;

/** The most JSON the results table holds inline (common/inline-result.ts); larger values belong in the blob store. */
export const MAX_INLINE_RESULT_BYTES = INLINE_RESULT_MAX_BYTES;

export async function createResult(opts: {
  db: DbOrTx;
  workspaceId: string;
  /** A JSON value stored inline, or … */
  value?: unknown;
  /** … bytes stored in the blob store. */
  data?: Uint8Array;
  mediaType?: string | null;
  /** The run it is for, when a worker writes it: refused unless the worker's lease still holds. */
  lease?: ResultLease;
}): Promise<ResultRow> {
  const id = randomUUID();
  if (opts.data) {
    const blobKey = `${opts.workspaceId}/${id}`;
    const store = getBlobStore();
    await store.put(blobKey, opts.data);
    const sha256 = createHash("sha256").update(opts.data).digest("hex");
    return insertBlobRow(opts.db, { id, workspaceId: opts.workspaceId, blobKey, mediaType: opts.mediaType, sizeBytes: opts.data.byteLength, sha256 }, opts.lease);
  }
  const json = JSON.stringify(opts.value ?? null);
  const size = Buffer.byteLength(json);
  if (size > MAX_INLINE_RESULT_BYTES) {
    throw AppError.badRequest(`an inline result may be at most ${MAX_INLINE_RESULT_BYTES} bytes of JSON (got ${size}); send it as data`, "value");
  }
  return insertResultRow(
    opts.db,
    { id, workspaceId: opts.workspaceId, storage: "inline", value: opts.value ?? null, mediaType: "application/json", sizeBytes: size },
    opts.lease,
  );
}

/** The run a worker's result is for, and what it says about that run's lease. */
export interface ResultLease extends LeaseClaim {
  flowRunId: string;
}

/**
 * The row, in one statement with the lease check when there is a lease to check: nothing is
 * written under a lease the worker no longer holds (CONFLICT, LEASE_LOST; no token on a held
 * run when one is required: LEASE_HELD).
 */
async function insertResultRow(db: DbOrTx, row: typeof results.$inferInsert, lease: ResultLease | undefined): Promise<ResultRow> {
  // The run it is for, kept on the row: a pool-scoped key reads results of its pools' runs only.
  const values = lease ? { ...row, flowRunId: lease.flowRunId } : row;
  if (!lease || (!lease.token && !lease.strict)) {
    const [row] = await db.insert(results).values(values).returning();
    return row!;
  }
  const { names, params } = insertSelectParts(results, values);
  const found = rowsOf(
    await db.execute(sql`
      WITH RECURSIVE ${leaseOfRun(lease.flowRunId, values.workspaceId, lease)},
      ins AS (
        INSERT INTO ${results} (${names})
        SELECT ${params} FROM lease p WHERE ${leaseAllows(lease, sql`p.lease_token`)}
        RETURNING *
      )
      SELECT (SELECT count(*) FROM lease)::int AS runs, (SELECT lease_run_id FROM lease) AS lease_run_id,
        (SELECT lease_token FROM lease) AS lease_token, ins.*
      FROM (SELECT 1) one LEFT JOIN ins ON true`),
  )[0]!;
  if (found.runs === 0) throw AppError.notFound("Flow run", lease.flowRunId, "flowRunId");
  const refused = leaseRefusal(lease, { runId: lease.flowRunId, leaseRunId: found.lease_run_id as string, leaseToken: found.lease_token as string | null }, "its results");
  if (refused) throw refused;
  return mapRow(results, found);
}

/** Bytes per blob result. Larger artefacts belong in an object store of their own. */
export const MAX_BLOB_BYTES = 256 * 1024 * 1024;

/**
 * A blob result from a stream (`POST /api/results/upload`): written to the store as it arrives,
 * never held whole in memory, hashed on the way; the row is written after the bytes, and a
 * failure of either leaves nothing behind.
 */
export async function createStreamedResult(opts: {
  db: DbOrTx;
  workspaceId: string;
  chunks: AsyncIterable<Uint8Array>;
  mediaType?: string | null;
  maxBytes?: number;
  /** The run it is for, when a worker writes it: refused (and the bytes removed) unless its lease holds. */
  lease?: ResultLease;
}): Promise<ResultRow> {
  const id = randomUUID();
  const blobKey = `${opts.workspaceId}/${id}`;
  const store = getBlobStore();
  const maxBytes = opts.maxBytes ?? MAX_BLOB_BYTES;
  let written: { sizeBytes: number; sha256: string };
  try {
    written = await store.putStream(blobKey, opts.chunks, maxBytes);
  } catch (err) {
    if (err instanceof BlobTooLargeError) {
      throw new AppError("BAD_REQUEST", `the upload is over ${maxBytes} bytes, the most a result may hold`, { field: "body", reason: "PAYLOAD_TOO_LARGE" });
    }
    throw err;
  }
  return insertBlobRow(opts.db, { id, workspaceId: opts.workspaceId, blobKey, mediaType: opts.mediaType, sizeBytes: written.sizeBytes, sha256: written.sha256 }, opts.lease);
}

/**
 * The row of a blob result whose bytes are in the store already (a row never points at bytes
 * that are not there); if the row cannot be written (or its lease is refused) the bytes go
 * again, so a refused request leaves nothing behind in the store.
 */
async function insertBlobRow(
  db: DbOrTx,
  blob: { id: string; workspaceId: string; blobKey: string; mediaType?: string | null; sizeBytes: number; sha256: string },
  lease: ResultLease | undefined,
): Promise<ResultRow> {
  try {
    return await insertResultRow(db, { ...blob, storage: "blob", mediaType: blob.mediaType ?? "application/octet-stream" }, lease);
  } catch (err) {
    await getBlobStore()
      .delete(blob.blobKey)
      .catch((cleanup: unknown) => console.error(`[baton] removing blob ${blob.blobKey} after a failed results insert failed:`, cleanup));
    throw err;
  }
}

/**
 * A state change that brings its small result along (one call instead of results.create, then
 * the report): the inline result and the change commit in one transaction, or neither does.
 */
export async function withInlineResult<T>(
  db: Db,
  workspaceId: string,
  result: { value: unknown } | undefined,
  change: (db: DbOrTx, resultId: string | undefined) => Promise<T>,
  /** `db` is the caller's transaction, whose failure undoes both: no savepoint of its own. */
  inTransaction = false,
): Promise<T> {
  if (!result) return change(db, undefined);
  const run = inTransaction ? (fn: (tx: DbOrTx) => Promise<T>) => fn(db) : (fn: (tx: DbOrTx) => Promise<T>) => db.transaction(fn);
  return run(async (tx) => {
    const row = await createResult({ db: tx, workspaceId, value: result.value });
    const out = await change(tx, row.id);
    // A report repeated after the first was applied keeps the first one's result: drop this copy.
    const attached = (out as { resultId?: string | null } | undefined)?.resultId;
    if (attached !== undefined && attached !== row.id) await tx.delete(results).where(eq(results.id, row.id));
    return out;
  });
}

export async function getResult(opts: { db: DbOrTx; workspaceId: string; id: string }): Promise<ResultRow> {
  const [row] = await opts.db.select().from(results).where(and(eq(results.id, opts.id), eq(results.workspaceId, opts.workspaceId)));
  if (!row) throw AppError.notFound("Result", opts.id, "id");
  return row;
}

/** The bytes of a blob result (a missing blob is reported as such, not as an empty result). */
export async function readResultData(row: ResultRow): Promise<Uint8Array | undefined> {
  if (row.storage !== "blob" || !row.blobKey) return undefined;
  const data = await getBlobStore().get(row.blobKey);
  if (!data) throw new AppError("NOT_FOUND", `The blob of result ${row.id} is missing from the blob store (${row.blobKey})`, { field: "id" });
  return data;
}

/** The result id a flow run or task run points at, or null when it has none (yet). */
export async function resultIdOfRun(opts: { db: DbOrTx; workspaceId: string; flowRunId?: string; taskRunId?: string }): Promise<string | null> {
  const table = opts.flowRunId ? flowRuns : taskRuns;
  const id = opts.flowRunId ?? opts.taskRunId;
  if (!id) throw AppError.badRequest("give flowRunId or taskRunId", "flowRunId");
  const [row] = await opts.db
    .select({ resultId: table.resultId })
    .from(table)
    .where(and(eq(table.id, id), eq(table.workspaceId, opts.workspaceId)));
  if (!row) throw AppError.notFound(opts.flowRunId ? "Flow run" : "Task run", id, opts.flowRunId ? "flowRunId" : "taskRunId");
  return row.resultId;
}
