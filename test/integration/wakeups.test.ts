import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flowRuns, workers } from "../../drizzle/schema";
import { RunSignals } from "../../server/engine/signals";
import { claimWithWait, heartbeatWorker, registerWorker, workerGoodbye } from "../../server/engine/workers";
import { setRunState } from "../../server/engine/transitions";
import { useTestDatabase } from "../helpers/db";
import { WS, seedFlow, seedPool, seedRuns } from "../helpers/seed";

describe("long-polling claims and heartbeats", () => {
  const t = useTestDatabase();
  const signals = new RunSignals();
  beforeAll(() => signals.start(t.database));
  afterAll(() => signals.stop());

  it("wakes an idle claimer as soon as a run is created, long before its fallback poll", async () => {
    const db = t.database.db;
    const flow = await seedFlow(db, "wake");
    const { pool, defaultQueue } = await seedPool(db, "wake-pool");
    const worker = await registerWorker({ db, workspaceId: WS, workPoolId: pool.id, name: "idle", capabilities: {} });
    const started = Date.now();
    const claiming = claimWithWait({
      db, workspaceId: WS, workPoolId: pool.id, workerId: worker.id, max: 1, capabilities: {}, actor: "worker:idle",
      waitMs: 20_000, fallbackPollMs: 20_000, signals, workerTimeoutMs: 60_000,
    });
    // Wait until the claimer is parked on the pool, then create work.
    while (signals.waiting(pool.id) === 0) await new Promise((r) => setTimeout(r, 5));
    await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id, namePrefix: "fresh" });
    const runs = await claiming;
    expect(runs.map((r) => r.name)).toEqual(["fresh-0"]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("wakes when a future run falls due, and returns empty at the deadline when nothing comes", async () => {
    const db = t.database.db;
    const flow = await seedFlow(db, "due");
    const { pool, defaultQueue } = await seedPool(db, "due-pool");
    const worker = await registerWorker({ db, workspaceId: WS, workPoolId: pool.id, name: "w", capabilities: {} });
    const base = { db, workspaceId: WS, workPoolId: pool.id, workerId: worker.id, max: 5, capabilities: {}, actor: "w", signals, fallbackPollMs: 60_000, workerTimeoutMs: 60_000 };
    expect(await claimWithWait({ ...base, waitMs: 50 })).toEqual([]);
    await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id, scheduledTime: new Date(Date.now() + 300), namePrefix: "soon" });
    const runs = await claimWithWait({ ...base, waitMs: 10_000 });
    expect(runs.map((r) => r.name)).toEqual(["soon-0"]);
  });

  it("heartbeats tell a worker which runs to cancel and which it lost", async () => {
    const db = t.database.db;
    const flow = await seedFlow(db, "hb");
    const { pool, defaultQueue } = await seedPool(db, "hb-pool");
    const worker = await registerWorker({ db, workspaceId: WS, workPoolId: pool.id, name: "hb", capabilities: { cores: 2 } });
    await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id, count: 3 });
    const runs = await claimWithWait({ db, workspaceId: WS, workPoolId: pool.id, workerId: worker.id, max: 3, capabilities: {}, actor: "hb", start: true, waitMs: 0, fallbackPollMs: 1000, workerTimeoutMs: 60_000 });
    expect(runs).toHaveLength(3);
    const [a, b, c] = runs as [(typeof runs)[0], (typeof runs)[0], (typeof runs)[0]];
    await setRunState({ db, workspaceId: WS, kind: "flow", runId: a.id, to: { type: "CANCELLING" }, actor: "user" });
    await setRunState({ db, workspaceId: WS, kind: "flow", runId: b.id, to: { type: "CRASHED" }, actor: "zombie-killer" });
    const reply = await heartbeatWorker({
      db, workspaceId: WS, workerId: worker.id,
      runs: runs.map((r) => ({ id: r.id, leaseToken: r.leaseToken! })),
    });
    expect(reply).toEqual({ cancel: [a.id], stop: [b.id] });
    expect(c.stateType).toBe("RUNNING");
    await workerGoodbye({ db, workspaceId: WS, workerId: worker.id });
    // Re-registering brings the same worker back.
    const again = await registerWorker({ db, workspaceId: WS, workPoolId: pool.id, name: "hb", capabilities: {} });
    expect(again.id).toBe(worker.id);
    expect(again.stoppedAt).toBeNull();
  });

  it("an unknown worker's heartbeat asks it to register again", async () => {
    await expect(
      heartbeatWorker({ db: t.database.db, workspaceId: WS, workerId: "00000000-0000-4000-8000-0000000000aa", runs: [] }),
    ).rejects.toMatchObject({ code: "NOT_FOUND", reason: "WORKER_UNKNOWN" });
  });
});

describe("claims from workers that left", () => {
  const t = useTestDatabase();
  const signals = new RunSignals();
  beforeAll(() => signals.start(t.database));
  afterAll(() => signals.stop());

  it("a waiting claim whose caller hung up takes nothing, and a worker that said goodbye gets nothing", async () => {
    const db = t.database.db;
    const flow = await seedFlow(db, "left");
    const { pool, defaultQueue } = await seedPool(db, "left-pool");
    const worker = await registerWorker({ db, workspaceId: WS, workPoolId: pool.id, name: "leaver", capabilities: {} });
    const hangUp = new AbortController();
    const base = { db, workspaceId: WS, workPoolId: pool.id, workerId: worker.id, max: 1, capabilities: {}, actor: "leaver", signals, fallbackPollMs: 60_000, workerTimeoutMs: 60_000 };
    const claiming = claimWithWait({ ...base, waitMs: 20_000, abort: hangUp.signal });
    while (signals.waiting(pool.id) === 0) await new Promise((r) => setTimeout(r, 5));
    hangUp.abort();
    expect(await claiming).toEqual([]);

    await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id });
    await workerGoodbye({ db, workspaceId: WS, workerId: worker.id });
    expect(await claimWithWait({ ...base, waitMs: 0 })).toEqual([]);
    // Back again: it registers and may claim.
    await registerWorker({ db, workspaceId: WS, workPoolId: pool.id, name: "leaver", capabilities: {} });
    expect(await claimWithWait({ ...base, waitMs: 0 })).toHaveLength(1);
  });

  it("a worker whose heartbeat is older than the timeout is handed nothing; its next heartbeat revives it and wakes its waiting claim", async () => {
    const db = t.database.db;
    const flow = await seedFlow(db, "stale");
    const { pool, defaultQueue } = await seedPool(db, "stale-pool");
    const worker = await registerWorker({ db, workspaceId: WS, workPoolId: pool.id, name: "stale", capabilities: {} });
    const [seeded] = await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id });
    // Its heartbeats did not land for longer than the timeout (the server was down, say).
    await db.update(workers).set({ lastHeartbeatAt: sql`now() - interval '10 seconds'` }).where(eq(workers.id, worker.id));
    const base = { db, workspaceId: WS, workPoolId: pool.id, workerId: worker.id, max: 1, capabilities: {}, actor: "stale", signals, workerTimeoutMs: 5_000 };
    expect(await claimWithWait({ ...base, waitMs: 0, fallbackPollMs: 60_000 })).toEqual([]);
    expect((await db.select().from(flowRuns).where(eq(flowRuns.id, seeded!.id)))[0]).toMatchObject({ stateType: "SCHEDULED", workerId: null, leaseToken: null });
    await new Promise((r) => setTimeout(r, 300)); // the seeded run's own wake-up has come and gone
    // A long poll parked now is woken by the reviving heartbeat, long before its fallback poll.
    const started = Date.now();
    const claiming = claimWithWait({ ...base, waitMs: 20_000, fallbackPollMs: 20_000 });
    while (signals.waiting(pool.id) === 0) await new Promise((r) => setTimeout(r, 5));
    await heartbeatWorker({ db, workspaceId: WS, workerId: worker.id, runs: [], workerTimeoutMs: 5_000 });
    const runs = await claiming;
    expect(runs.map((r) => r.id)).toEqual([seeded!.id]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
