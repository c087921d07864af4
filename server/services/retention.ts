/** Deletes logs older than the retention period, a batch at a time so no delete runs long. */
import { inArray, lt } from "drizzle-orm";
import { logs } from "../../drizzle/schema";
import type { ServiceResources } from "./resources";

const BATCH = 5000;

export async function pruneOldLogs(res: ServiceResources): Promise<number> {
  const cutoff = new Date(res.clock.now().getTime() - res.settings.logRetentionMs);
  let total = 0;
  for (;;) {
    const old = res.db.select({ id: logs.id }).from(logs).where(lt(logs.timestamp, cutoff)).limit(BATCH);
    const deleted = await res.db.delete(logs).where(inArray(logs.id, old)).returning({ id: logs.id });
    total += deleted.length;
    if (deleted.length < BATCH) return total;
  }
}
