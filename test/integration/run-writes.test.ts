/**
 * Writes about a run check its lease, and attach its result, in the statement that writes:
 * task-run states and task-run creation carry the flow run's lease token (the flow run's row is
 * share-locked by that statement, so a reclaim cannot slip between check and write), and a state
 * with a result commits only with a result that exists in the workspace.
 */
import { asc, eq, sql } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { artifacts, flowRuns, logs, results, stateHistory, taskRuns, workspaces } from "../../drizzle/schema";
import { openDatabase, type Database } from "../../server/db/client";
import { createArtifact } from "../../server/domain/artifacts";
import { createFlowRun } from "../../server/domain/flow-runs";
import { createLogs } from "../../server/domain/logs";
import { createResult } from "../../server/domain/results";
import { createTaskRun } from "../../server/domain/task-runs";
import { claimFlowRuns } from "../../server/engine/claim";
import { setRunState } from "../../server/engine/transitions";
import { AppError } from "../../server/errors";
import { useTestDatabase } from "../helpers/db";
import { WS, seedFlow, seedPool, seedRuns, seedWorker } from "../helpers/seed";
import { sleep } from "../helpers/services";

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => new Error("expected a failure"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe("writes about a run check its lease and its result in the writing statement", () => {
  const t = useTestDatabase();
  const isPglite = () => inject("dbMode") === "pglite";

  /** A flow run claimed (RUNNING) by a worker, with its lease token. */
  async function leasedRun(name: string) {
    const db = t.database.db;
    const flow = await seedFlow(db, name);
    const { pool, defaultQueue } = await seedPool(db, `${name}-pool`);
    await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id, namePrefix: name });
    const worker = await seedWorker(db, pool.id, `${name}-w`);
    const [run] = await claimFlowRuns({ db, workspaceId: WS, workPoolId: pool.id, workerId: worker.id, max: 1, capabilities: {}, actor: "worker:w", start: true, workerTimeoutMs: 60_000 });
    return { run: run!, token: run!.leaseToken! };
  }
  const taskOf = (flowRunId: string, taskKey: string, flowRunLeaseToken?: string) =>
    createTaskRun({ db: t.database.db, workspaceId: WS, flowRunId, taskKey, flowRunLeaseToken, actor: "test" });
  const setTask = (runId: string, to: Parameters<typeof setRunState>[0]["to"], extra: { leaseToken?: string; resultId?: string } = {}, db = t.database.db) =>
    setRunState({ db, workspaceId: WS, kind: "task", runId, to, actor: "test", ...extra });
  const historyOf = async (column: "flowRunId" | "taskRunId", id: string) =>
    (await t.database.db.select().from(stateHistory).where(eq(stateHistory[column], id)).orderBy(asc(stateHistory.id))).map((h) => h.toName);
  const row = async <T extends typeof flowRuns | typeof taskRuns>(table: T, id: string) =>
    (await t.database.db.select().from(table as typeof flowRuns).where(eq((table as typeof flowRuns).id, id)))[0]!;

  it("task-run states: the flow run's lease goes with them; a stale one is LEASE_LOST naming the flow run, the task unchanged", async () => {
    const { run, token } = await leasedRun("task-lease");
    const task = await taskOf(run.id, "step", token);
    expect(task).toMatchObject({ stateType: "PENDING", flowRunId: run.id });
    expect((await setTask(task.id, { type: "RUNNING" }, { leaseToken: token })).stateType).toBe("RUNNING");

    const stale = "00000000-0000-4000-8000-00000000beef";
    const err = await failure(setTask(task.id, { type: "COMPLETED" }, { leaseToken: stale }));
    expect(err).toMatchObject({ code: "CONFLICT", reason: "LEASE_LOST", field: "leaseToken" });
    expect(err.message).toMatch(new RegExp(`Lease lost for flow run ${run.id}: its task runs may not be reported`));
    expect(await row(taskRuns, task.id)).toMatchObject({ stateType: "RUNNING", stateVersion: 1 });
    expect(await historyOf("taskRunId", task.id)).toEqual(["Pending", "Running"]);

    // Once the flow run is over (lease cleared), its old holder's token is refused too.
    await setRunState({ db: t.database.db, workspaceId: WS, kind: "flow", runId: run.id, to: { type: "CRASHED" }, actor: "zombie-killer" });
    expect((await failure(setTask(task.id, { type: "COMPLETED" }, { leaseToken: token }))).reason).toBe("LEASE_LOST");
    // A change without a token (not a worker's report) is not a lease check.
    expect((await setTask(task.id, { type: "CRASHED" })).stateType).toBe("CRASHED");
  });

  it("taskRuns.create: a stale lease adds nothing (LEASE_LOST); the holder's retry gets the same task run", async () => {
    const { run, token } = await leasedRun("create-lease");
    const first = await taskOf(run.id, "load", token);
    expect((await taskOf(run.id, "load", token)).id).toBe(first.id);
    expect(await historyOf("taskRunId", first.id)).toEqual(["Pending"]);

    const stale = "00000000-0000-4000-8000-00000000beef";
    for (const key of ["load", "other"]) {
      const err = await failure(taskOf(run.id, key, stale));
      expect(err).toMatchObject({ code: "CONFLICT", reason: "LEASE_LOST", field: "leaseToken" });
      expect(err.message).toMatch(new RegExp(`Lease lost for flow run ${run.id}`));
    }
    const tasks = await t.database.db.select({ key: taskRuns.taskKey }).from(taskRuns).where(eq(taskRuns.flowRunId, run.id));
    expect(tasks.map((x) => x.key)).toEqual(["load"]);
    // Without a token (a member's API call) creation works as before; an unknown run is NOT_FOUND.
    expect((await taskOf(run.id, "by-hand")).stateType).toBe("PENDING");
    expect((await failure(taskOf("00000000-0000-4000-8000-00000000dead", "x", token))).code).toBe("NOT_FOUND");
  });

  it("a reclaim racing a task write: the write waits for it on the flow run's row, then is refused", async () => {
    if (isPglite()) return; // one connection: nothing can interleave
    const { run, token } = await leasedRun("race");
    const task = await taskOf(run.id, "step", token);
    const other: Database = await openDatabase(t.config);
    try {
      let settled: "ok" | AppError | undefined;
      let settledCreate: "ok" | AppError | undefined;
      let write: Promise<void> | undefined;
      let create: Promise<void> | undefined;
      await other.db.transaction(async (tx) => {
        // Another worker's claim (or the zombie killer) changes the lease, not yet committed.
        await tx.update(flowRuns).set({ leaseToken: sql`gen_random_uuid()` }).where(eq(flowRuns.id, run.id));
        write = setTask(task.id, { type: "RUNNING" }, { leaseToken: token }).then(
          () => void (settled = "ok"),
          (e: AppError) => void (settled = e),
        );
        create = taskOf(run.id, "late", token).then(
          () => void (settledCreate = "ok"),
          (e: AppError) => void (settledCreate = e),
        );
        await sleep(400);
        // Neither the state change nor the insert went through on the token it read before.
        expect(settled).toBeUndefined();
        expect(settledCreate).toBeUndefined();
      });
      await write;
      await create;
      expect(settled).toBeInstanceOf(AppError);
      expect((settled as AppError).reason).toBe("LEASE_LOST");
      expect(settledCreate).toBeInstanceOf(AppError);
      expect((settledCreate as AppError).reason).toBe("LEASE_LOST");
      expect(await row(taskRuns, task.id)).toMatchObject({ stateType: "PENDING" });
      expect((await t.database.db.select().from(taskRuns).where(eq(taskRuns.flowRunId, run.id))).map((x) => x.taskKey)).toEqual(["step"]);
    } finally {
      await other.close();
    }
  });

  it("COMPLETED and its result commit together: a missing or foreign result leaves the run as it was", async () => {
    const db = t.database.db;
    const { run, token } = await leasedRun("result");
    const [otherWs] = await db.insert(workspaces).values({ slug: "result-elsewhere", name: "Elsewhere" }).returning();
    const foreign = await createResult({ db, workspaceId: otherWs!.id, value: { not: "yours" } });
    const missing = "00000000-0000-4000-8000-0000000000ee";
    const before = await row(flowRuns, run.id);
    for (const resultId of [missing, foreign.id]) {
      const err = await failure(setRunState({ db, workspaceId: WS, kind: "flow", runId: run.id, to: { type: "COMPLETED" }, actor: "test", leaseToken: token, resultId }));
      expect(err).toMatchObject({ code: "NOT_FOUND", field: "resultId" });
      expect(err.message).toMatch(new RegExp(`Result ${resultId} was not found .* stays Running`));
    }
    const after = await row(flowRuns, run.id);
    expect(after).toMatchObject({ stateType: "RUNNING", stateVersion: before.stateVersion, leaseToken: token, resultId: null, endTime: null });
    expect(await historyOf("flowRunId", run.id)).toEqual(["Running"]);

    const task = await taskOf(run.id, "t", token);
    await setTask(task.id, { type: "RUNNING" }, { leaseToken: token });
    const taskErr = await failure(setTask(task.id, { type: "COMPLETED" }, { leaseToken: token, resultId: missing }));
    expect(taskErr).toMatchObject({ code: "NOT_FOUND", field: "resultId" });
    expect(await row(taskRuns, task.id)).toMatchObject({ stateType: "RUNNING", resultId: null });

    // The right result: state and pointer in one row, one history entry.
    const taskResult = await createResult({ db, workspaceId: WS, value: 1 });
    expect(await setTask(task.id, { type: "COMPLETED" }, { leaseToken: token, resultId: taskResult.id })).toMatchObject({ stateType: "COMPLETED", resultId: taskResult.id });
    const flowResult = await createResult({ db, workspaceId: WS, value: { ok: true } });
    const done = await setRunState({ db, workspaceId: WS, kind: "flow", runId: run.id, to: { type: "COMPLETED" }, actor: "test", leaseToken: token, resultId: flowResult.id });
    expect(done).toMatchObject({ stateType: "COMPLETED", resultId: flowResult.id, leaseToken: null });
    expect(await historyOf("flowRunId", run.id)).toEqual(["Running", "Completed"]);
  });

  it("a reclaim racing writes about a subflow: logs, results, artifacts, subflow runs and states wait on the top-level row, then the old lease is refused and the new one taken", async () => {
    if (isPglite()) return; // one connection: nothing can interleave
    const db = t.database.db;
    const { run, token } = await leasedRun("race-sub");
    const sub = await createFlowRun({ db, workspaceId: WS, flowId: run.flowId, parentFlowRunId: run.id, parentLeaseToken: token, requireLease: true, actor: "test" });
    await setRunState({ db, workspaceId: WS, kind: "flow", runId: sub.id, to: { type: "RUNNING" }, actor: "test", leaseToken: token, strictLease: true });
    const fresh = "00000000-0000-4000-8000-0000000f4e54";
    const other: Database = await openDatabase(t.config);
    const count = async () => ({
      logs: (await db.select().from(logs).where(eq(logs.flowRunId, sub.id))).length,
      artifacts: (await db.select().from(artifacts).where(eq(artifacts.flowRunId, sub.id))).length,
      results: (await db.select().from(results)).length,
      runs: (await db.select().from(flowRuns).where(eq(flowRuns.parentFlowRunId, sub.id))).length,
    });
    const before = await count();
    // Each write as the old holder would make it, all carrying the old lease.
    const writes = (lease: string) => ({
      log: createLogs({ db, workspaceId: WS, requireLease: true, logs: [{ flowRunId: sub.id, level: 20, message: `by ${lease}`, leaseToken: lease }] }),
      artifact: createArtifact({ db, workspaceId: WS, flowRunId: sub.id, type: "markdown", data: lease, lease: { token: lease, strict: true } }),
      result: createResult({ db, workspaceId: WS, value: lease, lease: { flowRunId: sub.id, token: lease, strict: true } }),
      subflow: createFlowRun({ db, workspaceId: WS, flowId: run.flowId, parentFlowRunId: sub.id, parentLeaseToken: lease, requireLease: true, actor: "test" }),
      state: setRunState({ db, workspaceId: WS, kind: "flow", runId: sub.id, to: { type: "COMPLETED" }, actor: "test", leaseToken: lease, strictLease: true }),
    });
    try {
      const settled: Record<string, unknown> = {};
      let pending: Promise<unknown>[] = [];
      await other.db.transaction(async (tx) => {
        // Another worker's claim takes the top-level run: its new lease, not yet committed.
        await tx.update(flowRuns).set({ leaseToken: fresh }).where(eq(flowRuns.id, run.id));
        pending = Object.entries(writes(token)).map(([kind, p]) =>
          p.then(
            (v) => void (settled[kind] = v),
            (e: unknown) => void (settled[kind] = e),
          ),
        );
        await sleep(400);
        // None went through on the lease it would have read before the claim.
        expect(settled).toEqual({});
      });
      await Promise.all(pending);
      for (const kind of ["artifact", "result", "subflow", "state"]) {
        expect(settled[kind], kind).toBeInstanceOf(AppError);
        expect((settled[kind] as AppError).reason, kind).toBe("LEASE_LOST");
        expect((settled[kind] as AppError).message).toContain(`Lease lost for flow run ${run.id}`);
      }
      expect(settled.log).toEqual({ count: 0, leaseLost: [run.id] });
      expect(await count()).toEqual(before);
      expect(await row(flowRuns, sub.id)).toMatchObject({ stateType: "RUNNING" });

      // The new holder's writes, under the new lease, all go through.
      const next = writes(fresh);
      expect(await next.log).toEqual({ count: 1, leaseLost: [] });
      await Promise.all([next.artifact, next.result, next.subflow]);
      expect((await next.state).stateType).toBe("COMPLETED");
      expect(await count()).toEqual({ logs: before.logs + 1, artifacts: before.artifacts + 1, results: before.results + 1, runs: before.runs + 1 });
    } finally {
      await other.close();
    }
  });

  it("a subflow's lease is its top-level run's: none from a worker key on a held run is LEASE_HELD, a member's write without one is no lease check", async () => {
    const db = t.database.db;
    const { run, token } = await leasedRun("sub-held");
    const sub = await createFlowRun({ db, workspaceId: WS, flowId: run.flowId, parentFlowRunId: run.id, parentLeaseToken: token, actor: "test" });
    const held = await failure(createFlowRun({ db, workspaceId: WS, flowId: run.flowId, parentFlowRunId: sub.id, requireLease: true, actor: "test" }));
    expect(held).toMatchObject({ code: "CONFLICT", reason: "LEASE_HELD", field: "leaseToken" });
    expect(held.message).toMatch(new RegExp(`Flow run ${sub.id} \\(through its top-level run ${run.id}\\) is held by a worker`));
    expect((await failure(createArtifact({ db, workspaceId: WS, flowRunId: sub.id, type: "x", lease: { strict: true } }))).reason).toBe("LEASE_HELD");
    expect((await failure(taskOf(sub.id, "t", "00000000-0000-4000-8000-00000000beef"))).reason).toBe("LEASE_LOST");
    // Without strict (a member), the same writes are taken.
    expect((await createArtifact({ db, workspaceId: WS, flowRunId: sub.id, type: "x" })).flowRunId).toBe(sub.id);
    expect((await taskOf(sub.id, "by-hand")).flowRunId).toBe(sub.id);
    // A subflow of a subflow: the walk reaches the top-level run.
    const deeper = await createFlowRun({ db, workspaceId: WS, flowId: run.flowId, parentFlowRunId: sub.id, parentLeaseToken: token, requireLease: true, actor: "test" });
    expect((await taskOf(deeper.id, "deep", token)).flowRunId).toBe(deeper.id);
  });
});
