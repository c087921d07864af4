import { and, asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { deploymentSchedules, flowRuns } from "../../drizzle/schema";
import { createDeployment, updateDeployment } from "../../server/domain/deployments";
import { scheduleRuns } from "../../server/services/scheduler";
import { useTestDatabase } from "../helpers/db";
import { WS, seedPool } from "../helpers/seed";
import { serviceContext } from "../helpers/services";

describe("scheduler", () => {
  const t = useTestDatabase();
  const runsOf = async (deploymentId: string) =>
    t.database.db.select().from(flowRuns).where(eq(flowRuns.deploymentId, deploymentId)).orderBy(asc(flowRuns.scheduledTime));
  const exactly = (n: number) => ({ schedulerMinRuns: n, schedulerMaxRuns: n, schedulerHorizonMs: 30 * 86_400_000 });

  it("follows a cron schedule in its timezone across the spring and autumn DST changes", async () => {
    const db = t.database.db;
    await seedPool(db, "dst-pool");
    const ny = await createDeployment({ db, workspaceId: WS, flow: "nightly", name: "new-york", workPool: "dst-pool", schedules: [{ cron: "30 2 * * *", timezone: "America/New_York" }] });
    await scheduleRuns(serviceContext(db, exactly(4)), new Date("2026-03-06T12:00:00Z"));
    // 02:30 does not exist on 8 March (clocks jump 02:00 → 03:00): it runs once, at 03:00 EDT.
    expect((await runsOf(ny.id)).map((r) => r.scheduledTime.toISOString())).toEqual([
      "2026-03-07T07:30:00.000Z",
      "2026-03-08T07:00:00.000Z",
      "2026-03-09T06:30:00.000Z",
      "2026-03-10T06:30:00.000Z",
    ]);
    const autumn = await createDeployment({ db, workspaceId: WS, flow: "nightly", name: "autumn", workPool: "dst-pool", schedules: [{ cron: "30 1 * * *", timezone: "America/New_York" }] });
    await scheduleRuns(serviceContext(db, exactly(3)), new Date("2026-10-31T12:00:00Z"));
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
    const d = await createDeployment({ db, workspaceId: WS, flow: "greetings", name: "morning", schedules: [{ cron: "0 8 * * *", timezone: "Asia/Phnom_Penh" }] });
    await scheduleRuns(serviceContext(db, exactly(2)), new Date("2026-11-24T12:00:00Z"));
    expect((await runsOf(d.id)).map((r) => r.scheduledTime.toISOString())).toEqual(["2026-11-25T01:00:00.000Z", "2026-11-26T01:00:00.000Z"]);
  });

  it("never makes a run twice: restarts and two schedulers at once", async () => {
    const db = t.database.db;
    const d = await createDeployment({ db, workspaceId: WS, flow: "hourly", name: "every-hour", schedules: [{ intervalSeconds: 3600, anchorDate: new Date("2026-01-01T00:00:00Z") }] });
    const now = new Date("2026-11-24T10:15:00Z");
    await Promise.all([scheduleRuns(serviceContext(db, exactly(5)), now), scheduleRuns(serviceContext(db, exactly(5)), now)]);
    await scheduleRuns(serviceContext(db, exactly(5)), now); // a restart
    const runs = await runsOf(d.id);
    expect(runs.map((r) => r.scheduledTime.toISOString())).toEqual([
      "2026-11-24T11:00:00.000Z",
      "2026-11-24T12:00:00.000Z",
      "2026-11-24T13:00:00.000Z",
      "2026-11-24T14:00:00.000Z",
      "2026-11-24T15:00:00.000Z",
    ]);
  });

  it("pausing a deployment withdraws its future runs and makes no new ones", async () => {
    const db = t.database.db;
    const d = await createDeployment({ db, workspaceId: WS, flow: "pausable", name: "daily", schedules: [{ cron: "0 9 * * *", timezone: "Europe/Paris" }] });
    await scheduleRuns(serviceContext(db, exactly(3)));
    expect(await runsOf(d.id)).toHaveLength(3);
    await updateDeployment({ db, workspaceId: WS, ref: d.id, patch: { paused: true } });
    await scheduleRuns(serviceContext(db, exactly(3)));
    expect(await runsOf(d.id)).toHaveLength(0);
  });

  it("runs missed while the server was down: skipped, or run once to catch up", async () => {
    const db = t.database.db;
    const now = new Date("2026-11-24T12:00:00Z");
    const skip = await createDeployment({ db, workspaceId: WS, flow: "missed", name: "skip", schedules: [{ cron: "0 * * * *", timezone: "UTC", catchup: "skip" }] });
    const once = await createDeployment({ db, workspaceId: WS, flow: "missed", name: "once", schedules: [{ cron: "0 * * * *", timezone: "UTC", catchup: "once" }] });
    // Both were last materialised three days ago; the server was down since.
    for (const d of [skip, once]) {
      await db.update(deploymentSchedules).set({ materialisedUntil: new Date("2026-11-21T12:00:00Z") }).where(eq(deploymentSchedules.deploymentId, d.id));
    }
    await scheduleRuns(serviceContext(db, exactly(2)), now);
    expect((await runsOf(skip.id)).map((r) => r.scheduledTime.toISOString())).toEqual(["2026-11-24T13:00:00.000Z", "2026-11-24T14:00:00.000Z"]);
    const onceRuns = await runsOf(once.id);
    expect(onceRuns.map((r) => r.scheduledTime.toISOString())).toEqual([now.toISOString(), "2026-11-24T13:00:00.000Z", "2026-11-24T14:00:00.000Z"]);
    expect(onceRuns[0]!.idempotencyKey).toMatch(/:catch-up$/);
    // A second pass does not catch up again.
    await scheduleRuns(serviceContext(db, exactly(2)), new Date(now.getTime() + 60_000));
    expect(await db.$count(flowRuns, and(eq(flowRuns.deploymentId, once.id)))).toBe(3);
  });
});
