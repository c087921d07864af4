/**
 * Lease loss seen by the flow process itself: the run's lease is taken away in the database
 * while its body keeps calling tasks and swallowing their errors. Heartbeats are 20 s apart here,
 * so the worker's heartbeat cannot be what stops it: the child's refused write must.
 */
import { sql } from "drizzle-orm";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sleep } from "../helpers/services";
import { useWorkerHarness, waitFor } from "./harness";

const lines = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []);

describe("a flow process whose lease is lost", () => {
  const h = useWorkerHarness({ heartbeatIntervalMs: 20_000, workerTimeoutMs: 120_000 });
  const dir = mkdtempSync(path.join(os.tmpdir(), "baton-flow-lease-"));

  it("stops at its first refused write, even when the flow catches the error; the worker reports nothing", async () => {
    await h.client.workPools.create.mutate({ name: "lease", type: "node" });
    await h.client.deployments.create.mutate({ flow: "stubborn", name: "s", entrypoint: "test/worker/fixtures/flow-process.ts:stubborn", workPool: "lease" });
    const worker = h.startWorker(["-p", "lease", "--name", "lease-1", "--limit", "1"]);
    await h.waitForWorker(worker);
    const marker = path.join(dir, "calls.txt");
    const run = await h.client.deployments.run.mutate({ deployment: "stubborn/s", parameters: { marker } });
    await waitFor(() => lines(marker).length >= 3, 30_000, () => worker.output());

    const stolenAt = Date.now();
    await h.db.execute(sql`UPDATE flow_runs SET lease_token = gen_random_uuid() WHERE id = ${run.id}`);
    await waitFor(() => /dropped .*lease lost/.test(worker.output()), 10_000, () => worker.output());
    expect(Date.now() - stolenAt).toBeLessThan(5_000);
    const count = lines(marker).length;
    await sleep(800);
    expect(lines(marker).length).toBe(count);
    // Nothing reported: the run is left to whoever holds the lease now.
    expect((await h.client.flowRuns.get.query({ id: run.id })).stateType).toBe("RUNNING");
    expect(worker.child.exitCode).toBeNull();
  });
});
