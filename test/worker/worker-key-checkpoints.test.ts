/**
 * A `process` pool's worker with a pool-scoped key (auth on): the files its job leaves (a
 * checkpoint, an output file) are results written for the run under its lease, so the same key
 * reads them back — a retried run is given its checkpoint (before results.flow_run_id, drizzle
 * 0021, the retry failed: "id: a worker key must name the run it works on") — and a key scoped to
 * another pool may not read them.
 */
import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import type { AppRouter } from "../../server/api/root";
import { useKeyedWorkerHarness, waitFor } from "./harness";
import { isTerminalState } from "../../server/engine/state-types";

const SECRET = "a worker-key test secret that is long enough";

describe("a process pool's files under a pool-scoped key", () => {
  const { h, client, signUpOwner } = useKeyedWorkerHarness(SECRET);

  it("a retry restores the checkpoint the first attempt saved; the output files are readable by the pool's key, not by another pool's", async () => {
    const owner = await signUpOwner();
    // First attempt: a checkpoint, then a crash; the retry prints what it was given back and writes an output file.
    const script = 'if [ -n "$BATON_RESUME_FROM" ]; then echo "resumed from $(cat "$BATON_RESUME_FROM")"; echo done > "$BATON_OUTPUT_DIR/out.txt"; exit 0; fi; echo step-7 > "$BATON_CHECKPOINT_DIR/ck.txt"; sleep 1; exit 1';
    await owner.workPools.create.mutate({ name: "trainers", type: "process", baseJobTemplate: { command: ["/bin/sh", "-c", script], checkpointIntervalSeconds: 0.2 } });
    await owner.workPools.create.mutate({ name: "elsewhere", type: "node" });
    await owner.deployments.create.mutate({ flow: "fine-tune", name: "main", workPool: "trainers", policy: { maxRetries: 1, retryDelaySeconds: 0 } });
    const key = await owner.apiKeys.create.mutate({ name: "trainer-key", role: "worker", workPools: ["trainers"] });
    const other = await owner.apiKeys.create.mutate({ name: "other-key", role: "worker", workPools: ["elsewhere"] });

    const worker = h.startWorker(["-p", "trainers", "--name", "trainer-1"], { BATON_API_KEY: key.key });
    await h.waitForWorker(worker);
    const run = await owner.deployments.run.mutate({ deployment: "fine-tune/main" });
    const done = await waitFor(async () => {
      const r = await owner.flowRuns.get.query({ id: run.id });
      return isTerminalState(r.stateType) ? r : undefined;
    }, 60_000, () => worker.output());
    expect(done.stateType, `${done.stateMessage}\n${worker.output()}`).toBe("COMPLETED");
    expect(done.runCount).toBe(2);
    const logs = (await owner.logs.list.query({ flowRunId: run.id, limit: 1000 })).items.map((l) => l.message);
    expect(logs).toEqual(expect.arrayContaining(["resuming from checkpoint ck.txt of an earlier attempt", "resumed from step-7"]));

    const outputs = ((await owner.results.ofRun.query({ flowRunId: run.id }))!.value as { outputs: Record<string, string> }).outputs;
    const checkpoint = (await owner.artifacts.list.query({ flowRunId: run.id })).find((a) => a.type === "checkpoint")!.data as { resultId: string };
    for (const id of [outputs["out.txt"]!, checkpoint.resultId]) {
      const mine = await client({ authorization: `Bearer ${key.key}` }).results.get.query({ id, includeData: true });
      expect(mine.base64).not.toBeNull();
      const refused = await client({ authorization: `Bearer ${other.key}` })
        .results.get.query({ id })
        .catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(TRPCClientError);
      expect((refused as TRPCClientError<AppRouter>).data?.code).toBe("FORBIDDEN");
    }
  }, 90_000);
});
