import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { concurrencyLimits, flowRuns, stateHistory } from "../../drizzle/schema";
import { claimFlowRuns } from "../../server/engine/claim";
import { useTestDatabase } from "../helpers/db";
import { WS, seedFlow, seedPool, seedQueue, seedRuns, seedWorker } from "../helpers/seed";

describe("claiming runs", () => {
  const t = useTestDatabase();
  const claim = (poolId: string, workerId: string, max: number, extra: Partial<Parameters<typeof claimFlowRuns>[0]> = {}) =>
    claimFlowRuns({ db: t.database.db, workspaceId: WS, workPoolId: poolId, workerId, max, capabilities: {}, actor: "worker:test", ...extra, workerTimeoutMs: extra.workerTimeoutMs ?? 60_000 });

  it("claims due runs in queue priority, run priority, then time order, with a lease and history", async () => {
    const db = t.database.db;
    const flow = await seedFlow(db, "order");
    const { pool, defaultQueue } = await seedPool(db, "order-pool");
    const urgent = await seedQueue(db, pool.id, "urgent", { priority: 0 });
    const worker = await seedWorker(db, pool.id, "w1");
    const base = Date.now() - 60_000;
    const late = await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id, scheduledTime: new Date(base), namePrefix: "default-old" });
    const low = await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: urgent.id, priority: 5, scheduledTime: new Date(base), namePrefix: "urgent-p5" });
    const high = await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: urgent.id, priority: 1, scheduledTime: new Date(base + 1000), namePrefix: "urgent-p1" });
    await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: urgent.id, scheduledTime: new Date(Date.now() + 3_600_000), namePrefix: "future" });

    const first = await claim(pool.id, worker.id, 1);
    expect(first.map((r) => r.id)).toEqual([high[0]!.id]);
    expect(first[0]).toMatchObject({ stateType: "PENDING", stateName: "Pending", workerId: worker.id, stateVersion: 1 });
    expect(first[0]!.leaseToken).toMatch(/^[0-9a-f-]{36}$/);

    const rest = await claim(pool.id, worker.id, 10, { start: true });
    expect(rest.map((r) => r.name).sort()).toEqual(["default-old-0", "urgent-p5-0"]);
    expect(rest.every((r) => r.stateType === "RUNNING" && r.runCount === 1 && r.startTime)).toBe(true);
    expect(late[0] && low[0]).toBeTruthy();

    const history = await db.select().from(stateHistory).where(eq(stateHistory.flowRunId, high[0]!.id));
    expect(history).toMatchObject([{ fromType: "SCHEDULED", toType: "PENDING", actor: "worker:test" }]);
    expect(await claim(pool.id, worker.id, 10)).toEqual([]); // only the future run is left
  });

  it("skips paused pools and queues, and honours the worker's queue selection", async () => {
    const db = t.database.db;
    const flow = await seedFlow(db, "paused");
    const { pool, defaultQueue } = await seedPool(db, "paused-pool", { paused: true });
    const worker = await seedWorker(db, pool.id, "w1");
    await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id });
    expect(await claim(pool.id, worker.id, 5)).toEqual([]);

    const { pool: open, defaultQueue: q1 } = await seedPool(db, "open-pool");
    const q2 = await seedQueue(db, open.id, "stopped", { paused: true });
    const q3 = await seedQueue(db, open.id, "other");
    const w2 = await seedWorker(db, open.id, "w2");
    await seedRuns(db, { flowId: flow.id, workPoolId: open.id, workQueueId: q1.id, namePrefix: "q1" });
    await seedRuns(db, { flowId: flow.id, workPoolId: open.id, workQueueId: q2.id, namePrefix: "q2" });
    await seedRuns(db, { flowId: flow.id, workPoolId: open.id, workQueueId: q3.id, namePrefix: "q3" });
    expect((await claim(open.id, w2.id, 5, { workQueueIds: [q3.id] })).map((r) => r.name)).toEqual(["q3-0"]);
    expect((await claim(open.id, w2.id, 5)).map((r) => r.name)).toEqual(["q1-0"]);
  });

  it("honours pool, queue and tag concurrency limits, even within one batch", async () => {
    const db = t.database.db;
    const flow = await seedFlow(db, "limits");
    const { pool, defaultQueue } = await seedPool(db, "limited-pool", { concurrencyLimit: 5 });
    const narrow = await seedQueue(db, pool.id, "narrow", { concurrencyLimit: 2, priority: 0 });
    const worker = await seedWorker(db, pool.id, "w1");
    await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: narrow.id, count: 4, namePrefix: "narrow" });
    await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id, count: 6, namePrefix: "wide" });
    const batch = await claim(pool.id, worker.id, 10);
    expect(batch).toHaveLength(5); // the pool's limit
    expect(batch.filter((r) => r.name.startsWith("narrow"))).toHaveLength(2); // the queue's limit
    expect(await claim(pool.id, worker.id, 10)).toEqual([]);

    await db.insert(concurrencyLimits).values({ workspaceId: WS, tag: "gpu-heavy", limit: 1 });
    const { pool: p2, defaultQueue: q } = await seedPool(db, "tagged-pool");
    const w2 = await seedWorker(db, p2.id, "w2");
    await seedRuns(db, { flowId: flow.id, workPoolId: p2.id, workQueueId: q.id, count: 3, tags: ["gpu-heavy"], namePrefix: "heavy" });
    await seedRuns(db, { flowId: flow.id, workPoolId: p2.id, workQueueId: q.id, count: 2, tags: ["light"], namePrefix: "light" });
    const tagged = await claim(p2.id, w2.id, 10);
    expect(tagged.filter((r) => r.tags.includes("gpu-heavy"))).toHaveLength(1);
    expect(tagged.filter((r) => r.tags.includes("light"))).toHaveLength(2);
    expect(await claim(p2.id, w2.id, 10)).toEqual([]);
  });

  it("gives GPU work only to workers that have a GPU", async () => {
    const db = t.database.db;
    const flow = await seedFlow(db, "gpu");
    const { pool, defaultQueue } = await seedPool(db, "mixed-pool");
    const cpu = await seedWorker(db, pool.id, "cpu", { cores: 2, memoryGb: 24 });
    const gpu = await seedWorker(db, pool.id, "gpu", { gpu: true, gpus: 1, memoryGb: 128 });
    await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id, requirements: { gpu: true, memoryGb: 64 }, namePrefix: "train" });
    expect(await claim(pool.id, cpu.id, 5, { capabilities: cpu.capabilities })).toEqual([]);
    expect((await claim(pool.id, gpu.id, 5, { capabilities: gpu.capabilities })).map((r) => r.name)).toEqual(["train-0"]);
  });

  it("eight concurrent claimers drain 5,000 runs with no duplicates and none lost", async () => {
    const db = t.database.db;
    const flow = await seedFlow(db, "drain");
    const { pool, defaultQueue } = await seedPool(db, "drain-pool");
    const total = 5000;
    await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id, count: total });
    const workers = await Promise.all(Array.from({ length: 8 }, (_, i) => seedWorker(db, pool.id, `drain-${i}`)));
    const seen = new Map<string, string>();
    let duplicates = 0;
    await Promise.all(
      workers.map(async (w) => {
        for (;;) {
          const got = await claim(pool.id, w.id, 25, { start: true });
          if (got.length === 0) return;
          for (const run of got) {
            if (seen.has(run.id)) duplicates++;
            seen.set(run.id, w.id);
          }
        }
      }),
    );
    expect(duplicates).toBe(0);
    expect(seen.size).toBe(total);
    const running = await db.$count(flowRuns, and(eq(flowRuns.workPoolId, pool.id), eq(flowRuns.stateType, "RUNNING")));
    expect(running).toBe(total);
    expect(new Set(seen.values()).size).toBeGreaterThan(1); // the work was shared
  }, 120_000);

  it("concurrent claimers never exceed a limit together", async () => {
    const db = t.database.db;
    const flow = await seedFlow(db, "race");
    const { pool, defaultQueue } = await seedPool(db, "race-pool", { concurrencyLimit: 3 });
    await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id, count: 50 });
    const workers = await Promise.all(Array.from({ length: 8 }, (_, i) => seedWorker(db, pool.id, `race-${i}`)));
    const batches = await Promise.all(workers.map((w) => claim(pool.id, w.id, 2)));
    expect(batches.flat()).toHaveLength(3);
  });
});
