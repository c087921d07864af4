import { describe, expect, it } from "vitest";
import { isAlive, useWorkerHarness, waitFor } from "./harness";
import { isTerminalState } from "../../server/engine/state-types";

describe("process pools", () => {
  const h = useWorkerHarness();
  const finished = (id: string) => async () => {
    const r = await h.client.flowRuns.get.query({ id });
    return isTerminalState(r.stateType) ? r : undefined;
  };

  it("runs the pool's command: output lines become logs, metrics are recorded, output files become artifacts", async () => {
    await h.client.workPools.create.mutate({ name: "proc", type: "process", baseJobTemplate: { command: ["node", "test/worker/fixtures/job.mjs"] } });
    await h.client.deployments.create.mutate({ flow: "job", name: "train", workPool: "proc" });
    const worker = h.startWorker(["-p", "proc", "--name", "proc-1", "--limit", "2"]);
    await h.waitForWorker(worker);
    const run = await h.client.deployments.run.mutate({ deployment: "job/train", parameters: { mode: "train" } });
    const done = await waitFor(finished(run.id), 60_000, () => worker.output());
    expect(done.stateType, done.stateMessage ?? "").toBe("COMPLETED");
    const logs = (await h.client.logs.list.query({ flowRunId: run.id })).items;
    const messages = logs.map((l) => l.message);
    expect(messages).toEqual(expect.arrayContaining([`run ${run.id} mode=train same-file=true`, "wrote model.json", "metric loss=0.25 step=1"]));
    expect(logs.find((l) => l.message === "a warning on stderr")?.level).toBe(30);
    const artifacts = await h.client.artifacts.list.query({ flowRunId: run.id });
    const file = artifacts.find((a) => a.type === "file");
    expect(file).toMatchObject({ description: "model.json", data: { path: "model.json", mediaType: "application/json" } });
    const blob = await h.client.results.get.query({ id: (file!.data as { resultId: string }).resultId, includeData: true });
    expect(JSON.parse(Buffer.from(blob.base64!, "base64").toString())).toEqual({ weights: [1, 2, 3] });
    expect(artifacts.some((a) => a.type === "metrics")).toBe(true);

    const failing = await h.client.deployments.run.mutate({ deployment: "job/train", parameters: { mode: "train", exitCode: 3 } });
    const failed = await waitFor(finished(failing.id), 60_000, () => worker.output());
    expect(failed).toMatchObject({ stateType: "FAILED", stateMessage: "node exited with code 3" });
  });

  it("cancelling a long-running job stops it: SIGTERM, then SIGKILL, its child process gone, the run CANCELLED", async () => {
    const run = await h.client.deployments.run.mutate({ deployment: "job/train", parameters: { mode: "hang" } });
    const pidsLine = await waitFor(async () => (await h.client.logs.list.query({ flowRunId: run.id })).items.find((l) => l.message.startsWith("pids ")), 30_000);
    const [jobPid, sleeperPid] = pidsLine.message.split(" ").slice(1).map(Number) as [number, number];
    expect(isAlive(jobPid) && isAlive(sleeperPid)).toBe(true);
    await h.client.flowRuns.cancel.mutate({ id: run.id });
    const done = await waitFor(finished(run.id), 30_000);
    expect(done.stateType).toBe("CANCELLED");
    expect(isAlive(jobPid)).toBe(false);
    expect(isAlive(sleeperPid)).toBe(false);
    const messages = (await h.client.logs.list.query({ flowRunId: run.id })).items.map((l) => l.message);
    expect(messages).toEqual(expect.arrayContaining(["ignoring SIGTERM", expect.stringMatching(/sent SIGKILL/)]));
  });

  it("deployments in one pool run their own job variables: command, workingDir and env merged over the pool's", async () => {
    await h.client.workPools.create.mutate({
      name: "proc-jv",
      type: "process",
      baseJobTemplate: { command: ["node", "test/worker/fixtures/job.mjs"], env: { POOL_VAR: "pool", GREETING: "pool" } },
    });
    // "a" keeps the pool's command and overrides one env var; "b" runs another command elsewhere.
    await h.client.deployments.create.mutate({ flow: "jv", name: "a", workPool: "proc-jv", jobVariables: { env: { GREETING: "a" } } });
    const script = "console.log(`b in ${require('path').basename(process.cwd())} greeting=${process.env.GREETING} pool-var=${process.env.POOL_VAR}`)";
    await h.client.deployments.create.mutate({
      flow: "jv",
      name: "b",
      workPool: "proc-jv",
      jobVariables: { command: ["node", "-e", script], workingDir: "test/worker/fixtures", env: { GREETING: "b" } },
    });
    const worker = h.startWorker(["-p", "proc-jv", "--name", "proc-jv-1", "--limit", "2"]);
    await h.waitForWorker(worker);
    const a = await h.client.deployments.run.mutate({ deployment: "jv/a", parameters: { mode: "train" } });
    const b = await h.client.deployments.run.mutate({ deployment: "jv/b" });
    for (const run of [a, b]) {
      const done = await waitFor(finished(run.id), 60_000, () => worker.output());
      expect(done.stateType, done.stateMessage ?? "").toBe("COMPLETED");
    }
    const messages = async (id: string) => (await h.client.logs.list.query({ flowRunId: id })).items.map((l) => l.message);
    expect(await messages(a.id)).toEqual(expect.arrayContaining([`run ${a.id} mode=train same-file=true`, "greeting=a pool-var=pool"]));
    const bLogs = await messages(b.id);
    expect(bLogs).toContain("b in fixtures greeting=b pool-var=pool");
    expect(bLogs.some((m) => m.startsWith("run "))).toBe(false);
  });
});
