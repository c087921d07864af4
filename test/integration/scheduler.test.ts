import { and, asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { deploymentSchedules, deployments, flowRuns, stateHistory } from "../../drizzle/schema";
import { createCaller } from "../../server/api/root";
import { createContext } from "../../server/api/trpc";
import { createDeployment, updateDeployment } from "../../server/domain/deployments";
import { deleteWorkPool } from "../../server/domain/work-pools";
import { setRunState } from "../../server/engine/transitions";
import { scheduleRuns } from "../../server/services/scheduler";
import { useTestDatabase } from "../helpers/db";
import { WS, seedPool } from "../helpers/seed";
import { drivenResources } from "../helpers/services";

describe("scheduler", () => {
  const t = useTestDatabase();
  const runsOf = async (deploymentId: string) =>
    t.database.db.select().from(flowRuns).where(eq(flowRuns.deploymentId, deploymentId)).orderBy(asc(flowRuns.scheduledTime));
  const exactly = (n: number) => ({ schedulerMinRuns: n, schedulerMaxRuns: n, schedulerHorizonMs: 30 * 86_400_000 });

  it("follows a cron schedule in its timezone across the spring and autumn DST changes", async () => {
    const db = t.database.db;
    await seedPool(db, "dst-pool");
    const ny = await createDeployment({ db, workspaceId: WS, flow: "nightly", name: "new-york", workPool: "dst-pool", schedules: [{ cron: "30 2 * * *", timezone: "America/New_York" }] });
    await scheduleRuns(drivenResources(db, exactly(4), new Date("2026-03-06T12:00:00Z")));
    // 02:30 does not exist on 8 March (clocks jump 02:00 → 03:00): it runs once, at 03:00 EDT.
    expect((await runsOf(ny.id)).map((r) => r.scheduledTime.toISOString())).toEqual([
      "2026-03-07T07:30:00.000Z",
      "2026-03-08T07:00:00.000Z",
      "2026-03-09T06:30:00.000Z",
      "2026-03-10T06:30:00.000Z",
    ]);
    const autumn = await createDeployment({ db, workspaceId: WS, flow: "nightly", name: "autumn", workPool: "dst-pool", schedules: [{ cron: "30 1 * * *", timezone: "America/New_York" }] });
    await scheduleRuns(drivenResources(db, exactly(3), new Date("2026-10-31T12:00:00Z")));
    // 01:30 happens twice on 1 November (clocks fall back 02:00 → 01:00): it runs once.
    expect((await runsOf(autumn.id)).map((r) => r.scheduledTime.toISOString())).toEqual([
      "2026-11-01T05:30:00.000Z",
      "2026-11-02T06:30:00.000Z",
      "2026-11-03T06:30:00.000Z",
    ]);
    const [run] = await runsOf(ny.id);
    expect(run).toMatchObject({ stateType: "SCHEDULED", autoScheduled: true, createdBy: "scheduler" });
    expect(run!.tags).toContain("auto-scheduled");
    expect(run!.workQueueId).not.toBeNull();
  });

  it("the seeds' greeting: every day at 08:00 in Asia/Phnom_Penh is 01:00 UTC", async () => {
    const db = t.database.db;
    await seedPool(db, "greetings-pool");
    const d = await createDeployment({ db, workspaceId: WS, flow: "greetings", name: "morning", workPool: "greetings-pool", schedules: [{ cron: "0 8 * * *", timezone: "Asia/Phnom_Penh" }] });
    await scheduleRuns(drivenResources(db, exactly(2), new Date("2026-11-24T12:00:00Z")));
    expect((await runsOf(d.id)).map((r) => r.scheduledTime.toISOString())).toEqual(["2026-11-25T01:00:00.000Z", "2026-11-26T01:00:00.000Z"]);
  });

  it("never makes a run twice: restarts and two schedulers at once", async () => {
    const db = t.database.db;
    await seedPool(db, "hourly-pool");
    const d = await createDeployment({ db, workspaceId: WS, flow: "hourly", name: "every-hour", workPool: "hourly-pool", schedules: [{ intervalSeconds: 3600, anchorDate: new Date("2026-01-01T00:00:00Z") }] });
    const now = new Date("2026-11-24T10:15:00Z");
    await Promise.all([scheduleRuns(drivenResources(db, exactly(5), now)), scheduleRuns(drivenResources(db, exactly(5), now))]);
    await scheduleRuns(drivenResources(db, exactly(5), now)); // a restart
    const runs = await runsOf(d.id);
    expect(runs.map((r) => r.scheduledTime.toISOString())).toEqual([
      "2026-11-24T11:00:00.000Z",
      "2026-11-24T12:00:00.000Z",
      "2026-11-24T13:00:00.000Z",
      "2026-11-24T14:00:00.000Z",
      "2026-11-24T15:00:00.000Z",
    ]);
  });

  it("as its clock moves on, keeps the same number of runs ahead, adding only the next one", async () => {
    const db = t.database.db;
    await seedPool(db, "moving-pool");
    const d = await createDeployment({ db, workspaceId: WS, flow: "moving", name: "hourly", workPool: "moving-pool", schedules: [{ intervalSeconds: 3600, anchorDate: new Date("2026-01-01T00:00:00Z") }] });
    const res = drivenResources(db, exactly(3), new Date("2026-11-24T10:15:00Z"));
    const times = async () => (await runsOf(d.id)).map((r) => r.scheduledTime.toISOString().slice(11, 16));
    await scheduleRuns(res); // (its counts include the other tests' deployments: look at this one's runs)
    expect(await times()).toEqual(["11:00", "12:00", "13:00"]);
    res.clock.advance(30 * 60_000); // 10:45: the same three are still ahead
    await scheduleRuns(res);
    expect(await times()).toEqual(["11:00", "12:00", "13:00"]);
    res.clock.advance(30 * 60_000); // 11:15: the 11:00 run is due, so one more at the end
    await scheduleRuns(res);
    expect((await runsOf(d.id)).map((r) => r.scheduledTime.toISOString())).toEqual([
      "2026-11-24T11:00:00.000Z",
      "2026-11-24T12:00:00.000Z",
      "2026-11-24T13:00:00.000Z",
      "2026-11-24T14:00:00.000Z",
    ]);
  });

  it("pausing a deployment withdraws its future runs and makes no new ones", async () => {
    const db = t.database.db;
    await seedPool(db, "pausable-pool");
    const d = await createDeployment({ db, workspaceId: WS, flow: "pausable", name: "daily", workPool: "pausable-pool", schedules: [{ cron: "0 9 * * *", timezone: "Europe/Paris" }] });
    await scheduleRuns(drivenResources(db, exactly(3)));
    expect(await runsOf(d.id)).toHaveLength(3);
    await updateDeployment({ db, workspaceId: WS, ref: d.id, patch: { paused: true } });
    await scheduleRuns(drivenResources(db, exactly(3)));
    expect(await runsOf(d.id)).toHaveLength(0);
  });

  it("resuming a paused deployment schedules from now again: the withdrawn runs come back, and nothing is caught up", async () => {
    const db = t.database.db;
    await seedPool(db, "resumable-pool");
    const d = await createDeployment({ db, workspaceId: WS, flow: "resumable", name: "hourly", workPool: "resumable-pool", schedules: [{ cron: "0 * * * *", timezone: "UTC", catchup: "once" }] });
    const now = new Date("2026-11-24T10:15:00Z");
    await scheduleRuns(drivenResources(db, exactly(5), now));
    const before = (await runsOf(d.id)).map((r) => r.scheduledTime.toISOString());
    expect(before).toEqual(["11", "12", "13", "14", "15"].map((h) => `2026-11-24T${h}:00:00.000Z`));
    await updateDeployment({ db, workspaceId: WS, ref: d.id, patch: { paused: true } });
    await scheduleRuns(drivenResources(db, exactly(5), now));
    expect(await runsOf(d.id)).toHaveLength(0);
    await updateDeployment({ db, workspaceId: WS, ref: d.id, patch: { paused: false } });
    // Resumed 20 minutes later: the next five hours, from now, as if it had never been paused.
    await scheduleRuns(drivenResources(db, exactly(5), new Date("2026-11-24T10:35:00Z")));
    expect((await runsOf(d.id)).map((r) => r.scheduledTime.toISOString())).toEqual(before);
  });

  it("runs missed while the server was down: skipped, or run once to catch up", async () => {
    const db = t.database.db;
    const now = new Date("2026-11-24T12:00:00Z");
    await seedPool(db, "missed-pool");
    const skip = await createDeployment({ db, workspaceId: WS, flow: "missed", name: "skip", workPool: "missed-pool", schedules: [{ cron: "0 * * * *", timezone: "UTC", catchup: "skip" }] });
    const once = await createDeployment({ db, workspaceId: WS, flow: "missed", name: "once", workPool: "missed-pool", schedules: [{ cron: "0 * * * *", timezone: "UTC", catchup: "once" }] });
    // Both were last materialised three days ago; the server was down since.
    for (const d of [skip, once]) {
      await db.update(deploymentSchedules).set({ materialisedUntil: new Date("2026-11-21T12:00:00Z") }).where(eq(deploymentSchedules.deploymentId, d.id));
    }
    const res = drivenResources(db, exactly(2), now);
    await scheduleRuns(res);
    expect((await runsOf(skip.id)).map((r) => r.scheduledTime.toISOString())).toEqual(["2026-11-24T13:00:00.000Z", "2026-11-24T14:00:00.000Z"]);
    const onceRuns = await runsOf(once.id);
    expect(onceRuns.map((r) => r.scheduledTime.toISOString())).toEqual([now.toISOString(), "2026-11-24T13:00:00.000Z", "2026-11-24T14:00:00.000Z"]);
    expect(onceRuns[0]!.idempotencyKey).toMatch(/:catch-up$/);
    // A second pass does not catch up again.
    res.clock.advance(60_000);
    await scheduleRuns(res);
    expect(await db.$count(flowRuns, and(eq(flowRuns.deploymentId, once.id)))).toBe(3);
  });

  describe("one way from a deployment to a run", () => {
    const caller = () => createCaller(createContext({ db: t.database.db, headers: new Headers() }));
    const deploymentRow = async (id: string) => (await t.database.db.select().from(deployments).where(eq(deployments.id, id)))[0]!;
    const schema = { type: "object", properties: { count: { type: "integer" }, name: { type: "string" } }, required: ["name"] };
    const policy = { maxRetries: 3, retryDelaySeconds: 5, retryBackoff: 2, retryJitter: 0.5, timeoutSeconds: 60, requirements: { gpu: true } };

    it("deployments.run and the scheduler make the same run from the same deployment", async () => {
      const db = t.database.db;
      await seedPool(db, "same-pool");
      const d = await caller().deployments.create({
        flow: "same",
        name: "twins",
        workPool: "same-pool",
        parameters: { count: 2, name: "both" },
        parameterSchema: schema,
        policy,
        tags: ["nightly"],
        schedules: [{ cron: "0 3 * * *", timezone: "UTC" }],
      });
      const manual = await caller().deployments.run({ deployment: d.id });
      await scheduleRuns(drivenResources(db, exactly(1)));
      const [byHand, bySchedule] = await Promise.all([
        db.select().from(flowRuns).where(eq(flowRuns.id, manual.id)),
        db.select().from(flowRuns).where(and(eq(flowRuns.deploymentId, d.id), eq(flowRuns.autoScheduled, true))),
      ]);
      expect(bySchedule).toHaveLength(1);
      const made = (r: typeof flowRuns.$inferSelect) => ({
        flowId: r.flowId,
        deploymentId: r.deploymentId,
        workPoolId: r.workPoolId,
        workQueueId: r.workQueueId,
        parameters: r.parameters,
        maxRetries: r.maxRetries,
        retryDelaySeconds: r.retryDelaySeconds,
        retryBackoff: r.retryBackoff,
        retryJitter: r.retryJitter,
        timeoutSeconds: r.timeoutSeconds,
        requirements: r.requirements,
        tags: r.tags.filter((tag) => tag !== "auto-scheduled"),
      });
      expect(made(bySchedule[0]!)).toEqual(made(byHand[0]!));
      expect(made(byHand[0]!)).toMatchObject({
        parameters: { count: 2, name: "both" },
        maxRetries: 3,
        retryDelaySeconds: 5,
        retryBackoff: 2,
        retryJitter: 0.5,
        timeoutSeconds: 60,
        requirements: { gpu: true },
        tags: ["nightly"],
      });
      expect(byHand[0]!.workQueueId).not.toBeNull();
    });

    it("a tick with default parameters the schema refuses records why on the deployment, makes nothing, and clears it once fixed", async () => {
      const db = t.database.db;
      await seedPool(db, "bad-defaults-pool");
      // Defaults may leave out what each run supplies; a scheduled run has no one to supply it.
      const d = await caller().deployments.create({
        flow: "bad-defaults",
        name: "hourly",
        workPool: "bad-defaults-pool",
        parameters: { count: 1 },
        parameterSchema: schema,
        schedules: [{ intervalSeconds: 3600 }],
      });
      const ctx = drivenResources(db, exactly(3));
      await scheduleRuns(ctx);
      expect(await runsOf(d.id)).toHaveLength(0);
      const shown = await caller().deployments.get({ deployment: d.id });
      expect(shown.scheduleError).toMatch(/parameters.*name/);
      expect(shown.scheduleErrorAt).not.toBeNull();
      expect(ctx.logs.filter((l) => l.includes("bad-defaults") || l.includes(d.id))).toEqual([expect.stringMatching(/made no run of deployment hourly.*name/)]);

      // The next tick neither logs nor rewrites the same reason.
      await scheduleRuns(ctx);
      expect(ctx.logs.filter((l) => l.includes(d.id))).toHaveLength(1);
      expect((await deploymentRow(d.id)).scheduleErrorAt!.toISOString()).toBe(shown.scheduleErrorAt);
      expect(await runsOf(d.id)).toHaveLength(0);

      await caller().deployments.update({ deployment: d.id, parameters: { count: 1, name: "fixed" } });
      await scheduleRuns(ctx);
      expect((await runsOf(d.id)).map((r) => r.parameters)).toEqual(Array(3).fill({ count: 1, name: "fixed" }));
      expect(await caller().deployments.get({ deployment: d.id })).toMatchObject({ scheduleError: null, scheduleErrorAt: null });
    });

    it("a deployment whose pool was deleted gets a visible reason instead of runs no worker would take", async () => {
      const db = t.database.db;
      await seedPool(db, "doomed-pool");
      const d = await createDeployment({ db, workspaceId: WS, flow: "orphaned", name: "daily", workPool: "doomed-pool", schedules: [{ cron: "0 6 * * *", timezone: "UTC" }] });
      await deleteWorkPool({ db, workspaceId: WS, ref: "doomed-pool" });
      await scheduleRuns(drivenResources(db, exactly(2)));
      expect(await runsOf(d.id)).toHaveLength(0);
      const shown = await caller().deployments.get({ deployment: d.id });
      expect(shown.workPoolId).toBeNull();
      expect(shown.scheduleError).toMatch(/no work pool \(none was set, or it was deleted\)/);
      // deployments.run by hand still makes the run (the CLI warns that no worker will take it).
      expect((await caller().deployments.run({ deployment: d.id })).workPoolId).toBeNull();
    });

    it("deleting a deployment withdraws its runs waiting to start, says how many, and leaves started ones alone", async () => {
      const db = t.database.db;
      await seedPool(db, "withdraw-pool");
      const d = await createDeployment({ db, workspaceId: WS, flow: "withdrawn", name: "every-minute", workPool: "withdraw-pool", schedules: [{ cron: "* * * * *", timezone: "UTC" }] });
      await scheduleRuns(drivenResources(db, exactly(4)));
      expect(await runsOf(d.id)).toHaveLength(4);
      const later = await caller().deployments.run({ deployment: d.id, scheduledTime: "2099-01-01T00:00:00Z" });
      const started = await caller().deployments.run({ deployment: d.id });
      await setRunState({ db, workspaceId: WS, kind: "flow", runId: started.id, to: { type: "PENDING" }, actor: "test" });
      await setRunState({ db, workspaceId: WS, kind: "flow", runId: started.id, to: { type: "RUNNING" }, actor: "test" });
      const waiting = (await runsOf(d.id)).filter((r) => r.stateType === "SCHEDULED").map((r) => r.id);
      expect(waiting).toHaveLength(5);
      expect(waiting).toContain(later.id);

      expect(await caller().deployments.delete({ deployment: d.id })).toEqual({ deleted: true, withdrawnRuns: 5 });
      for (const id of waiting) {
        const [run] = await db.select().from(flowRuns).where(eq(flowRuns.id, id));
        expect(run).toMatchObject({ stateType: "CANCELLED", deploymentId: null, stateMessage: "withdrawn: its deployment withdrawn/every-minute was deleted" });
        const history = await db.select().from(stateHistory).where(eq(stateHistory.flowRunId, id)).orderBy(asc(stateHistory.id));
        expect(history.at(-1)).toMatchObject({ fromType: "SCHEDULED", toType: "CANCELLED", message: expect.stringMatching(/was deleted/) });
      }
      const [still] = await db.select().from(flowRuns).where(eq(flowRuns.id, started.id));
      expect(still).toMatchObject({ stateType: "RUNNING", deploymentId: null });
      // Nothing is scheduled for it again: its schedules went with it.
      await scheduleRuns(drivenResources(db, exactly(4)));
      expect(await db.$count(flowRuns, eq(flowRuns.flowId, still!.flowId))).toBe(6);
    });
  });
});
