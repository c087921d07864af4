/**
 * A deployed notebook's cell on its own pool with auth on: each worker holds a key scoped to its
 * own pool. The pipeline's worker starts the train cell's run on the other pool, waits on it and
 * takes its result; the other pool's worker runs it — neither key reaching beyond its pool.
 */
import { describe, expect, it } from "vitest";
import { isTerminalState } from "../../server/engine/state-types";
import { expectTrpcError } from "../helpers/api";
import { useKeyedWorkerHarness, waitFor } from "./harness";

const SECRET = "a notebook pools test secret that is long enough";

describe("a deployed notebook's cell on its own pool, with pool-scoped worker keys", () => {
  const { h, client, signUpOwner } = useKeyedWorkerHarness(SECRET);

  it("runs there under the other pool's key, and each key stays in its pool", async () => {
    const owner = await signUpOwner();
    await owner.workPools.create.mutate({ name: "k-cpu", type: "node" });
    await owner.workPools.create.mutate({ name: "k-gpu", type: "node" });
    const cpuKey = await owner.apiKeys.create.mutate({ name: "cpu-worker", role: "worker", workPools: ["k-cpu"] });
    const gpuKey = await owner.apiKeys.create.mutate({ name: "gpu-worker", role: "worker", workPools: ["k-gpu"] });
    const nb = await owner.notebooks.create.mutate({
      name: "keyed-pools",
      cells: [
        { id: "vectors", kind: "encode", parameters: { encoder: "lexical", dimensions: 4, texts: ["red apples", "green pears", "ripe plums", "fast cars", "slow trucks", "old buses"] } },
        { id: "groups", kind: "cluster", parameters: { k: 2, seed: 1 }, inputs: { vectors: "vectors" } },
        { id: "model", kind: "train", parameters: { seed: 1, maxEpochs: 10 }, inputs: { embeddings: "vectors", labels: "groups" }, target: { pool: "k-gpu" } },
        { id: "guess", kind: "infer", parameters: {}, inputs: { embeddings: "vectors", modelResultId: "model" } },
      ],
    });
    const deployment = await owner.notebooks.deploy.mutate({ id: nb.id, workPool: "k-cpu" });
    const cpu = h.startWorker(["-p", "k-cpu", "--name", "k-cpu-1"], { BATON_API_KEY: cpuKey.key });
    const gpu = h.startWorker(["-p", "k-gpu", "--name", "k-gpu-1"], { BATON_API_KEY: gpuKey.key });
    await h.waitForWorker(cpu);
    await h.waitForWorker(gpu);
    const run = await owner.deployments.run.mutate({ deployment: deployment.id });
    const done = await waitFor(async () => {
      const r = await owner.flowRuns.get.query({ id: run.id });
      return isTerminalState(r.stateType) ? r : undefined;
    }, 120_000, () => `${cpu.output()}\n${gpu.output()}`);
    expect(done.stateType, `${done.stateMessage}\n${cpu.output()}\n${gpu.output()}`).toBe("COMPLETED");
    const tasks = await owner.taskRuns.list.query({ flowRunId: run.id });
    expect(tasks.map((t) => `${t.name}:${t.stateType}`).sort()).toEqual(["groups:COMPLETED", "guess:COMPLETED", "model:COMPLETED", "vectors:COMPLETED"]);
    const [child] = (await owner.flowRuns.list.query({ parentFlowRunId: run.id })).items;
    expect(child).toMatchObject({ workPoolName: "k-gpu", stateType: "COMPLETED" });

    // The other pool's key reads nothing of the pipeline run, not even through its own cell run.
    const asGpu = client({ authorization: `Bearer ${gpuKey.key}` });
    await expectTrpcError(asGpu.notebooks.cellRun.query({ flowRunId: run.id, childRunId: child!.id }), "FORBIDDEN");
    await expectTrpcError(asGpu.notebooks.pipeline.query({ flowRunId: run.id }), "FORBIDDEN");
    // The pipeline pool's key reads its run's cell run, but starts none on a run it holds no lease on.
    const asCpu = client({ authorization: `Bearer ${cpuKey.key}` });
    expect((await asCpu.notebooks.cellRun.query({ flowRunId: run.id, childRunId: child!.id })).workerName).toBe("k-gpu-1");
    const model = tasks.find((t) => t.name === "model")!;
    await expectTrpcError(asCpu.notebooks.runCell.mutate({ flowRunId: run.id, leaseToken: "00000000-0000-4000-8000-000000000000", cellId: "model", taskRunId: model.id, parameters: { embeddings: [[0, 1]], labels: ["a"] } }), "CONFLICT");
  }, 180_000);
});
