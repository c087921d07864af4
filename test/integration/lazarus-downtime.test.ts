/**
 * Lazarus after the server was down: a run's time in Pending or Late counts only while a server
 * was up (from ServiceResources.servingSince), so runs that waited through an outage get the full
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
import { drivenResources } from "../helpers/services";

describe("lazarus after the server was down", () => {
  const t = useTestDatabase();
  const run = async (id: string) => (await t.database.db.select().from(flowRuns).where(eq(flowRuns.id, id)))[0]!;
  const anHourAgo = sql`now() - interval '1 hour'`;

  async function pendingRun(name: string) {
    const db = t.database.db;
    const flow = await seedFlow(db, name);
    const { pool, defaultQueue } = await seedPool(db, `${name}-pool`);
    const [seeded] = await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id });
    const w = await registerWorker({ db, workspaceId: WS, workPoolId: pool.id, name: `${name}-worker`, capabilities: {} });
    const [claimed] = await claimFlowRuns({ db, workspaceId: WS, workPoolId: pool.id, workerId: w.id, max: 1, capabilities: {}, actor: "test", workerTimeoutMs: 60_000 });
    expect(claimed?.stateType).toBe("PENDING");
    // Claimed an hour ago, then the server (or its database) went away: nothing could move it.
    await db.update(flowRuns).set({ stateTimestamp: anHourAgo }).where(eq(flowRuns.id, seeded!.id));
    return seeded!.id;
  }

  it("a run Pending through the outage is rescheduled only once a pending timeout of uptime has passed", async () => {
    const settings = { pendingTimeoutMs: 300_000, lateRescheduleAfterMs: 3_600_000 };
    // The baseline: judged by its timestamp alone (no start moment), it is revived at once.
    const baseline = await pendingRun("down-baseline");
    expect(await reviveStuckRuns(drivenResources(t.database.db, settings))).toBe(1);
    expect(await run(baseline)).toMatchObject({ stateType: "SCHEDULED", lazarusCount: 1 });

    const id = await pendingRun("down-pending");
    const res = drivenResources(t.database.db, settings);
    res.servingSince = res.clock.now();
    expect(await reviveStuckRuns(res)).toBe(0);
    res.clock.advance(settings.pendingTimeoutMs - 1_000); // a second short of a pending timeout of uptime
    expect(await reviveStuckRuns(res)).toBe(0);
    expect(await run(id)).toMatchObject({ stateType: "PENDING", lazarusCount: 0 });
    res.clock.advance(2_000); // a pending timeout of uptime now
    expect(await reviveStuckRuns(res)).toBe(1);
    expect(await run(id)).toMatchObject({ stateType: "SCHEDULED", lazarusCount: 1 });
  });

  it("a run Late through the outage is not rescheduled within the grace, then is", async () => {
    const db = t.database.db;
    const flow = await seedFlow(db, "down-late");
    const { pool, defaultQueue } = await seedPool(db, "down-late-pool");
    const settings = { lateRescheduleAfterMs: 600_000, pendingTimeoutMs: 3_600_000 };
    const res = drivenResources(db, settings);
    const [seeded] = await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id, scheduledTime: new Date(res.clock.now().getTime() - 120_000) });
    await markLateRuns(res);
    expect(await run(seeded!.id)).toMatchObject({ stateType: "SCHEDULED", stateName: "Late" });
    // Marked Late an hour ago, then the server went away.
    await db.update(flowRuns).set({ stateTimestamp: anHourAgo }).where(eq(flowRuns.id, seeded!.id));
    res.servingSince = res.clock.now();
    expect(await reviveStuckRuns(res)).toBe(0);
    res.clock.advance(settings.lateRescheduleAfterMs - 1_000);
    expect(await reviveStuckRuns(res)).toBe(0);
    expect(await run(seeded!.id)).toMatchObject({ stateName: "Late", lazarusCount: 0 });
    res.clock.advance(2_000);
    // (the first test's rescheduled runs may have gone Late too: at least this one)
    expect(await reviveStuckRuns(res)).toBeGreaterThanOrEqual(1);
    expect(await run(seeded!.id)).toMatchObject({ stateType: "SCHEDULED", lazarusCount: 1 });
  });
});
