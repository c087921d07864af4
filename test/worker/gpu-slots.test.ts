/**
 * Several GPUs on one worker are slots (issue 15): a real `process` pool worker that declares two
 * GPUs (BATON_WORKER_CAPABILITIES, as on a machine without nvidia-smi) and four run slots runs
 * two GPU-requiring runs at once, each with a CUDA_VISIBLE_DEVICES of its own; a third GPU run
 * waits SCHEDULED while a CPU run behind it still starts; when one GPU run ends the third gets
 * that run's GPU. The jobs are shell loops that report their CUDA_VISIBLE_DEVICES and wait for a
 * file named after their run, so the test decides when each ends.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useWorkerHarness, waitFor } from "./harness";
import { GpuSlots } from "../../workers/node/gpu-slots";

describe("GPUs as slots on one worker", () => {
  const h = useWorkerHarness();
  const release = mkdtempSync(path.join(os.tmpdir(), "baton-gpu-slots-"));
  afterAll(() => rmSync(release, { recursive: true, force: true }));
  let worker: ReturnType<typeof h.startWorker>;

  beforeAll(async () => {
    await h.client.workPools.create.mutate({
      name: "two-gpus",
      type: "process",
      baseJobTemplate: {
        command: ["/bin/sh", "-c", 'echo "visible=${CUDA_VISIBLE_DEVICES:-none}"; while [ ! -e "$RELEASE_DIR/$BATON_FLOW_RUN_ID" ]; do sleep 0.1; done'],
        env: { RELEASE_DIR: release },
      },
    });
    await h.client.deployments.create.mutate({ flow: "fine-tune", name: "gpu", workPool: "two-gpus", policy: { requirements: { gpu: true, gpuMemoryGb: 40 } } });
    await h.client.deployments.create.mutate({ flow: "prepare", name: "cpu", workPool: "two-gpus" });
    worker = h.startWorker(["-p", "two-gpus", "--name", "gpu-box", "--limit", "4"], { BATON_WORKER_CAPABILITIES: JSON.stringify({ gpu: true, gpus: 2, gpuMemoryGb: 80 }) });
    await h.waitForWorker(worker);
  }, 60_000);

  const stateOf = async (id: string) => (await h.client.flowRuns.get.query({ id })).stateType;
  const visibleOf = async (id: string) => {
    const lines = (await h.client.logs.list.query({ flowRunId: id, limit: 1000 })).items.map((l) => l.message);
    return lines.find((m) => m.startsWith("visible="))?.slice("visible=".length);
  };

  it("two GPU runs at once with distinct CUDA_VISIBLE_DEVICES, a third waits (a CPU run does not), and takes the GPU the first one frees", async () => {
    const gpuRuns = [];
    for (let i = 0; i < 3; i++) gpuRuns.push((await h.client.deployments.run.mutate({ deployment: "fine-tune/gpu" })).id);
    const cpuRun = (await h.client.deployments.run.mutate({ deployment: "prepare/cpu" })).id;
    const [a, b, c] = gpuRuns as [string, string, string];

    // Two of them run, one GPU each; the CPU run, queued after all three, runs too.
    const first = await waitFor(async () => {
      const visible = await Promise.all([a, b].map(visibleOf));
      return visible.every(Boolean) ? visible : undefined;
    }, 60_000, () => worker.output());
    expect([...first].sort()).toEqual(["0", "1"]);
    expect(await waitFor(() => visibleOf(cpuRun), 60_000, () => worker.output())).toBe("none");
    expect(await stateOf(a)).toBe("RUNNING");
    expect(await stateOf(b)).toBe("RUNNING");

    // The third waits while both GPUs are taken (the worker has slots left: it claims, and is given nothing).
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await stateOf(c)).toBe("SCHEDULED");
    expect(await visibleOf(c)).toBeUndefined();

    // The first GPU run ends: the third starts on the GPU it had.
    writeFileSync(path.join(release, a), "");
    await waitFor(async () => ((await stateOf(a)) === "COMPLETED" ? true : undefined), 60_000, () => worker.output());
    const third = await waitFor(() => visibleOf(c), 60_000, () => worker.output());
    expect(third).toBe(first[0]);
    expect(await stateOf(b)).toBe("RUNNING");

    for (const id of [b, c, cpuRun]) writeFileSync(path.join(release, id), "");
    for (const id of [b, c, cpuRun]) await waitFor(async () => ((await stateOf(id)) === "COMPLETED" ? true : undefined), 60_000, () => worker.output());
    expect(existsSync(path.join(release, c))).toBe(true);
  }, 180_000);
});

describe("GpuSlots", () => {
  it("hands out the lowest free device, once per run, from the worker's own CUDA_VISIBLE_DEVICES when set", () => {
    const slots = GpuSlots.of({ gpus: 2 }, { CUDA_VISIBLE_DEVICES: "2,3" });
    expect(slots.devices).toEqual(["2", "3"]);
    expect(slots.take("r1")).toBe("2");
    expect(slots.take("r1")).toBe("2");
    expect(slots.take("r2")).toBe("3");
    expect(slots.take("r3")).toBeUndefined();
    slots.release("r1");
    expect(slots.take("r3")).toBe("2");
    expect(GpuSlots.of({ gpus: 3 }, {}).devices).toEqual(["0", "1", "2"]);
    expect(GpuSlots.of({ gpu: true }, {}).devices).toEqual([]);
  });
});
