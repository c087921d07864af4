import { describe, expect, it } from "vitest";
import { expectTrpcError, useTestApi } from "../helpers/api";

/** The worker's writes about a run over HTTP: leases checked and results attached where the state is written. */
describe("run writes over the API", () => {
  const api = useTestApi();
  const stale = "00000000-0000-4000-8000-00000000beef";
  const missing = "00000000-0000-4000-8000-0000000000ee";

  async function claimed(pool: string) {
    const client = api.client();
    await client.workPools.create.mutate({ name: pool, type: "node" });
    await client.flows.create.mutate({ name: `flow-${pool}` });
    const run = await client.flowRuns.create.mutate({ flow: `flow-${pool}`, workPool: pool });
    const reg = await client.workers.register.mutate({ workPool: pool, name: `${pool}-w` });
    const [got] = await client.workers.claim.mutate({ workerId: reg.workerId, start: true });
    expect(got!.id).toBe(run.id);
    return { client, run: got! };
  }

  it("flowRuns.setState COMPLETED with a result that does not exist: NOT_FOUND on resultId, the run still RUNNING under its lease", async () => {
    const { client, run } = await claimed("flow-result");
    const err = await expectTrpcError(
      client.flowRuns.setState.mutate({ id: run.id, state: { type: "COMPLETED" }, leaseToken: run.leaseToken, resultId: missing }),
      "NOT_FOUND",
      new RegExp(`Result ${missing} was not found`),
    );
    expect(err.field).toBe("resultId");
    expect(await client.flowRuns.get.query({ id: run.id })).toMatchObject({ stateType: "RUNNING" });
    expect(await client.results.ofRun.query({ flowRunId: run.id })).toBeNull();
    expect((await client.flowRuns.history.query({ id: run.id })).map((h) => h.toName)).toEqual(["Scheduled", "Running"]);
    // The worker, still holding the lease, sends its result and reports again.
    const result = await client.results.create.mutate({ value: { rows: 3 } });
    const done = await client.flowRuns.setState.mutate({ id: run.id, state: { type: "COMPLETED" }, leaseToken: run.leaseToken, resultId: result.id });
    expect(done.stateType).toBe("COMPLETED");
    expect((await client.results.ofRun.query({ flowRunId: run.id }))?.id).toBe(result.id);
  });

  it("task runs: create and setState carry the flow run's lease (a stale one is LEASE_LOST), and a bad resultId leaves the task RUNNING", async () => {
    const { client, run } = await claimed("task-writes");
    await expectTrpcError(client.taskRuns.create.mutate({ flowRunId: run.id, taskKey: "t", flowRunLeaseToken: stale }), "CONFLICT", /Lease lost for flow run/);
    expect(await client.taskRuns.list.query({ flowRunId: run.id })).toEqual([]);
    const task = await client.taskRuns.create.mutate({ flowRunId: run.id, taskKey: "t", flowRunLeaseToken: run.leaseToken });
    await client.taskRuns.setState.mutate({ id: task.id, state: { type: "RUNNING" }, flowRunLeaseToken: run.leaseToken });
    const lost = await expectTrpcError(
      client.taskRuns.setState.mutate({ id: task.id, state: { type: "COMPLETED" }, flowRunLeaseToken: stale }),
      "CONFLICT",
      new RegExp(`Lease lost for flow run ${run.id}`),
    );
    expect(lost.field).toBe("leaseToken");
    const bad = await expectTrpcError(
      client.taskRuns.setState.mutate({ id: task.id, state: { type: "COMPLETED" }, flowRunLeaseToken: run.leaseToken, resultId: missing }),
      "NOT_FOUND",
      /Result .* was not found/,
    );
    expect(bad.field).toBe("resultId");
    expect(await client.taskRuns.get.query({ id: task.id })).toMatchObject({ stateType: "RUNNING" });
    const result = await client.results.create.mutate({ value: 42 });
    await client.taskRuns.setState.mutate({ id: task.id, state: { type: "COMPLETED" }, flowRunLeaseToken: run.leaseToken, resultId: result.id });
    expect(await client.taskRuns.get.query({ id: task.id })).toMatchObject({ stateType: "COMPLETED" });
    expect((await client.results.ofRun.query({ taskRunId: task.id }))?.id).toBe(result.id);
  });
});
