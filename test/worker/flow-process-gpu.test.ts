/**
 * A TypeScript flow run that requires a GPU, on a Node worker with GPU slots, gets its GPU as
 * CUDA_VISIBLE_DEVICES (as a process-pool job does): the worker declares two GPUs
 * (BATON_WORKER_CAPABILITIES, as on a machine without nvidia-smi), two GPU runs at once see "0"
 * and "1" — already when their flow module loads, though their processes were started before the
 * runs came — a CPU run sees none, and a later GPU run gets a process no run used before (a CUDA
 * library keeps the devices it saw first), with the GPU the earlier runs freed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isTerminalState } from "../../server/engine/state-types";
import { useWorkerHarness, waitFor } from "./harness";

const FLOW = "test/worker/fixtures/gpu-flow.ts:visibleGpu";

describe("a GPU flow run in its flow process", () => {
  const h = useWorkerHarness();
  const dir = mkdtempSync(path.join(os.tmpdir(), "baton-flow-gpu-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("gets its own GPU as CUDA_VISIBLE_DEVICES before the flow loads, in a process no other run used", async () => {
    await h.client.workPools.create.mutate({ name: "ts-gpus", type: "node" });
    await h.client.deployments.create.mutate({ flow: "visible-gpu", name: "gpu", entrypoint: FLOW, workPool: "ts-gpus", policy: { requirements: { gpu: true, gpuMemoryGb: 40 } } });
    await h.client.deployments.create.mutate({ flow: "visible-gpu", name: "cpu", entrypoint: FLOW, workPool: "ts-gpus" });
    const worker = h.startWorker(["-p", "ts-gpus", "--name", "ts-gpu-box", "--limit", "3"], { BATON_WORKER_CAPABILITIES: JSON.stringify({ gpu: true, gpus: 2, gpuMemoryGb: 80 }) });
    await h.waitForWorker(worker);

    const start = async (deployment: string, label: string) => {
      const marker = path.join(dir, `${label}.txt`);
      const release = path.join(dir, `${label}.release`);
      const run = await h.client.deployments.run.mutate({ deployment, parameters: { marker, release } });
      return { id: run.id, marker, release };
    };
    const seen = (r: { marker: string }) =>
      waitFor(() => {
        if (!existsSync(r.marker)) return undefined;
        const m = /visible=(\S+) atLoad=(\S+) pid=(\d+)/.exec(readFileSync(r.marker, "utf8"));
        return m ? { visible: m[1]!, atLoad: m[2]!, pid: Number(m[3]) } : undefined;
      }, 60_000, () => worker.output());
    const finished = (id: string) =>
      waitFor(async () => {
        const r = await h.client.flowRuns.get.query({ id });
        return isTerminalState(r.stateType) ? r : undefined;
      }, 60_000, () => worker.output());

    const a = await start("visible-gpu/gpu", "a");
    const b = await start("visible-gpu/gpu", "b");
    const cpu = await start("visible-gpu/cpu", "cpu");
    const [sa, sb, sc] = [await seen(a), await seen(b), await seen(cpu)];
    expect([sa.visible, sb.visible].sort()).toEqual(["0", "1"]);
    expect(sa.atLoad).toBe(sa.visible);
    expect(sb.atLoad).toBe(sb.visible);
    expect(sc).toMatchObject({ visible: "none", atLoad: "none" });
    const logs = (await h.client.logs.list.query({ flowRunId: a.id, limit: 1000 })).items.map((l) => l.message);
    expect(logs).toContain(`on GPU ${sa.visible} (CUDA_VISIBLE_DEVICES=${sa.visible}), in a flow process that ran no other run`);

    for (const r of [a, b, cpu]) writeFileSync(r.release, "");
    for (const r of [a, b, cpu]) expect((await finished(r.id)).stateType).toBe("COMPLETED");
    expect((await h.client.results.ofRun.query({ flowRunId: a.id }))!.value).toEqual({ visible: sa.visible });

    // Both GPUs are free again: the next GPU run gets the lowest, in a process none of the three used.
    const c = await start("visible-gpu/gpu", "c");
    const sd = await seen(c);
    expect(sd).toMatchObject({ visible: "0", atLoad: "0" });
    expect([sa.pid, sb.pid, sc.pid]).not.toContain(sd.pid);
    // A CPU run after GPU runs never lands in a GPU run's process (those are retired), nor sees a GPU.
    const cpu2 = await start("visible-gpu/cpu", "cpu2");
    const se = await seen(cpu2);
    expect(se.visible).toBe("none");
    expect([sa.pid, sb.pid, sd.pid]).not.toContain(se.pid);
    for (const r of [c, cpu2]) writeFileSync(r.release, "");
    for (const r of [c, cpu2]) expect((await finished(r.id)).stateType).toBe("COMPLETED");
  }, 180_000);
});
