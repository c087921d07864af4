/**
 * dashboard.summary: one call for the home page. Runs seeded in exact shapes (states, creation
 * times, workers silent or alive) must come back bucketed by hour and state, totalled, and the
 * late, stuck and failed ones listed with their reasons; each pool with its health.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { flowRuns, workers } from "../../drizzle/schema";
import { STATE_TYPES, type StateType } from "../../server/engine/state-types";
import { expectTrpcError, useTestApi } from "../helpers/api";
import { WS, seedFlow, seedPool, seedWorker } from "../helpers/seed";

const HOUR = 3_600_000;
const MIN = 60_000;

describe("dashboard.summary", () => {
  const api = useTestApi();

  it("on a fresh database: nothing yet, and it says so (hasRuns false, no pools)", async () => {
    const summary = await api.caller().dashboard.summary();
    expect(summary).toMatchObject({ window: "24h", bucketSeconds: 3600, total: 0, hasRuns: false, pools: [], failures: [] });
    expect(summary.buckets).toHaveLength(24);
    expect(summary.late).toEqual({ count: 0, more: false, runs: [] });
    expect(summary.stuck).toEqual({ count: 0, more: false, runs: [] });
    // Whole hours, the last holding now.
    const now = Date.parse(summary.now);
    expect(Date.parse(summary.to) - Date.parse(summary.from)).toBe(24 * HOUR);
    expect(Date.parse(summary.from) % HOUR).toBe(0);
    expect(Date.parse(summary.buckets[23]!.start)).toBeLessThanOrEqual(now);
    expect(Date.parse(summary.to)).toBeGreaterThan(now);
  });

  it("buckets, totals, late and stuck runs with their reasons, failures and pool health", async () => {
    const db = api.db;
    const now = Date.now();
    const at = (msAgo: number) => new Date(now - msAgo);
    const flow = await seedFlow(db, "dash-flow");
    const busy = await seedPool(db, "busy", { concurrencyLimit: 2 });
    const idle = await seedPool(db, "idle");
    const stopped = await seedPool(db, "stopped", { paused: true });
    const alive = await seedWorker(db, busy.pool.id, "w-alive");
    const silent = await seedWorker(db, busy.pool.id, "w-silent");
    await db.update(workers).set({ lastHeartbeatAt: at(10 * MIN) }).where(eq(workers.id, silent.id));

    let n = 0;
    const run = (
      state: StateType,
      pool: { pool: { id: string }; defaultQueue: { id: string } },
      fields: Partial<typeof flowRuns.$inferInsert> = {},
    ): typeof flowRuns.$inferInsert => ({
      workspaceId: WS,
      flowId: flow.id,
      workPoolId: pool.pool.id,
      workQueueId: pool.defaultQueue.id,
      name: `dash-${n++}`,
      stateType: state,
      stateName: state.charAt(0) + state.slice(1).toLowerCase(),
      createdAt: at(30 * MIN),
      scheduledTime: at(30 * MIN),
      stateTimestamp: at(30 * MIN),
      ...fields,
    });
    const inserted = await db
      .insert(flowRuns)
      .values([
        run("COMPLETED", busy, { createdAt: at(3 * HOUR + 10 * MIN) }),
        run("COMPLETED", busy, { createdAt: at(3 * HOUR + 10 * MIN) }),
        run("COMPLETED", busy, { createdAt: at(30 * HOUR) }), // outside 24 h, inside 7 d
        run("FAILED", busy, { name: "dash-old-failure", createdAt: at(30 * HOUR), stateTimestamp: at(29 * HOUR), stateMessage: "old: out of memory" }),
        run("FAILED", busy, { name: "dash-failed", createdAt: at(3 * HOUR + 10 * MIN), stateTimestamp: at(2 * HOUR), stateMessage: "ZeroDivisionError: division by zero" }),
        run("CRASHED", busy, { name: "dash-crashed", stateTimestamp: at(20 * MIN), stateMessage: 'crashed: worker "w-x" stopped heartbeating' }),
        // Late: waiting past their time, in a pool with no worker and in a paused pool.
        run("SCHEDULED", idle, { name: "dash-late-idle", scheduledTime: at(20 * MIN) }),
        run("SCHEDULED", idle, { name: "dash-late-idle-2", scheduledTime: at(10 * MIN), stateName: "Late" }),
        run("SCHEDULED", stopped, { name: "dash-late-paused", scheduledTime: at(5 * MIN) }),
        run("SCHEDULED", idle, { name: "dash-future", scheduledTime: at(-HOUR) }), // not due: neither late nor queued
        // Stuck: on a silent worker; past its timeout; claimed but never started.
        run("RUNNING", busy, { name: "dash-silent", workerId: silent.id, startTime: at(15 * MIN), stateTimestamp: at(15 * MIN) }),
        run("RUNNING", busy, { name: "dash-timeout", workerId: alive.id, startTime: at(10 * MIN), stateTimestamp: at(10 * MIN), timeoutSeconds: 60 }),
        run("PENDING", busy, { name: "dash-pending", workerId: alive.id, stateTimestamp: at(8 * MIN) }),
        // Healthy: running on a live worker within its timeout.
        run("RUNNING", busy, { name: "dash-ok", workerId: alive.id, startTime: at(MIN), stateTimestamp: at(MIN), timeoutSeconds: 3600 }),
      ])
      .returning();
    const idOf = (name: string) => inserted.find((r) => r.name === name)!.id;

    const summary = await api.caller().dashboard.summary({ window: "24h" });
    expect(summary.hasRuns).toBe(true);

    // Buckets: each run in the hour it was created, by its state now.
    const bucketOf = (d: Date) => new Date(Math.floor(d.getTime() / HOUR) * HOUR).toISOString();
    const byStart = new Map(summary.buckets.map((b) => [b.start, b.counts]));
    const threeHours = byStart.get(bucketOf(at(3 * HOUR + 10 * MIN)))!;
    expect(threeHours).toMatchObject({ COMPLETED: 2, FAILED: 1 });
    const recent = byStart.get(bucketOf(at(30 * MIN)))!;
    expect(recent).toMatchObject({ CRASHED: 1, SCHEDULED: 4, RUNNING: 3, PENDING: 1 });
    for (const b of summary.buckets) expect(Object.keys(b.counts).sort()).toEqual([...STATE_TYPES].sort());

    // Totals: the window only (the 30-hour-old runs are not in it).
    expect(summary.totals).toEqual({ SCHEDULED: 4, PENDING: 1, RUNNING: 3, PAUSED: 0, CANCELLING: 0, CANCELLED: 0, COMPLETED: 2, FAILED: 1, CRASHED: 1 });
    expect(summary.total).toBe(12);
    const sevenDays = await api.caller().dashboard.summary({ window: "7d" });
    expect(sevenDays).toMatchObject({ bucketSeconds: 6 * 3600, total: 14 });
    expect(sevenDays.buckets).toHaveLength(28);
    expect(sevenDays.totals).toMatchObject({ COMPLETED: 3, FAILED: 2 });
    const lastHour = await api.caller().dashboard.summary({ window: "1h" });
    expect(lastHour.buckets).toHaveLength(12);
    expect(lastHour.totals).toMatchObject({ COMPLETED: 0, CRASHED: 1, SCHEDULED: 4 });

    // Late: longest-waiting first, each with the engine's reason; the future run is not late.
    expect(summary.late.count).toBe(3);
    expect(summary.late.more).toBe(false);
    expect(summary.late.runs.map((r) => r.name)).toEqual(["dash-late-idle", "dash-late-idle-2", "dash-late-paused"]);
    const [lateIdle, , latePaused] = summary.late.runs;
    expect(lateIdle).toMatchObject({ flowName: "dash-flow", workPoolName: "idle", stateType: "SCHEDULED" });
    expect(lateIdle!.reason).toBe('no worker is online in work pool "idle"; start one with: baton worker start -p idle');
    expect(lateIdle!.lateBySeconds).toBeGreaterThanOrEqual(20 * 60 - 1);
    expect(latePaused!.reason).toBe('work pool "stopped" is paused');
    // flowRuns.explain says the same.
    expect((await api.caller().flowRuns.explain({ id: idOf("dash-late-paused") })).reason).toBe(latePaused!.reason);

    // Stuck: each with what holds it and which service acts on it; the healthy run is not listed.
    expect(summary.stuck.count).toBe(3);
    const stuck = new Map(summary.stuck.runs.map((r) => [r.name, r]));
    expect([...stuck.keys()].sort()).toEqual(["dash-pending", "dash-silent", "dash-timeout"]);
    expect(stuck.get("dash-silent")).toMatchObject({ workerName: "w-silent", stateType: "RUNNING", id: idOf("dash-silent") });
    expect(stuck.get("dash-silent")!.reason).toMatch(/^worker "w-silent" stopped heartbeating: last seen 60\d s ago \(offline after 30 s\); the zombie killer takes it back$/);
    expect(stuck.get("dash-timeout")!.reason).toMatch(/past its timeout of 60 s; the watchdog fails it as TimedOut$/);
    expect(stuck.get("dash-pending")!.reason).toMatch(/^claimed by worker "w-alive" 48\d s ago but not started \(Pending longer than 300 s\); lazarus puts it back/);
    // Oldest in its state first.
    expect(summary.stuck.runs[0]!.name).toBe("dash-silent");

    // Failures: newest first, with their messages, old ones included (not limited to the window).
    expect(summary.failures.map((f) => [f.name, f.stateType, f.message])).toEqual([
      ["dash-crashed", "CRASHED", 'crashed: worker "w-x" stopped heartbeating'],
      ["dash-failed", "FAILED", "ZeroDivisionError: division by zero"],
      ["dash-old-failure", "FAILED", "old: out of memory"],
    ]);
    expect(summary.failures[0]!.id).toBe(idOf("dash-crashed"));

    // Pools, by name: workers online and offline, slots in use against the limit, due runs queued.
    expect(summary.pools.map((p) => p.name)).toEqual(["busy", "idle", "stopped"]);
    const [busyPool, idlePool, stoppedPool] = summary.pools;
    expect(busyPool).toMatchObject({ workersOnline: 1, workersOffline: 1, activeRuns: 4, concurrencyLimit: 2, queuedRuns: 0, health: "full", paused: false });
    expect(busyPool!.lastHeartbeatAt).not.toBeNull();
    expect(idlePool).toMatchObject({ workersOnline: 0, workersOffline: 0, activeRuns: 0, queuedRuns: 2, queuedMore: false, health: "no-workers", lastHeartbeatAt: null });
    expect(stoppedPool).toMatchObject({ paused: true, queuedRuns: 1, health: "paused" });
    expect(summary.morePools).toBe(false);
  });

  it("sees only its own workspace", async () => {
    await api.caller().workspaces.create({ slug: "elsewhere", name: "Elsewhere" });
    const other = await api.caller({ "x-baton-workspace": "elsewhere" }).dashboard.summary();
    expect(other).toMatchObject({ total: 0, hasRuns: false, pools: [], failures: [], late: { count: 0 }, stuck: { count: 0 } });
  });

  it("refuses an unknown window with BAD_REQUEST naming it", async () => {
    const err = await expectTrpcError(api.client().dashboard.summary.query({ window: "30d" as never }), "BAD_REQUEST", /window: must be one of 1h, 24h, 7d/);
    expect(err.field).toBe("window");
  });
});
