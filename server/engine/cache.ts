/**
 * Result caching by a task's cache key: a task run created with the key of an earlier run that
 * COMPLETED (and whose cache has not expired) starts out COMPLETED, named "Cached", pointing at
 * the same result — the work is not done twice.
 */
import { and, desc, eq, gt, isNotNull, isNull, or } from "drizzle-orm";
import { taskRuns } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";

export interface CachedResult {
  taskRunId: string;
  resultId: string | null;
}

export async function findCachedResult(opts: {
  db: DbOrTx;
  workspaceId: string;
  cacheKey: string;
  /** Only runs that stored a result (the SDK needs a value to hand back). */
  withResult?: boolean;
}): Promise<CachedResult | undefined> {
  const [hit] = await opts.db
    .select({ taskRunId: taskRuns.id, resultId: taskRuns.resultId })
    .from(taskRuns)
    .where(
      and(
        eq(taskRuns.workspaceId, opts.workspaceId),
        eq(taskRuns.cacheKey, opts.cacheKey),
        eq(taskRuns.stateType, "COMPLETED"),
        opts.withResult ? isNotNull(taskRuns.resultId) : undefined,
        or(isNull(taskRuns.cacheExpiresAt), gt(taskRuns.cacheExpiresAt, new Date())),
      ),
    )
    .orderBy(desc(taskRuns.endTime))
    .limit(1);
  return hit;
}
