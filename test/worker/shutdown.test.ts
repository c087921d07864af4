import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { useWorkerHarness, waitFor } from "./harness";

describe("worker shutdown in two stages", () => {
  const h = useWorkerHarness();
  const dir = mkdtempSync(path.join(os.tmpdir(), "baton-shutdown-"));

  async function runningOn(pool: string, name: string) {
    const worker = h.startWorker(["-p", pool, "--name", name, "--limit", "1"]);
    await h.waitForWorker(worker);
    const run = await h.client.deployments.run.mutate({ deployment: "slow/drain", parameters: { marker: path.join(dir, `${name}.txt`), seconds: 1.5 } });
    // The body has started (its side effect is there): RUNNING alone is set by the claim, before
    // the worker has the answer; a SIGTERM then cuts the claim and the run goes back to the queue.
    const marker = path.join(dir, `${name}.txt`);
    await waitFor(() => existsSync(marker) && readFileSync(marker, "utf8").startsWith("start"), 30_000, () => worker.output());
    return { worker, run };
  }

  it("the first SIGTERM drains (the run finishes, goodbye); a second forces (the run is reported CRASHED)", async () => {
    await h.client.workPools.create.mutate({ name: "drain", type: "node" });
    await h.client.deployments.create.mutate({ flow: "slow", name: "drain", entrypoint: "test/worker/fixtures/flows.ts:slow", workPool: "drain" });

    const gentle = await runningOn("drain", "gentle");
    gentle.worker.child.kill("SIGTERM");
    expect(await gentle.worker.exited).toBe(0);
    expect((await h.client.flowRuns.get.query({ id: gentle.run.id })).stateType).toBe("COMPLETED");
    expect(gentle.worker.output()).toMatch(/draining[\s\S]*completed[\s\S]*stopped/);
    const workers = await h.client.workers.list.query({ workPool: "drain" });
    expect(workers.find((w) => w.name === "gentle")?.status).not.toBe("ONLINE");

    const forced = await runningOn("drain", "forced");
    forced.worker.child.kill("SIGTERM");
    await waitFor(() => /draining/.test(forced.worker.output()), 10_000);
    forced.worker.child.kill("SIGTERM");
    expect(await forced.worker.exited).toBe(0);
    const run = await h.client.flowRuns.get.query({ id: forced.run.id });
    expect(run).toMatchObject({ stateType: "CRASHED", stateMessage: "the worker was stopped while running it" });
  });
});
