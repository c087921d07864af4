/**
 * Fewer round trips per task: a task run created RUNNING in the call that creates it, and a
 * small result sent inline with the report that completes a task or flow run (committed with it,
 * or not at all).
 */
import { describe, expect, it } from "vitest";
import { expectTrpcError, useTestApi } from "../helpers/api";

describe("reports that carry more", () => {
  const api = useTestApi();

  async function claimedRun(pool: string) {
    const client = api.client();
    await client.workPools.create.mutate({ name: pool, type: "node" });
    await client.flows.create.mutate({ name: `f-${pool}` });
    const reg = await client.workers.register.mutate({ workPool: pool, name: `${pool}-w` });
    await client.flowRuns.create.mutate({ flow: `f-${pool}`, workPool: pool });
    const [run] = await client.workers.claim.mutate({ workerId: reg.workerId, max: 1, start: true });
    return { client, run: run! };
  }

  it("creates a task run RUNNING, and completes it with its result in one call", async () => {
    const { client, run } = await claimedRun("calls");
    const task = await client.taskRuns.create.mutate({ flowRunId: run.id, taskKey: "t", flowRunLeaseToken: run.leaseToken, start: true });
    expect(task).toMatchObject({ stateType: "RUNNING", stateName: "Running", runCount: 1, created: true });
    expect(task.startTime).not.toBeNull();
    // The same task again (a retried flow run): it keeps the state it has.
    const again = await client.taskRuns.create.mutate({ flowRunId: run.id, taskKey: "t", flowRunLeaseToken: run.leaseToken, start: true });
    expect(again).toMatchObject({ id: task.id, stateType: "RUNNING", runCount: 1, created: false });

    const done = await client.taskRuns.setState.mutate({ id: task.id, state: { type: "COMPLETED" }, flowRunLeaseToken: run.leaseToken, result: { value: { n: 42 } } });
    expect(done.stateType).toBe("COMPLETED");
    expect((await client.results.ofRun.query({ taskRunId: task.id }))?.value).toEqual({ n: 42 });

    await client.flowRuns.setState.mutate({ id: run.id, state: { type: "COMPLETED" }, leaseToken: run.leaseToken, result: { value: [1, 2, 3] } });
    expect((await client.results.ofRun.query({ flowRunId: run.id }))?.value).toEqual([1, 2, 3]);
  });

  it("a result too large to go inline, or both result and resultId, change nothing", async () => {
    const { client, run } = await claimedRun("calls-bad");
    const task = await client.taskRuns.create.mutate({ flowRunId: run.id, taskKey: "t", flowRunLeaseToken: run.leaseToken, start: true });
    const count = async () => Number(((await api.db.execute("select count(*)::int as n from results")) as unknown as { rows: { n: number }[] }).rows[0]!.n);
    const before = await count();
    await expectTrpcError(
      client.taskRuns.setState.mutate({ id: task.id, state: { type: "COMPLETED" }, flowRunLeaseToken: run.leaseToken, result: { value: "x".repeat(1_100_000) } }),
      "BAD_REQUEST",
    );
    await expectTrpcError(
      client.flowRuns.setState.mutate({ id: run.id, state: { type: "COMPLETED" }, leaseToken: run.leaseToken, result: { value: 1 }, resultId: task.id }),
      "BAD_REQUEST",
      /result or resultId, not both/,
    );
    expect(await count()).toBe(before);
    expect((await client.taskRuns.get.query({ id: task.id })).stateType).toBe("RUNNING");
    expect((await client.flowRuns.get.query({ id: run.id })).stateType).toBe("RUNNING");
  });

  it("a report sent again under the same lease after it was applied (a lost answer) is answered as done, keeping the first result", async () => {
    const { client, run } = await claimedRun("calls-again");
    const task = await client.taskRuns.create.mutate({ flowRunId: run.id, taskKey: "t", flowRunLeaseToken: run.leaseToken, start: true });
    const count = async () => Number(((await api.db.execute("select count(*)::int as n from results")) as unknown as { rows: { n: number }[] }).rows[0]!.n);
    const first = await client.taskRuns.setState.mutate({ id: task.id, state: { type: "COMPLETED" }, flowRunLeaseToken: run.leaseToken, result: { value: "first" } });
    const before = await count();
    const again = await client.taskRuns.setState.mutate({ id: task.id, state: { type: "COMPLETED" }, flowRunLeaseToken: run.leaseToken, result: { value: "second" } });
    expect(again).toMatchObject({ id: task.id, stateType: "COMPLETED", stateVersion: first.stateVersion });
    expect(await count()).toBe(before);
    expect((await client.results.ofRun.query({ taskRunId: task.id }))?.value).toBe("first");
    // Not a repeat: another state, or the same one without the lease, is still refused.
    await expectTrpcError(client.taskRuns.setState.mutate({ id: task.id, state: { type: "RUNNING" }, flowRunLeaseToken: run.leaseToken }), "PRECONDITION_FAILED");
    await expectTrpcError(client.taskRuns.setState.mutate({ id: task.id, state: { type: "COMPLETED" } }), "CONFLICT");
  });
});
