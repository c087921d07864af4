import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { killZombies } from "../../server/services/zombie-killer";
import { serviceContext } from "../helpers/services";
import { useWorkerHarness, waitFor } from "./harness";

describe("a worker killed mid-run", () => {
  const h = useWorkerHarness();

  it("SIGKILL: the run becomes CRASHED, is retried, and is completed exactly once by another worker", async () => {
    await h.client.workPools.create.mutate({ name: "crashy", type: "node" });
    const marker = path.join(mkdtempSync(path.join(os.tmpdir(), "baton-crash-")), "marker.txt");
    await h.client.deployments.create.mutate({
      flow: "slow",
      name: "once",
      entrypoint: "test/worker/fixtures/flows.ts:slow",
      workPool: "crashy",
      parameterSchema: { type: "object", "x-baton": { maxRetries: 1 } },
    });
    const first = h.startWorker(["-p", "crashy", "--name", "doomed", "--limit", "1"]);
    await h.waitForWorker(first);
    const run = await h.client.deployments.run.mutate({ deployment: "slow/once", parameters: { marker, seconds: 1.5 } });
    await waitFor(() => {
      try {
        return readFileSync(marker, "utf8").includes("start");
      } catch {
        return false;
      }
    }, 30_000, () => first.output());
    // The server has heard the task start (its journal goes within 50 ms): an interrupted task
    // run it knew was running, not one that died before anyone heard of it.
    await waitFor(async () => (await h.client.taskRuns.list.query({ flowRunId: run.id })).some((t) => t.stateType === "RUNNING"), 10_000, () => first.output());
    first.child.kill("SIGKILL");
    await first.exited;

    // The zombie killer, with a tiny worker timeout, finds the silent worker's run.
    const ctx = serviceContext(h.db, { workerTimeoutMs: 300 });
    await waitFor(async () => (await killZombies(ctx)) > 0, 10_000, () => ctx.logs.join("\n"));
    const history = await h.client.flowRuns.history.query({ id: run.id });
    expect(history.map((s) => s.toName)).toEqual(expect.arrayContaining(["Crashed", "AwaitingRetry"]));
    expect(history.find((s) => s.toName === "Crashed")!.message).toMatch(/worker "doomed" stopped heartbeating/);

    const second = h.startWorker(["-p", "crashy", "--name", "rescuer", "--limit", "1"]);
    const done = await waitFor(async () => {
      const r = await h.client.flowRuns.get.query({ id: run.id });
      return r.stateType === "COMPLETED" || r.stateType === "FAILED" ? r : undefined;
    }, 60_000, () => second.output());
    expect(done.stateType, done.stateMessage ?? "").toBe("COMPLETED");
    const after = await h.client.flowRuns.history.query({ id: run.id });
    expect(after.filter((s) => s.toType === "COMPLETED")).toHaveLength(1);
    expect(after.at(-1)!.actor).toBe("worker:rescuer");
    const lines = readFileSync(marker, "utf8").trim().split("\n");
    expect(lines.filter((l) => l.startsWith("done"))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith("start"))).toHaveLength(2);
    // The interrupted task run was recorded as crashed before it ran again.
    const [nap] = await h.client.taskRuns.list.query({ flowRunId: run.id });
    expect(nap).toMatchObject({ stateType: "COMPLETED", runCount: 2 });
  });
});
