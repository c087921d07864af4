/** Deletes logs older than the retention period, a batch at a time so no delete runs long. */
import { inArray, lt } from "drizzle-orm";
import { logs } from "../../drizzle/schema";
import type { ServiceContext } from "./context";

const BATCH = 5000;

export async function pruneOldLogs(ctx: ServiceContext): Promise<number> {
  const cutoff = new Date(Date.now() - ctx.settings.logRetentionMs);
  let total = 0;
  for (;;) {
    const old = ctx.db.select({ id: logs.id }).from(logs).where(lt(logs.timestamp, cutoff)).limit(BATCH);
    const deleted = await ctx.db.delete(logs).where(inArray(logs.id, old)).returning({ id: logs.id });
    total += deleted.length;
    if (deleted.length < BATCH) return total;
  }
}
