/**
 * The server goes away while a worker's runs are in flight, and comes back. The worker carries
 * on: its bodies finish during the outage, their results and final reports wait (refused
 * connections retried, reports kept in the on-disk outbox) and are delivered when the server is
 * back. Counted by side effects: every body ran exactly once, no run is left RUNNING.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { useWorkerHarness, waitFor } from "./harness";

describe("a server outage with runs in flight", () => {
  const h = useWorkerHarness();

  it("bodies finish during the outage, and every run is COMPLETED exactly once when the server is back", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "baton-outage-"));
    const marker = path.join(dir, "side-effects.txt");
    await h.client.workPools.create.mutate({ name: "outage", type: "node" });
    await h.client.deployments.create.mutate({ flow: "sleeper", name: "d", entrypoint: "test/worker/fixtures/flows.ts:sleeper", workPool: "outage" });
    const worker = h.startWorker(["-p", "outage", "--name", "survivor", "--limit", "4"], {
      BATON_WORKER_DATA_DIR: path.join(dir, "worker"),
      BATON_WORKER_RETRY_REFUSED_S: "60",
    });
    await h.waitForWorker(worker);
    const runs = await Promise.all(Array.from({ length: 4 }, () => h.client.deployments.run.mutate({ deployment: "sleeper/d", parameters: { marker, seconds: 1 } })));
    const lines = () => {
      try {
        return readFileSync(marker, "utf8").split("\n").filter(Boolean);
      } catch {
        return [];
      }
    };
    await waitFor(() => lines().filter((l) => l === "start").length === 4, 30_000, () => worker.output());

    // Down for longer than the bodies take: they all end while nobody answers.
    await h.outage(3_000);

    const done = await waitFor(async () => {
      const states = await Promise.all(runs.map((r) => h.client.flowRuns.get.query({ id: r.id })));
      return states.every((s) => s.stateType === "COMPLETED") ? states : undefined;
    }, 60_000, () => worker.output());
    expect(done.map((r) => r.stateType)).toEqual(["COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED"]);
    expect(lines().sort()).toEqual([...Array(4).fill("end"), ...Array(4).fill("start")]);
    for (const r of runs) expect((await h.client.results.ofRun.query({ flowRunId: r.id }))?.value).toBe(1);
    expect(worker.output()).toMatch(/not answering \(connection refused\)/);
  });
});
