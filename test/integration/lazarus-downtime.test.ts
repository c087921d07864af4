/**
 * Lazarus after the server was down: a run's time in Pending or Late counts only while a server
 * was up (from ServiceContext.servingSince), so runs that waited through an outage get the full
 * timeout again before they are rescheduled or failed — as the zombie killer does for silence.
 */
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { flowRuns } from "../../drizzle/schema";
import { claimFlowRuns } from "../../server/engine/claim";
import { registerWorker } from "../../server/engine/workers";
import { markLateRuns } from "../../server/services/late-runs";
import { reviveStuckRuns } from "../../server/services/lazarus";
import { useTestDatabase } from "../helpers/db";
import { WS, seedFlow, seedPool, seedRuns } from "../helpers/seed";
import { serviceContext, sleep } from "../helpers/services";

describe("lazarus after the server was down", () => {
  const t = useTestDatabase();
  const run = async (id: string) => (await t.database.db.select().from(flowRuns).where(eq(flowRuns.id, id)))[0]!;
  const aMinuteAgo = sql`now() - interval '1 minute'`;

  async function pendingRun(name: string) {
    const db = t.database.db;
    const flow = await seedFlow(db, name);
    const { pool, defaultQueue } = await seedPool(db, `${name}-pool`);
    const [seeded] = await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id });
    const w = await registerWorker({ db, workspaceId: WS, workPoolId: pool.id, name: `${name}-worker`, capabilities: {} });
    const [claimed] = await claimFlowRuns({ db, workspaceId: WS, workPoolId: pool.id, workerId: w.id, max: 1, capabilities: {}, actor: "test", workerTimeoutMs: 60_000 });
    expect(claimed?.stateType).toBe("PENDING");
    // Claimed a minute ago, then the server (or its database) went away: nothing could move it.
    await db.update(flowRuns).set({ stateTimestamp: aMinuteAgo }).where(eq(flowRuns.id, seeded!.id));
    return seeded!.id;
  }

  it("a run Pending through the outage is rescheduled only once a pending timeout of uptime has passed", async () => {
    const settings = { pendingTimeoutMs: 1_000, lateRescheduleAfterMs: 60_000 };
    // The baseline: judged by its timestamp alone (no start moment), it is revived at once.
    const baseline = await pendingRun("down-baseline");
    expect(await reviveStuckRuns(serviceContext(t.database.db, settings))).toBe(1);
    expect(await run(baseline)).toMatchObject({ stateType: "SCHEDULED", lazarusCount: 1 });

    const id = await pendingRun("down-pending");
    const ctx = { ...serviceContext(t.database.db, settings), servingSince: new Date() };
    expect(await reviveStuckRuns(ctx)).toBe(0);
    await sleep(500);
    expect(await reviveStuckRuns(ctx)).toBe(0);
    expect(await run(id)).toMatchObject({ stateType: "PENDING", lazarusCount: 0 });
    await sleep(700); // a pending timeout of uptime now
    expect(await reviveStuckRuns(ctx)).toBe(1);
    expect(await run(id)).toMatchObject({ stateType: "SCHEDULED", lazarusCount: 1 });
  });

  it("a run Late through the outage is not rescheduled within the grace, then is", async () => {
    const db = t.database.db;
    const flow = await seedFlow(db, "down-late");
    const { pool, defaultQueue } = await seedPool(db, "down-late-pool");
    const [seeded] = await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id, scheduledTime: new Date(Date.now() - 120_000) });
    const settings = { lateRescheduleAfterMs: 1_000, pendingTimeoutMs: 60_000 };
    await markLateRuns(serviceContext(db, settings));
    expect(await run(seeded!.id)).toMatchObject({ stateType: "SCHEDULED", stateName: "Late" });
    await db.update(flowRuns).set({ stateTimestamp: aMinuteAgo }).where(eq(flowRuns.id, seeded!.id));
    const ctx = { ...serviceContext(db, settings), servingSince: new Date() };
    expect(await reviveStuckRuns(ctx)).toBe(0);
    expect(await run(seeded!.id)).toMatchObject({ stateName: "Late", lazarusCount: 0 });
    await sleep(1_200);
    // (the first test's rescheduled runs went Late too: at least this one)
    expect(await reviveStuckRuns(ctx)).toBeGreaterThanOrEqual(1);
    expect(await run(seeded!.id)).toMatchObject({ stateType: "SCHEDULED", lazarusCount: 1 });
  });
});
