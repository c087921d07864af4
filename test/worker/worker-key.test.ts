/**
 * A real worker with a pool-scoped worker key (auth on) runs a flow that writes every kind of
 * thing a run writes: task runs with retries, a subflow with its own task and logs, metrics, a
 * blob result streamed to the upload route and an inline one. Each write carries the run's
 * governing lease (a subflow's: its top-level run's), and a worker key's write without one is
 * refused — so this passes only if the worker, its flow process and the SDK send the lease on
 * every path.
 */
import { describe, expect, it } from "vitest";
import { useKeyedWorkerHarness, waitFor } from "./harness";
import { isTerminalState } from "../../server/engine/state-types";

const SECRET = "a worker-key test secret that is long enough";

describe("a worker with a pool-scoped key", () => {
  const { h, client, signUpOwner } = useKeyedWorkerHarness(SECRET);

  it("runs a flow with tasks, a subflow, metrics and a blob result, every write under the lease", async () => {
    const owner = await signUpOwner();
    await owner.workPools.create.mutate({ name: "keyed", type: "node" });
    await owner.flows.create.mutate({ name: "pipeline" });
    await owner.deployments.create.mutate({ flow: "pipeline", name: "main", workPool: "keyed", entrypoint: "test/worker/fixtures/flows.ts:pipeline" });
    const key = await owner.apiKeys.create.mutate({ name: "keyed-worker", role: "worker", workPools: ["keyed"] });

    const worker = h.startWorker(["-p", "keyed", "--name", "keyed-1"], { BATON_API_KEY: key.key });
    await h.waitForWorker(worker);
    expect(worker.output()).toMatch(/with an API key/);
    expect(worker.output()).not.toContain(key.key);
    const run = await owner.deployments.run.mutate({ deployment: "pipeline/main", parameters: { failTimes: 1 } });
    const done = await waitFor(async () => {
      const r = await owner.flowRuns.get.query({ id: run.id });
      return isTerminalState(r.stateType) ? r : undefined;
    }, 60_000, () => worker.output());
    expect(done.stateType, `${done.stateMessage}\n${worker.output()}`).toBe("COMPLETED");
    expect((await owner.results.ofRun.query({ flowRunId: run.id }))?.value).toMatchObject({ doubled: 42, vectorLength: 200_000 });

    const tasks = await owner.taskRuns.list.query({ flowRunId: run.id });
    expect(tasks.map((t) => `${t.name}:${t.stateName}`)).toEqual(["flaky-0:Completed", "big_vector-0:Completed"]);
    // Streamed to the upload route with the lease.
    expect(await owner.results.ofRun.query({ taskRunId: tasks[1]!.id })).toMatchObject({ storage: "blob" });

    const [childRun] = (await owner.flowRuns.list.query({ parentFlowRunId: run.id })).items;
    expect(childRun).toMatchObject({ flowName: "child", stateType: "COMPLETED" });
    const childLogs = (await owner.logs.list.query({ flowRunId: childRun!.id })).items.map((l) => l.message);
    expect(childLogs).toEqual(expect.arrayContaining(["child flow got 21", "doubling 21"]));
    const logs = (await owner.logs.list.query({ flowRunId: run.id })).items.map((l) => l.message);
    expect(logs).toEqual(expect.arrayContaining(["pipeline starting", "pipeline done: 42"]));
    const metrics = (await owner.artifacts.list.query({ flowRunId: run.id })).filter((a) => a.type === "metrics");
    expect(metrics.flatMap((a) => (a.data as { points: { name: string }[] }).points.map((p) => p.name))).toEqual(["loss", "loss", "loss"]);
    // Nothing the worker sent was refused for want of its lease.
    expect(worker.output()).not.toMatch(/LEASE_HELD|lease lost|refused/i);
  });
});
