import { describe, expect, it } from "vitest";
import { runCli, show } from "../cli/run-cli";
import { useWorkerHarness, waitFor } from "./harness";
import { isTerminalState } from "../../server/engine/state-types";

describe("Node worker running TypeScript flows", () => {
  const h = useWorkerHarness();

  it("deploys with baton deploy; runs a flow with tasks, retries with backoff, a subflow, results, logs and metrics", async () => {
    await h.client.workPools.create.mutate({ name: "node", type: "node" });
    const worker = h.startWorker(["-p", "node", "--name", "cpu-1", "--limit", "2"], { BATON_WORKER_CAPABILITIES: '{"gpu": false, "gpus": 0}' });
    const deployed = await runCli(["deploy", "test/worker/fixtures/flows.ts:pipeline", "-n", "main", "-p", "node", "--cron", "0 8 * * *", "--timezone", "Asia/Phnom_Penh", "--param", "n=21", "--job-variables", '{"env": {"LOG_LEVEL": "debug"}}'], { BATON_API_URL: h.apiUrl });
    expect(deployed.code, show(deployed)).toBe(0);
    expect(deployed.stdout).toMatch(/Created deployment pipeline\/main \(test\/worker\/fixtures\/flows\.ts:pipeline\) → pool node/);
    const deployment = await h.client.deployments.get.query({ deployment: "pipeline/main" });
    expect(deployment.parameterSchema).toMatchObject({ type: "object", properties: { n: { type: "number", default: 21 } } });
    expect(deployment.schedules[0]).toMatchObject({ cron: "0 8 * * *", timezone: "Asia/Phnom_Penh" });
    expect(deployment.jobVariables).toEqual({ env: { LOG_LEVEL: "debug" } });

    await h.waitForWorker(worker);
    const run = await h.client.deployments.run.mutate({ deployment: "pipeline/main", parameters: { failTimes: 2 } });
    const done = await waitFor(async () => {
      const r = await h.client.flowRuns.get.query({ id: run.id });
      return isTerminalState(r.stateType) ? r : undefined;
    }, 60_000, () => worker.output());
    expect(done.stateType, done.stateMessage ?? "").toBe("COMPLETED");

    const result = await h.client.results.ofRun.query({ flowRunId: run.id });
    expect(result).toMatchObject({ storage: "inline", value: { doubled: 42, attempts: 3, vectorLength: 200_000 } });

    const tasks = await h.client.taskRuns.list.query({ flowRunId: run.id });
    expect(tasks.map((t) => `${t.name}:${t.stateName}`)).toEqual(["flaky-0:Completed", "big_vector-0:Completed"]);
    expect(tasks[0]!.runCount).toBe(3);
    // The big vector went to the blob store, and reads back whole.
    const vector = await h.client.results.ofRun.query({ taskRunId: tasks[1]!.id, includeData: true });
    expect(vector).toMatchObject({ storage: "blob", mediaType: "application/json" });
    expect(JSON.parse(Buffer.from(vector!.base64!, "base64").toString())).toHaveLength(200_000);

    // Retries with backoff: 0.3 s, then 0.6 s, recorded as AwaitingRetry → Retrying.
    const waits = (await h.client.logs.list.query({ flowRunId: run.id })).items.filter((l) => /retrying in/.test(l.message)).map((l) => l.message);
    expect(waits).toEqual([expect.stringMatching(/attempt 1 of 3.*retrying in 0\.3 s/), expect.stringMatching(/attempt 2 of 3.*retrying in 0\.6 s/)]);

    const children = await h.client.flowRuns.list.query({ parentFlowRunId: run.id });
    expect(children.items).toHaveLength(1);
    expect(children.items[0]).toMatchObject({ flowName: "child", stateType: "COMPLETED", parameters: { n: 21 } });
    expect(await h.client.results.ofRun.query({ flowRunId: children.items[0]!.id })).toMatchObject({ value: 42 });
    const childTasks = await h.client.taskRuns.list.query({ flowRunId: children.items[0]!.id });
    expect(childTasks.map((t) => t.name)).toEqual(["double-0"]);

    const logs = (await h.client.logs.list.query({ flowRunId: run.id })).items.map((l) => l.message);
    expect(logs).toEqual(expect.arrayContaining(["pipeline starting", "pipeline done: 42"]));
    const childLogs = (await h.client.logs.list.query({ flowRunId: children.items[0]!.id })).items.map((l) => l.message);
    expect(childLogs).toEqual(expect.arrayContaining(["child flow got 21", "doubling 21"]));
    const metrics = (await h.client.artifacts.list.query({ flowRunId: run.id })).filter((a) => a.type === "metrics");
    const points = metrics.flatMap((a) => (a.data as { points: { name: string; value: number; step: number }[] }).points);
    expect(points.map((p) => [p.name, p.step, p.value])).toEqual([["loss", 1, 1], ["loss", 2, 0.5], ["loss", 3, 1 / 3]]);
  });

  it("a GPU-requiring run stays queued while only CPU workers exist, and flowRuns.explain says why", async () => {
    const deployed = await h.client.deployments.create.mutate({
      flow: "needs-gpu",
      name: "train",
      entrypoint: "test/worker/fixtures/flows.ts:needsGpu",
      workPool: "node",
      parameterSchema: { type: "object", properties: {}, "x-baton": { requirements: { gpu: true } } },
    });
    const run = await h.client.deployments.run.mutate({ deployment: deployed.id });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await h.client.flowRuns.get.query({ id: run.id })).stateType).toBe("SCHEDULED");
    const why = await h.client.flowRuns.explain.query({ id: run.id });
    expect(why.reason).toMatch(/no online worker in pool "node" has what it requires \(\{"gpu":true\}\); online: cpu-1/);
    await h.client.flowRuns.cancel.mutate({ id: run.id });
  });
});
