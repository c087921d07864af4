/** A worker the server forgot (its row deleted) registers again under its name and carries on. */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { useWorkerHarness, waitFor } from "./harness";
import { isTerminalState } from "../../server/engine/state-types";

describe("a worker the server no longer knows", () => {
  const h = useWorkerHarness();

  it("registers again on WORKER_UNKNOWN and completes the next run", async () => {
    await h.client.workPools.create.mutate({ name: "forgetful", type: "node" });
    await h.client.deployments.create.mutate({ flow: "enc", name: "d", entrypoint: "kind:encode", workPool: "forgetful" });
    const worker = h.startWorker(["-p", "forgetful", "--name", "phoenix"]);
    await h.waitForWorker(worker);
    await h.db.execute(sql`DELETE FROM workers WHERE name = 'phoenix'`);
    await waitFor(() => /registered again with the server as phoenix/.test(worker.output()), 20_000, () => worker.output());
    const run = await h.client.deployments.run.mutate({ deployment: "enc/d", parameters: { texts: ["hello world", "good morning", "fine evening"] } });
    const done = await waitFor(async () => {
      const r = await h.client.flowRuns.get.query({ id: run.id });
      return isTerminalState(r.stateType) ? r : undefined;
    }, 60_000, () => worker.output());
    expect(done.stateType, `${done.stateMessage}\n${worker.output()}`).toBe("COMPLETED");
  });
});
