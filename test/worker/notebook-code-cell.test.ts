/**
 * A deployed notebook's TypeScript code cells on a Node worker: only on a pool that opted in
 * (base job template codeCells: true), each in a child process apart from the worker — no
 * environment, no file system, no child processes — fed its inputs and feeding the kinds after
 * it; a time limit that stops it; and a pool that opts out again refuses the next run.
 */
import { describe, expect, it } from "vitest";
import { isTerminalState } from "../../server/engine/state-types";
import { expectTrpcError } from "../helpers/api";
import { useWorkerHarness, waitFor } from "./harness";

const PROBE = `
const seen: Record<string, unknown> = { vectors: inputs.vectors.vectors.length, words: inputs.words };
seen.env = Object.keys(process.env);
const denied = async (f: () => unknown) => { try { await f(); return "allowed"; } catch (e) { return (e as { code?: string }).code ?? (e as Error).message; } };
const fs = await import("node:fs");
seen.workerEnviron = await denied(() => fs.readFileSync("/proc/" + process.ppid + "/environ"));
seen.home = await denied(() => fs.readdirSync(process.cwd()));
seen.write = await denied(() => fs.writeFileSync("/tmp/baton-code-cell-was-here", "x"));
seen.spawn = await denied(async () => (await import("node:child_process")).execSync("id"));
seen.thread = await denied(async () => new (await import("node:worker_threads")).Worker("1", { eval: true }));
console.log("probe looked at", Object.keys(seen).length, "things");
return seen;
`;

describe("a deployed notebook with code cells", () => {
  const h = useWorkerHarness();

  const finished = async (runId: string, output: () => string) =>
    waitFor(async () => {
      const r = await h.client.flowRuns.get.query({ id: runId });
      return isTerminalState(r.stateType) ? r : undefined;
    }, 90_000, output);

  it("runs them in a child process that cannot act as the worker, only on a pool that allows it", async () => {
    await h.client.workPools.create.mutate({ name: "code-off", type: "node" });
    await h.client.workPools.create.mutate({ name: "code-on", type: "node", baseJobTemplate: { codeCells: true } });
    const nb = await h.client.notebooks.create.mutate({
      name: "coded",
      cells: [
        { id: "words", kind: "code", parameters: { source: 'return ["apples and pears", "pears and plums", "plums and apples"];' } },
        { id: "vectors", kind: "encode", parameters: { encoder: "lexical", dimensions: 2 }, inputs: { texts: "words" } },
        { id: "probe", kind: "code", parameters: { source: PROBE }, inputs: { vectors: "vectors", words: "words" } },
      ],
    });
    await expectTrpcError(h.client.notebooks.deploy.mutate({ id: nb.id, workPool: "code-off" }), "BAD_REQUEST", /cell "words" is a code cell and pool "code-off" does not run code cells/);
    const deployment = await h.client.notebooks.deploy.mutate({ id: nb.id, workPool: "code-on" });

    const worker = h.startWorker(["-p", "code-on", "--name", "code-worker"]);
    await h.waitForWorker(worker);
    const run = await h.client.deployments.run.mutate({ deployment: deployment.id });
    const done = await finished(run.id, () => worker.output());
    expect(done.stateType, `${done.stateMessage}\n${worker.output()}`).toBe("COMPLETED");

    const tasks = await h.client.taskRuns.list.query({ flowRunId: run.id });
    const probe = tasks.find((t) => t.name === "probe")!;
    expect(probe.kind).toBe("code");
    const result = (await h.client.results.ofRun.query({ taskRunId: probe.id, includeData: true }))!;
    const seen = (result.storage === "inline" ? result.value : JSON.parse(Buffer.from(result.base64!, "base64").toString("utf8"))) as Record<string, unknown>;
    expect(seen).toEqual({
      vectors: 3,
      words: ["apples and pears", "pears and plums", "plums and apples"],
      env: [],
      workerEnviron: "ERR_ACCESS_DENIED",
      home: "ERR_ACCESS_DENIED",
      write: "ERR_ACCESS_DENIED",
      spawn: "ERR_ACCESS_DENIED",
      thread: "ERR_ACCESS_DENIED",
    });
    const logs = await h.client.logs.list.query({ taskRunId: probe.id });
    expect(logs.items.map((l) => l.message)).toContain("probe looked at 8 things");

    // A cell that never returns is stopped at its time limit, and the run fails saying so.
    const spin = await h.client.notebooks.create.mutate({ name: "spin", cells: [{ id: "forever", kind: "code", parameters: { source: "while (true) {}", timeoutSeconds: 1 } }] });
    const spinRun = await h.client.deployments.run.mutate({ deployment: (await h.client.notebooks.deploy.mutate({ id: spin.id, workPool: "code-on" })).id });
    const spun = await finished(spinRun.id, () => worker.output());
    expect(spun.stateType).toBe("FAILED");
    expect(spun.stateMessage).toMatch(/cell "forever" \(code\) failed: the code ran past its time limit of 1 s/);

    // The pool opts out: the next run of the deployed notebook fails before any cell runs.
    await h.client.workPools.update.mutate({ workPool: "code-on", baseJobTemplate: {} });
    const refused = await finished((await h.client.deployments.run.mutate({ deployment: deployment.id })).id, () => worker.output());
    expect(refused.stateType).toBe("FAILED");
    expect(refused.stateMessage).toMatch(/does not run code cells/);
  });
});
