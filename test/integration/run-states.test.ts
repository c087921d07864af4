import { asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { stateHistory } from "../../drizzle/schema";
import { claimFlowRuns } from "../../server/engine/claim";
import { setRunState } from "../../server/engine/transitions";
import { AppError } from "../../server/errors";
import { useTestDatabase } from "../helpers/db";
import { WS, seedFlow, seedPool, seedRuns, seedWorker } from "../helpers/seed";

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => new Error("expected a failure"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe("setRunState", () => {
  const t = useTestDatabase();

  async function oneRun(name: string) {
    const db = t.database.db;
    const flow = await seedFlow(db, name);
    const { pool, defaultQueue } = await seedPool(db, `${name}-pool`);
    const [run] = await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id });
    return { run: run!, pool };
  }
  type Extra = Partial<Pick<Parameters<typeof setRunState>[0], "expectedVersion" | "leaseToken" | "scheduledTime">>;
  const set = (runId: string, to: Parameters<typeof setRunState>[0]["to"], extra: Extra = {}) =>
    setRunState({ db: t.database.db, workspaceId: WS, kind: "flow", runId, to, actor: "test", ...extra });

  it("walks a run through its life and records every step in history", async () => {
    const { run } = await oneRun("life");
    const pending = await set(run.id, { type: "PENDING" });
    expect(pending).toMatchObject({ stateType: "PENDING", stateName: "Pending", stateVersion: 1 });
    const running = await set(run.id, { type: "RUNNING" });
    expect(running.runCount).toBe(1);
    expect(running.startTime).toBeInstanceOf(Date);
    const done = await set(run.id, { type: "COMPLETED", message: "all good" });
    expect(done.endTime).toBeInstanceOf(Date);
    const history = await t.database.db
      .select()
      .from(stateHistory)
      .where(eq(stateHistory.flowRunId, run.id))
      .orderBy(asc(stateHistory.id));
    expect(history.map((h) => `${h.fromName}->${h.toName}`)).toEqual([
      "Scheduled->Pending",
      "Pending->Running",
      "Running->Completed",
    ]);
    expect(history[2]).toMatchObject({ message: "all good", actor: "test" });
  });

  it("refuses an illegal transition and says why, changing nothing", async () => {
    const { run } = await oneRun("illegal");
    await set(run.id, { type: "RUNNING" });
    await set(run.id, { type: "COMPLETED" });
    const err = await failure(set(run.id, { type: "RUNNING" }));
    expect(err.code).toBe("PRECONDITION_FAILED");
    expect(err.message).toMatch(/already Completed \(COMPLETED\), a final state/);
    const err2 = await failure(set(run.id, { type: "COMPLETED" }));
    expect(err2.code).toBe("PRECONDITION_FAILED");
    const history = await t.database.db.select().from(stateHistory).where(eq(stateHistory.flowRunId, run.id));
    expect(history).toHaveLength(2);
  });

  it("renames within a type (Scheduled → Late) but refuses a name of another type", async () => {
    const { run } = await oneRun("rename");
    expect((await set(run.id, { type: "SCHEDULED", name: "Late", message: "no worker" })).stateName).toBe("Late");
    const err = await failure(set(run.id, { type: "RUNNING", name: "Late" }));
    expect(err.code).toBe("BAD_REQUEST");
  });

  it("applies optimistic concurrency: a stale version is a CONFLICT", async () => {
    const { run } = await oneRun("version");
    await set(run.id, { type: "PENDING" }, { expectedVersion: 0 });
    const err = await failure(set(run.id, { type: "RUNNING" }, { expectedVersion: 0 }));
    expect(err.code).toBe("CONFLICT");
  });

  it("refuses a stale lease token and tells the worker to stop", async () => {
    const db = t.database.db;
    const { run, pool } = await oneRun("lease");
    const w1 = await seedWorker(db, pool.id, "w1");
    const w2 = await seedWorker(db, pool.id, "w2");
    const [claimed] = await claimFlowRuns({ db, workspaceId: WS, workPoolId: pool.id, workerId: w1.id, max: 1, capabilities: {}, actor: "worker:w1", workerTimeoutMs: 60_000 });
    const oldToken = claimed!.leaseToken!;
    await set(run.id, { type: "RUNNING" }, { leaseToken: oldToken });
    // The worker goes silent; the run is crashed and put back for another worker.
    await set(run.id, { type: "CRASHED", message: "worker w1 stopped heartbeating" });
    await set(run.id, { type: "SCHEDULED", name: "AwaitingRetry" });
    const [again] = await claimFlowRuns({ db, workspaceId: WS, workPoolId: pool.id, workerId: w2.id, max: 1, capabilities: {}, actor: "worker:w2", workerTimeoutMs: 60_000 });
    expect(again!.leaseToken).not.toBe(oldToken);

    const err = await failure(set(run.id, { type: "COMPLETED" }, { leaseToken: oldToken }));
    expect(err.code).toBe("CONFLICT");
    expect(err.reason).toBe("LEASE_LOST");
    expect(err.message).toMatch(/claimed again by another worker/);
    // The rightful worker still can.
    await set(run.id, { type: "RUNNING" }, { leaseToken: again!.leaseToken! });
    expect((await set(run.id, { type: "COMPLETED" }, { leaseToken: again!.leaseToken! })).stateType).toBe("COMPLETED");
  });

  it("an unknown run is NOT_FOUND", async () => {
    const err = await failure(set("00000000-0000-4000-8000-00000000dead", { type: "RUNNING" }));
    expect(err.code).toBe("NOT_FOUND");
  });
});
