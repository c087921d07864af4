/**
 * Direct inserts for engine tests, which need many runs in exact shapes quickly.
 */
import { eq } from "drizzle-orm";
import { DEFAULT_WORKSPACE_ID, flowRuns, flows, workers, workQueues } from "../../drizzle/schema";
import type { Db } from "../../server/db/client";
import { createWorkPool, type WorkPoolType } from "../../server/domain/work-pools";

export const WS = DEFAULT_WORKSPACE_ID;

export async function seedPool(
  db: Db,
  name: string,
  opts: { type?: WorkPoolType; concurrencyLimit?: number | null; paused?: boolean } = {},
) {
  const pool = await createWorkPool({ db, workspaceId: WS, name, type: opts.type ?? "node", ...opts });
  const [queue] = await db.select().from(workQueues).where(eq(workQueues.workPoolId, pool.id));
  return { pool, defaultQueue: queue! };
}

export async function seedQueue(
  db: Db,
  workPoolId: string,
  name: string,
  opts: { priority?: number; concurrencyLimit?: number | null; paused?: boolean } = {},
) {
  const [queue] = await db
    .insert(workQueues)
    .values({ workspaceId: WS, workPoolId, name, priority: opts.priority ?? 1, ...opts })
    .returning();
  return queue!;
}

export async function seedFlow(db: Db, name = "flow") {
  const [flow] = await db
    .insert(flows)
    .values({ workspaceId: WS, name })
    .onConflictDoUpdate({ target: [flows.workspaceId, flows.name], set: { name } })
    .returning();
  return flow!;
}

export async function seedWorker(
  db: Db,
  workPoolId: string,
  name: string,
  capabilities: Record<string, unknown> = {},
) {
  const [worker] = await db
    .insert(workers)
    .values({ workspaceId: WS, workPoolId, name, capabilities })
    .returning();
  return worker!;
}

export async function seedRuns(
  db: Db,
  opts: {
    flowId: string;
    workPoolId: string;
    workQueueId: string;
    count?: number;
    priority?: number;
    scheduledTime?: Date;
    tags?: string[];
    requirements?: Record<string, unknown>;
    maxRetries?: number;
    namePrefix?: string;
  },
) {
  const count = opts.count ?? 1;
  const rows = Array.from({ length: count }, (_, i) => ({
    workspaceId: WS,
    flowId: opts.flowId,
    workPoolId: opts.workPoolId,
    workQueueId: opts.workQueueId,
    name: `${opts.namePrefix ?? "run"}-${i}`,
    stateType: "SCHEDULED" as const,
    stateName: "Scheduled",
    priority: opts.priority ?? 0,
    scheduledTime: opts.scheduledTime ?? new Date(Date.now() - 1000),
    tags: opts.tags ?? [],
    requirements: opts.requirements ?? {},
    maxRetries: opts.maxRetries ?? 0,
  }));
  const inserted = [];
  for (let i = 0; i < rows.length; i += 1000) {
    inserted.push(...(await db.insert(flowRuns).values(rows.slice(i, i + 1000)).returning()));
  }
  return inserted;
}
