import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { flowRuns, workers } from "../../drizzle/schema";
import { killZombies } from "../../server/services/zombie-killer";
import { serviceContext, sleep } from "../helpers/services";
import { useWorkerHarness, waitFor } from "./harness";

describe("a worker whose heartbeat went stale", () => {
  const h = useWorkerHarness({ workerTimeoutMs: 2_000 });

  it("is granted no claim, even by the long poll it left open, until its next heartbeat; then it runs the run once", async () => {
    await h.client.workPools.create.mutate({ name: "frozen", type: "node" });
    await h.client.deployments.create.mutate({ flow: "sleeper", name: "stale", entrypoint: "test/worker/fixtures/flows.ts:sleeper", workPool: "frozen" });
    const marker = path.join(mkdtempSync(path.join(os.tmpdir(), "baton-stale-")), "marker.txt");
    // A long poll much longer than the worker timeout: the claim stays open on the server.
    const worker = h.startWorker(["-p", "frozen", "--name", "frozen-w", "--limit", "1"], { BATON_WORKER_CLAIM_WAIT_MS: "20000" });
    await h.waitForWorker(worker);
    await sleep(500); // its long poll is parked on the server
    // Frozen (as if cut off): no heartbeats for longer than the worker timeout.
    worker.child.kill("SIGSTOP");
    try {
      await sleep(2_500);
      const run = await h.client.deployments.run.mutate({ deployment: "sleeper/stale", parameters: { marker, seconds: 0.2 } });
      await sleep(1_000);
      // The open claim woke for the new run but was refused: the run is still waiting, held by nobody,
      // so there is nothing for the zombie killer to take back while the worker's body would run.
      const [waiting] = await h.db.select().from(flowRuns).where(eq(flowRuns.id, run.id));
      expect(waiting).toMatchObject({ stateType: "SCHEDULED", workerId: null, leaseToken: null });
      expect(await killZombies(serviceContext(h.db, { workerTimeoutMs: 2_000 }))).toBe(0);

      worker.child.kill("SIGCONT");
      const thawedAt = Date.now();
      const done = await waitFor(async () => {
        const r = await h.client.flowRuns.get.query({ id: run.id });
        return r.stateType === "COMPLETED" || r.stateType === "FAILED" || r.stateType === "CRASHED" ? r : undefined;
      }, 30_000, () => worker.output());
      expect(done.stateType, done.stateMessage ?? worker.output()).toBe("COMPLETED");
      // Its heartbeat revived it and woke the long poll it still held: no wait for a fallback poll.
      expect(Date.now() - thawedAt).toBeLessThan(5_000);
      const [w] = await h.db.select().from(workers).where(eq(workers.name, "frozen-w"));
      const [row] = await h.db.select().from(flowRuns).where(eq(flowRuns.id, run.id));
      expect(row!.workerId).toBe(w!.id);
      expect(readFileSync(marker, "utf8").trim().split("\n")).toEqual(["start", "end"]);
    } finally {
      worker.child.kill("SIGCONT");
    }
  });
});
