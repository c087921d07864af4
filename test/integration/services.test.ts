import { asc, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { flowRuns, stateHistory, workers } from "../../drizzle/schema";
import { claimFlowRuns } from "../../server/engine/claim";
import { failFlowRun, retryDelayMs } from "../../server/engine/retries";
import { setRunState } from "../../server/engine/transitions";
import { registerWorker } from "../../server/engine/workers";
import { markLateRuns } from "../../server/services/late-runs";
import { reviveStuckRuns } from "../../server/services/lazarus";
import { pruneOldLogs } from "../../server/services/retention";
import { startServices } from "../../server/services";
import { killZombies } from "../../server/services/zombie-killer";
import { unlessRaced } from "../../server/services/resources";
import { logs } from "../../drizzle/schema";
import { useTestDatabase } from "../helpers/db";
import { WS, seedFlow, seedPool, seedRuns } from "../helpers/seed";
import { TestClock } from "../../server/engine/clock";
import { loadEngineSettings } from "../../server/engine/settings";
import { drivenResources, recordingLog } from "../helpers/services";

describe("background services", () => {
  const t = useTestDatabase();
  const run = async (id: string) => (await t.database.db.select().from(flowRuns).where(eq(flowRuns.id, id)))[0]!;
  const history = async (id: string) =>
    (await t.database.db.select().from(stateHistory).where(eq(stateHistory.flowRunId, id)).orderBy(asc(stateHistory.id))).map(
      (h) => `${h.toName}${h.actor !== "test" ? `@${h.actor}` : ""}`,
    );

  async function claimedRun(name: string, extra: { maxRetries?: number } = {}) {
    const db = t.database.db;
    const flow = await seedFlow(db, name);
    const { pool, defaultQueue } = await seedPool(db, `${name}-pool`);
    const [seeded] = await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id, ...extra });
    const worker = await registerWorker({ db, workspaceId: WS, workPoolId: pool.id, name: `${name}-worker`, capabilities: {} });
    await db.update(flowRuns).set({ retryDelaySeconds: 0 }).where(eq(flowRuns.id, seeded!.id));
    const [claimed] = await claimFlowRuns({ db, workspaceId: WS, workPoolId: pool.id, workerId: worker.id, max: 1, capabilities: {}, actor: "test", start: true, workerTimeoutMs: 60_000 });
    return { run: claimed!, worker, pool, queue: defaultQueue, flow };
  }

  it("zombie killer: a silent worker's running run is CRASHED, named with its worker, then retried", async () => {
    const { run: r, worker } = await claimedRun("zombie", { maxRetries: 1 });
    const res = drivenResources(t.database.db);
    const timeoutMs = res.settings.workerTimeoutMs;
    expect(await killZombies(res)).toBe(0); // the worker is fresh
    res.clock.advance(timeoutMs - 1_000);
    expect(await killZombies(res)).toBe(0); // a second short of its timeout
    res.clock.advance(2_000);
    expect(await killZombies(res)).toBe(1);
    const after = await run(r.id);
    expect(after).toMatchObject({ stateType: "SCHEDULED", stateName: "AwaitingRetry", leaseToken: null });
    const crashed = (await t.database.db.select().from(stateHistory).where(eq(stateHistory.flowRunId, r.id))).find((h) => h.toType === "CRASHED");
    expect(crashed?.message).toMatch(new RegExp(`worker "${worker.name}" stopped heartbeating; last seen .* s ago`));
    // (seeded runs have no creation row; the claim by "test" started it)
    expect(await history(r.id)).toEqual(["Running", "Crashed@zombie-killer", "AwaitingRetry@zombie-killer"]);
  });

  it("zombie killer after the server was down: a worker's silence counts from when the services started, so a stale heartbeat gets a worker timeout to come back", async () => {
    const db = t.database.db;
    const settings = { ...loadEngineSettings({}), servicesIntervalMs: 1_000 };
    const timeoutMs = settings.workerTimeoutMs;
    // Two runs on workers whose last heartbeat is long past the timeout: the server was down.
    const comesBack = await claimedRun("outage-back");
    const gone = await claimedRun("outage-gone");
    const stale = sql`now() - interval '1 minute'`;
    await db.update(workers).set({ lastHeartbeatAt: stale }).where(eq(workers.id, comesBack.worker.id));
    await db.update(workers).set({ lastHeartbeatAt: stale }).where(eq(workers.id, gone.worker.id));
    // Without the start moment (one-off call) both would be crashed: the baseline.
    const oneOff = await db.select({ id: workers.id }).from(workers).where(sql`${workers.lastHeartbeatAt} < now() - ${timeoutMs} * interval '1 millisecond'`);
    expect(oneOff.map((w) => w.id)).toEqual(expect.arrayContaining([comesBack.worker.id, gone.worker.id]));

    const log = recordingLog();
    const clock = new TestClock();
    const services = startServices({ database: t.database, settings, log, clock });
    // The loop ticks at start, then each time the clock passes its interval.
    const tickAfter = async (ms: number) => {
      const ticked = services.nextTick();
      clock.advance(ms);
      await ticked;
    };
    try {
      await services.nextTick();
      expect(services.isLeader()).toBe(true);
      expect(log.logs.join("\n")).toMatch(/silence counts from now \(30 s to heartbeat\)/);
      // Halfway through the grace: nothing crashed.
      await tickAfter(timeoutMs / 2);
      expect((await run(comesBack.run.id)).stateType).toBe("RUNNING");
      expect((await run(gone.run.id)).stateType).toBe("RUNNING");
      // One worker heartbeats again (the server is reachable); the other stays silent.
      await db.update(workers).set({ lastHeartbeatAt: clock.now() }).where(eq(workers.id, comesBack.worker.id));
      // A second before a worker timeout has passed since the start: still nothing.
      await tickAfter(timeoutMs / 2 - 1_000);
      expect((await run(gone.run.id)).stateType).toBe("RUNNING");
      // A second after it: the silent worker's run is crashed.
      await tickAfter(2_000);
      expect((await run(gone.run.id)).stateType).toBe("CRASHED");
      expect(await history(gone.run.id)).toEqual(["Running", "Crashed@zombie-killer"]);
      // The one that heartbeated within the grace keeps its run (its heartbeat is fresh).
      expect((await run(comesBack.run.id)).stateType).toBe("RUNNING");
      expect(log.errors).toEqual([]);
    } finally {
      await services.stop();
    }
  });

  it("zombie killer: a run with no retries left stays CRASHED; PENDING goes back to the queue", async () => {
    const { run: r } = await claimedRun("zombie2");
    const res = drivenResources(t.database.db);
    res.clock.advance(res.settings.workerTimeoutMs + 1_000);
    await killZombies(res);
    expect((await run(r.id)).stateType).toBe("CRASHED");

    const db = t.database.db;
    const flow = await seedFlow(db, "pending-zombie");
    const { pool, defaultQueue } = await seedPool(db, "pending-zombie-pool");
    await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id });
    const w = await registerWorker({ db, workspaceId: WS, workPoolId: pool.id, name: "pz", capabilities: {} });
    const [p] = await claimFlowRuns({ db, workspaceId: WS, workPoolId: pool.id, workerId: w.id, max: 1, capabilities: {}, actor: "test", workerTimeoutMs: 60_000 });
    await db.update(workers).set({ stoppedAt: new Date() }).where(eq(workers.id, w.id)); // said goodbye, still holding it
    await killZombies(drivenResources(db)); // at once: no timeout to wait for
    expect(await run(p!.id)).toMatchObject({ stateType: "SCHEDULED", stateName: "Scheduled", runCount: 0 });
  });

  it("a worker that heartbeats in time keeps its run", async () => {
    const { run: r, worker } = await claimedRun("alive");
    const res = drivenResources(t.database.db);
    res.clock.advance(res.settings.workerTimeoutMs - 1_000);
    await t.database.db.update(workers).set({ lastHeartbeatAt: res.clock.now() }).where(eq(workers.id, worker.id));
    res.clock.advance(res.settings.workerTimeoutMs - 1_000); // a worker timeout after the claim, not after its heartbeat
    await killZombies(res);
    expect((await run(r.id)).stateType).toBe("RUNNING");
    expect(res.logs.join("\n")).not.toContain(r.id);
  });

  it("the watchdog fails a run past its timeout as TimedOut", async () => {
    const { run: r } = await claimedRun("slow");
    await t.database.db.update(flowRuns).set({ timeoutSeconds: 30 }).where(eq(flowRuns.id, r.id));
    const res = drivenResources(t.database.db, { workerTimeoutMs: 3_600_000 }); // its worker is alive throughout
    res.clock.advance(29_000);
    await killZombies(res);
    expect((await run(r.id)).stateType).toBe("RUNNING");
    res.clock.advance(2_000);
    await killZombies(res);
    expect(await run(r.id)).toMatchObject({ stateType: "FAILED", stateName: "TimedOut", stateMessage: "timed out after 30 s" });
  });

  it("late marker: says why a run has not started", async () => {
    const db = t.database.db;
    const flow = await seedFlow(db, "late");
    const { pool, defaultQueue } = await seedPool(db, "late-pool");
    const res = drivenResources(db);
    const aMinuteAgo = () => new Date(res.clock.now().getTime() - 60_000);
    const [noWorker] = await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id, scheduledTime: res.clock.now() });
    await markLateRuns(res);
    expect(await run(noWorker!.id)).toMatchObject({ stateName: "Scheduled" }); // due, not late yet
    res.clock.advance(res.settings.lateAfterMs + 1_000);
    await markLateRuns(res);
    expect(await run(noWorker!.id)).toMatchObject({ stateName: "Late" });
    expect((await run(noWorker!.id)).stateMessage).toMatch(/no worker is online in work pool "late-pool"/);

    const { pool: gpuPool, defaultQueue: q } = await seedPool(db, "gpu-late-pool");
    await registerWorker({ db, workspaceId: WS, workPoolId: gpuPool.id, name: "cpu-only", capabilities: { cores: 2 } });
    const [needsGpu] = await seedRuns(db, { flowId: flow.id, workPoolId: gpuPool.id, workQueueId: q.id, requirements: { gpu: true }, scheduledTime: aMinuteAgo() });
    await markLateRuns(res);
    expect((await run(needsGpu!.id)).stateMessage).toMatch(/no online worker in pool "gpu-late-pool" has what it requires \(\{"gpu":true\}\); online: cpu-only/);

    const { pool: pausedPool, defaultQueue: pq } = await seedPool(db, "paused-late-pool", { paused: true });
    const [paused] = await seedRuns(db, { flowId: flow.id, workPoolId: pausedPool.id, workQueueId: pq.id, scheduledTime: aMinuteAgo() });
    await markLateRuns(res);
    expect((await run(paused!.id)).stateMessage).toMatch(/work pool "paused-late-pool" is paused/);
  });

  it("lazarus: reschedules a run stuck in Pending up to the limit, then fails it with the reason", async () => {
    const db = t.database.db;
    const flow = await seedFlow(db, "stuck");
    const { pool, defaultQueue } = await seedPool(db, "stuck-pool");
    const [seeded] = await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id });
    const w = await registerWorker({ db, workspaceId: WS, workPoolId: pool.id, name: "stuck-worker", capabilities: {} });
    for (let i = 1; i <= 3; i++) {
      const got = await claimFlowRuns({ db, workspaceId: WS, workPoolId: pool.id, workerId: w.id, max: 1, capabilities: {}, actor: "test", workerTimeoutMs: 60_000 });
      expect(got).toHaveLength(1);
      // A clock from the claim on (the claim stamps the run with the database's time).
      const res = drivenResources(db, { workerTimeoutMs: 3_600_000, lazarusLimit: 2 });
      res.clock.advance(res.settings.pendingTimeoutMs - 1_000);
      await reviveStuckRuns(res); // (it also revives other tests' stuck runs in this database)
      expect((await run(seeded!.id)).stateType).toBe("PENDING");
      res.clock.advance(2_000);
      await reviveStuckRuns(res);
      const after = await run(seeded!.id);
      expect(after.stateType).toBe(i < 3 ? "SCHEDULED" : "FAILED");
      if (i < 3) {
        expect(after.scheduledTime).toEqual(res.clock.now()); // due at once, on the services' clock
        // The claim compares with the database's clock, which the test clock has run ahead of:
        // make the run due by that one too.
        await db.update(flowRuns).set({ scheduledTime: sql`now()` }).where(eq(flowRuns.id, seeded!.id));
      }
    }
    const final = await run(seeded!.id);
    expect(final.stateType).toBe("FAILED");
    expect(final.stateMessage).toMatch(/stuck in Pending .* on worker "stuck-worker"; gave up after 2 reschedules/);
    expect(final.lazarusCount).toBe(2);
  });

  it("lazarus: a run Late for too long is rescheduled, then failed naming why it never started", async () => {
    const db = t.database.db;
    const flow = await seedFlow(db, "forever-late");
    const { pool, defaultQueue } = await seedPool(db, "nobody-pool");
    const [seeded] = await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id, scheduledTime: new Date(Date.now() - 60_000) });
    const res = drivenResources(db, { lazarusLimit: 1 });
    const { lateAfterMs, lateRescheduleAfterMs } = res.settings;
    await markLateRuns(res);
    expect(await run(seeded!.id)).toMatchObject({ stateName: "Late" });
    res.clock.advance(lateRescheduleAfterMs - 1_000);
    await reviveStuckRuns(res);
    expect(await run(seeded!.id)).toMatchObject({ stateName: "Late", lazarusCount: 0 });
    res.clock.advance(2_000);
    await reviveStuckRuns(res);
    expect(await run(seeded!.id)).toMatchObject({ stateType: "SCHEDULED", stateName: "Scheduled", lazarusCount: 1 });
    // Rescheduled for now: Late again only after lateAfter.
    res.clock.advance(lateAfterMs - 1_000);
    await markLateRuns(res);
    expect(await run(seeded!.id)).toMatchObject({ stateName: "Scheduled" });
    res.clock.advance(2_000);
    await markLateRuns(res);
    expect(await run(seeded!.id)).toMatchObject({ stateName: "Late" });
    // (Its Late stamp is the database's time, which this clock has run well ahead of, so it is
    // judged stuck at once; the wait before a reschedule was shown above.)
    await reviveStuckRuns(res);
    const final = await run(seeded!.id);
    expect(final.stateType).toBe("FAILED");
    expect(final.stateMessage).toMatch(/no worker is online in work pool "nobody-pool".*gave up after 1 reschedules/);
  });

  it("retries: a failure with retries left waits delay × backoff^(n−1) ± jitter, then fails for good", async () => {
    expect(retryDelayMs({ runCount: 1, maxRetries: 3, retryDelaySeconds: 2, retryBackoff: 3, retryJitter: 0 })).toBe(2000);
    expect(retryDelayMs({ runCount: 3, maxRetries: 3, retryDelaySeconds: 2, retryBackoff: 3, retryJitter: 0 })).toBe(18000);
    expect(retryDelayMs({ runCount: 1, maxRetries: 3, retryDelaySeconds: 10, retryBackoff: 1, retryJitter: 0.5 }, () => 0)).toBe(5000);
    expect(retryDelayMs({ runCount: 1, maxRetries: 3, retryDelaySeconds: 10, retryBackoff: 1, retryJitter: 0.5 }, () => 1)).toBe(15000);

    const { run: r } = await claimedRun("flaky", { maxRetries: 1 });
    await t.database.db.update(flowRuns).set({ retryDelaySeconds: 30 }).where(eq(flowRuns.id, r.id));
    const before = Date.now();
    const retried = await failFlowRun({ db: t.database.db, workspaceId: WS, runId: r.id, type: "FAILED", message: "boom", actor: "test", leaseToken: r.leaseToken! });
    expect(retried).toMatchObject({ stateType: "SCHEDULED", stateName: "AwaitingRetry" });
    expect(retried.stateMessage).toMatch(/retry 1 of 1 in 30\.0 s after: boom/);
    expect(retried.scheduledTime.getTime()).toBeGreaterThanOrEqual(before + 29_000);
    // The next attempt is "Retrying"; when it fails too, no retries are left.
    await t.database.db.update(flowRuns).set({ scheduledTime: new Date(Date.now() - 1000) }).where(eq(flowRuns.id, r.id));
    const [again] = await claimFlowRuns({ db: t.database.db, workspaceId: WS, workPoolId: r.workPoolId!, workerId: r.workerId!, max: 1, capabilities: {}, actor: "test", start: true, workerTimeoutMs: 60_000 });
    expect(again).toMatchObject({ stateName: "Retrying", runCount: 2 });
    const failed = await failFlowRun({ db: t.database.db, workspaceId: WS, runId: r.id, type: "FAILED", message: "boom again", actor: "test", leaseToken: again!.leaseToken! });
    expect(failed).toMatchObject({ stateType: "FAILED", stateMessage: "boom again" });
  });

  it("retention deletes only logs older than the retention period", async () => {
    const db = t.database.db;
    await db.insert(logs).values([
      { workspaceId: WS, level: 20, message: "old", timestamp: new Date(Date.now() - 40 * 86_400_000) },
      { workspaceId: WS, level: 20, message: "new", timestamp: new Date() },
    ]);
    expect(await pruneOldLogs(drivenResources(db, { logRetentionMs: 30 * 86_400_000 }))).toBe(1);
    expect((await db.select().from(logs)).map((l) => l.message)).toContain("new");
  });

  it("a service's illegal transition is logged as an error naming the run and the transition; a lost race stays quiet", async () => {
    const db = t.database.db;
    const { run: r } = await claimedRun("illegal");
    const done = await setRunState({ db, workspaceId: WS, kind: "flow", runId: r.id, to: { type: "COMPLETED" }, actor: "test", leaseToken: r.leaseToken! });
    const res = drivenResources(db);
    const attempt = { service: "test service", runId: r.id, transition: "Completed → Pending" };
    // From the very state it read (its version): COMPLETED → PENDING is refused as illegal.
    const illegal = () => setRunState({ db, workspaceId: WS, kind: "flow", runId: r.id, to: { type: "PENDING" }, actor: "test", expectedVersion: done.stateVersion });
    expect(await unlessRaced(res, attempt, illegal)).toBeUndefined();
    expect(res.errors).toEqual([expect.stringMatching(new RegExp(`^test service: illegal transition refused for flow run ${r.id} \\(Completed → Pending\\): .+`))]);
    // From a version that moved on: a race, nothing to log.
    const stale = () => setRunState({ db, workspaceId: WS, kind: "flow", runId: r.id, to: { type: "PENDING" }, actor: "test", expectedVersion: done.stateVersion - 1 });
    expect(await unlessRaced(res, attempt, stale)).toBeUndefined();
    expect(res.errors).toHaveLength(1);
    // Anything else is not the service's to swallow.
    await expect(unlessRaced(res, attempt, () => Promise.reject(new Error("database gone")))).rejects.toThrow("database gone");
    expect((await run(r.id)).stateType).toBe("COMPLETED");
  });

  it("a state change through setRunState still works after services touched the run (sanity)", async () => {
    const { run: r } = await claimedRun("sanity");
    const done = await setRunState({ db: t.database.db, workspaceId: WS, kind: "flow", runId: r.id, to: { type: "COMPLETED" }, actor: "test", leaseToken: r.leaseToken! });
    expect(done.stateType).toBe("COMPLETED");
  });
});
