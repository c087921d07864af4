import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { flowRuns, stateHistory } from "../../drizzle/schema";
import { claimFlowRuns } from "../../server/engine/claim";
import { registerWorker, workerGoodbye } from "../../server/engine/workers";
import { killZombies } from "../../server/services/zombie-killer";
import { useTestDatabase } from "../helpers/db";
import { WS, seedFlow, seedPool, seedRuns } from "../helpers/seed";
import { drivenResources } from "../helpers/services";

/**
 * A draining worker cuts its long poll; a claim answered at that moment is granted on the server
 * but never reaches the worker. Its goodbye names what it still holds, and the rest goes back.
 */
describe("a worker's goodbye with the runs it holds", () => {
  const t = useTestDatabase();
  const run = async (id: string) => (await t.database.db.select().from(flowRuns).where(eq(flowRuns.id, id)))[0]!;

  async function twoClaimed(name: string) {
    const db = t.database.db;
    const flow = await seedFlow(db, name);
    const { pool, defaultQueue } = await seedPool(db, `${name}-pool`);
    await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id, count: 2 });
    const worker = await registerWorker({ db, workspaceId: WS, workPoolId: pool.id, name: `${name}-worker`, capabilities: {} });
    const claim = (d = db) =>
      claimFlowRuns({ db: d, workspaceId: WS, workPoolId: pool.id, workerId: worker.id, max: 2, capabilities: {}, actor: "test", start: true, workerTimeoutMs: 60_000 });
    return { worker, pool, claim };
  }

  it("puts back in the queue, as not an attempt, the runs it was granted but does not name; keeps the ones it names", async () => {
    const { worker, claim } = await twoClaimed("bye");
    const [a, b] = await claim();
    expect([a!.stateType, b!.stateType, a!.runCount, b!.runCount]).toEqual(["RUNNING", "RUNNING", 1, 1]);

    expect(await workerGoodbye({ db: t.database.db, workspaceId: WS, workerId: worker.id, holding: [a!.id] })).toEqual({ returned: 1 });
    expect(await run(b!.id)).toMatchObject({ stateType: "SCHEDULED", stateName: "Scheduled", runCount: 0, leaseToken: null });
    const [back] = (await t.database.db.select().from(stateHistory).where(eq(stateHistory.flowRunId, b!.id))).filter((h) => h.toType === "SCHEDULED");
    expect(back).toMatchObject({ actor: "worker:bye-worker", message: 'back in the queue: worker "bye-worker" shut down before it received the run' });

    // The one it named is its to report; if it never does, the zombie killer crashes it as before.
    expect(await run(a!.id)).toMatchObject({ stateType: "RUNNING", runCount: 1 });
    await killZombies(drivenResources(t.database.db));
    expect((await run(a!.id)).stateType).toBe("CRASHED");
    // A claim after the goodbye gets nothing.
    expect(await claim()).toEqual([]);
  });

  it("without a list (an older worker) leaves its runs to the zombie killer", async () => {
    const { worker, claim } = await twoClaimed("bye-old");
    const runs = await claim();
    expect(await workerGoodbye({ db: t.database.db, workspaceId: WS, workerId: worker.id })).toEqual({ returned: 0 });
    for (const r of runs) expect((await run(r.id)).stateType).toBe("RUNNING");
  });

  it("waits for a claim in flight and returns what it granted", async () => {
    const { worker, claim } = await twoClaimed("bye-race");
    let granted: string[] = [];
    let goodbye: Promise<{ returned: number }> | undefined;
    await t.database.db.transaction(async (tx) => {
      granted = (await claim(tx)).map((r) => r.id);
      // The claim holds the worker row: this goodbye waits for it to commit, then sees its grants.
      goodbye = workerGoodbye({ db: t.database.db, workspaceId: WS, workerId: worker.id, holding: [] });
      await new Promise((resolve) => setTimeout(resolve, 200));
    });
    expect(granted).toHaveLength(2);
    expect(await goodbye).toEqual({ returned: 2 });
    for (const id of granted) expect(await run(id)).toMatchObject({ stateType: "SCHEDULED", runCount: 0 });
  });
});
