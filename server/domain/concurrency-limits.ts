/**
 * Tag concurrency limits: at most `limit` runs carrying the tag may be active at once. The
 * claim query enforces them; this module only keeps the list.
 */
import { and, asc, eq } from "drizzle-orm";
import { concurrencyLimits } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { AppError } from "../errors";

export type ConcurrencyLimitRow = typeof concurrencyLimits.$inferSelect;

export async function createConcurrencyLimit(opts: {
  db: DbOrTx;
  workspaceId: string;
  tag: string;
  limit: number;
}): Promise<ConcurrencyLimitRow> {
  const [row] = await opts.db
    .insert(concurrencyLimits)
    .values({ workspaceId: opts.workspaceId, tag: opts.tag, limit: opts.limit })
    .returning();
  return row!;
}

export async function listConcurrencyLimits(opts: { db: DbOrTx; workspaceId: string }): Promise<ConcurrencyLimitRow[]> {
  return opts.db
    .select()
    .from(concurrencyLimits)
    .where(eq(concurrencyLimits.workspaceId, opts.workspaceId))
    .orderBy(asc(concurrencyLimits.tag));
}

export async function deleteConcurrencyLimit(opts: { db: DbOrTx; workspaceId: string; tag: string }): Promise<void> {
  const deleted = await opts.db
    .delete(concurrencyLimits)
    .where(and(eq(concurrencyLimits.workspaceId, opts.workspaceId), eq(concurrencyLimits.tag, opts.tag)))
    .returning({ id: concurrencyLimits.id });
  if (deleted.length === 0) throw AppError.notFound("Concurrency limit for tag", `"${opts.tag}"`, "tag");
}
