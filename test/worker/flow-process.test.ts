/**
 * Each TypeScript flow run executes in a process of its own: a real worker, a real API on
 * PostgreSQL, and flows whose bodies ignore the stop signal (plain timers, a synchronous loop),
 * so only stopping their process can stop them. Side-effect files count what really ran.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sleep } from "../helpers/services";
import { isAlive, REPO_ROOT, useWorkerHarness, waitFor } from "./harness";
import { isTerminalState } from "../../server/engine/state-types";

const FIXTURES = "test/worker/fixtures/flow-process.ts";

const lines = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []);
const pidIn = (line: string | undefined) => Number(line?.split(" ").at(-1));

describe("flow runs in their own process", () => {
  const h = useWorkerHarness();
  const dir = mkdtempSync(path.join(os.tmpdir(), "baton-flow-process-"));
  let worker: ReturnType<typeof h.startWorker>;

  async function finished(id: string) {
    return waitFor(async () => {
      const r = await h.client.flowRuns.get.query({ id });
      return isTerminalState(r.stateType) ? r : undefined;
    }, 30_000, () => worker.output());
  }

  /** The process is gone within a moment of the run's final state (the kill grace is 1 s). */
  async function gone(pid: number) {
    expect(pid).toBeGreaterThan(0);
    await waitFor(() => !isAlive(pid), 3_000, () => `pid ${pid} still alive\n${worker.output()}`);
  }

  /** Lines in `marker` stop growing: the same count now and `ms` later. */
  async function expectStopped(marker: string, ms = 800) {
    const before = lines(marker).length;
    await sleep(ms);
    expect(lines(marker).length).toBe(before);
  }

  it("a cancelled run's body stops for real, in a process that is gone, not the worker's", async () => {
    await h.client.workPools.create.mutate({ name: "iso", type: "node" });
    await h.client.deployments.create.mutate({ flow: "ticker", name: "t", entrypoint: `${FIXTURES}:ticker`, workPool: "iso" });
    worker = h.startWorker(["-p", "iso", "--name", "iso-1", "--limit", "2"]);
    await h.waitForWorker(worker);
    const marker = path.join(dir, "cancel.txt");
    const run = await h.client.deployments.run.mutate({ deployment: "ticker/t", parameters: { marker } });
    await waitFor(() => lines(marker).length >= 3, 30_000, () => worker.output());
    const pid = pidIn(lines(marker)[0]);
    expect(pid).not.toBe(worker.child.pid);

    await h.client.flowRuns.cancel.mutate({ id: run.id });
    const done = await finished(run.id);
    expect(done.stateType, done.stateMessage ?? "").toBe("CANCELLED");
    await gone(pid);
    await expectStopped(marker);
    expect(worker.child.exitCode).toBeNull();
  });

  it("a run past its timeout stops for real and is FAILED", async () => {
    await h.client.deployments.create.mutate({
      flow: "ticker",
      name: "timed",
      entrypoint: `${FIXTURES}:ticker`,
      workPool: "iso",
      parameterSchema: { type: "object", properties: {}, "x-baton": { timeoutSeconds: 1 } },
    });
    const marker = path.join(dir, "timeout.txt");
    const run = await h.client.deployments.run.mutate({ deployment: "ticker/timed", parameters: { marker } });
    const done = await finished(run.id);
    expect(done).toMatchObject({ stateType: "FAILED", stateMessage: "timed out after 1 s" });
    expect(lines(marker).length).toBeGreaterThanOrEqual(3);
    await gone(pidIn(lines(marker)[0]));
    await expectStopped(marker);
  });

  it("a body that loops synchronously (while (true) {}) is still cancelled: its process is killed", async () => {
    await h.client.deployments.create.mutate({ flow: "spinner", name: "s", entrypoint: `${FIXTURES}:spinner`, workPool: "iso" });
    const marker = path.join(dir, "spin.txt");
    const run = await h.client.deployments.run.mutate({ deployment: "spinner/s", parameters: { marker } });
    await waitFor(() => lines(marker).length === 1, 30_000, () => worker.output());
    const pid = pidIn(lines(marker)[0]);
    const cancelledAt = Date.now();
    await h.client.flowRuns.cancel.mutate({ id: run.id });
    const done = await finished(run.id);
    expect(done.stateType, done.stateMessage ?? "").toBe("CANCELLED");
    // The kill grace in the harness is 1 s; the heartbeat that carries the cancel is 250 ms.
    await gone(pid);
    expect(Date.now() - cancelledAt).toBeLessThan(5_000);
    expect(worker.output()).toMatch(/still running 1 s after it was told to stop: killed \(SIGKILL\)/);
    // The worker is free for the next run.
    const next = await h.client.deployments.run.mutate({ deployment: "ticker/timed", parameters: { marker: path.join(dir, "after-spin.txt") } });
    expect((await finished(next.id)).stateType).toBe("FAILED");
  });

  it("more than 10 tasks in one run: no MaxListenersExceededWarning", async () => {
    await h.client.deployments.create.mutate({ flow: "many-tasks", name: "m", entrypoint: `${FIXTURES}:manyTasks`, workPool: "iso" });
    const run = await h.client.deployments.run.mutate({ deployment: "many-tasks/m", parameters: { n: 15 } });
    const done = await finished(run.id);
    expect(done.stateType, done.stateMessage ?? "").toBe("COMPLETED");
    expect(await h.client.results.ofRun.query({ flowRunId: run.id })).toMatchObject({ value: 105 });
    expect(await h.client.taskRuns.list.query({ flowRunId: run.id })).toHaveLength(15);
    // A warning in the flow process would be on its stderr, which goes to the run's log and the worker's.
    await sleep(300);
    const logs = (await h.client.logs.list.query({ flowRunId: run.id })).items.map((l) => l.message).join("\n");
    expect(logs).not.toMatch(/MaxListeners|Warning/);
    expect(worker.output()).not.toMatch(/MaxListeners|Warning/);

    // Fifteen at once: fifteen listeners on the run's signal together, by design.
    const wide = await h.client.deployments.run.mutate({ deployment: "many-tasks/m", parameters: { n: 15, parallel: true } });
    expect(await finished(wide.id)).toMatchObject({ stateType: "COMPLETED" });
    expect(await h.client.results.ofRun.query({ flowRunId: wide.id })).toMatchObject({ value: 105 });
    await sleep(300);
    const wideLogs = (await h.client.logs.list.query({ flowRunId: wide.id })).items.map((l) => l.message).join("\n");
    expect(wideLogs).not.toMatch(/MaxListeners|Warning/);
    expect(worker.output()).not.toMatch(/MaxListeners|Warning/);
  });

  it("a flow file fixed between two runs: the next run on the same worker uses the new code", async () => {
    // Its own checkout, so the test can write flow files the worker may run.
    const checkout = mkdtempSync(path.join(os.tmpdir(), "baton-checkout-"));
    writeFileSync(path.join(checkout, "package.json"), JSON.stringify({ type: "module" }));
    const file = path.join(checkout, "fixable.ts");
    const source = (body: string) => `import { flow } from ${JSON.stringify(path.join(REPO_ROOT, "sdk/index.ts"))};\nexport const fixable = flow("fixable", async () => ${body});\n`;
    writeFileSync(file, `${source("{ throw new Error('broken: v1'); }")}`.replace("});", "}"));
    await h.client.workPools.create.mutate({ name: "fix", type: "node" });
    await h.client.deployments.create.mutate({ flow: "fixable", name: "f", entrypoint: "fixable.ts:fixable", workPool: "fix" });
    const fixer = h.startWorker(["-p", "fix", "--name", "fix-1", "--limit", "1", "--checkout", checkout]);
    await h.waitForWorker(fixer);

    const broken = await h.client.deployments.run.mutate({ deployment: "fixable/f" });
    const first = await finished(broken.id);
    expect(first.stateType).toBe("FAILED");
    expect(first.stateMessage).toMatch(/fixable\.ts|Expected|Unexpected|error/i);

    // Each version answers with the pid of the process that ran it.
    const runOnce = async () => {
      const r = await h.client.deployments.run.mutate({ deployment: "fixable/f" });
      const done = await finished(r.id);
      expect(done.stateType, `${done.stateMessage}\n${fixer.output()}`).toBe("COMPLETED");
      const [version, pid] = String((await h.client.results.ofRun.query({ flowRunId: r.id }))?.value).split(" ");
      return { version, pid: Number(pid) };
    };
    writeFileSync(file, source(`"v2 " + process.pid`));
    const v2 = await runOnce();
    expect(v2.version).toBe("v2");
    // Unchanged code: the same process serves the next run.
    expect(await runOnce()).toEqual(v2);
    writeFileSync(file, source(`"v3 " + process.pid`));
    const v3 = await runOnce();
    expect(v3.version).toBe("v3");
    expect(v3.pid).not.toBe(v2.pid);
    await waitFor(() => !isAlive(v2.pid), 5_000);
    // One worker process throughout.
    expect(fixer.child.exitCode).toBeNull();
    expect(fixer.output().match(/polling pool/g)).toHaveLength(1);
  });

  it("a task an earlier run left behind in a reused process is not recorded under the next run", async () => {
    await h.client.workPools.create.mutate({ name: "leave", type: "node" });
    await h.client.deployments.create.mutate({ flow: "leaver", name: "l", entrypoint: `${FIXTURES}:leaver`, workPool: "leave" });
    await h.client.deployments.create.mutate({ flow: "waiter", name: "w", entrypoint: `${FIXTURES}:waiter`, workPool: "leave" });
    const one = h.startWorker(["-p", "leave", "--name", "leave-1", "--limit", "1"]);
    await h.waitForWorker(one);
    const left = await h.client.deployments.run.mutate({ deployment: "leaver/l" });
    expect((await finished(left.id)).stateType).toBe("COMPLETED");
    // The next run in the same process: the left-behind task call happens while it waits.
    const next = await h.client.deployments.run.mutate({ deployment: "waiter/w", parameters: { ms: 1_500, n: 2 } });
    const done = await finished(next.id);
    expect(done.stateType, `${done.stateMessage}\n${one.output()}`).toBe("COMPLETED");
    const pidOf = async (id: string) => (await h.client.results.ofRun.query({ flowRunId: id }))?.value;
    expect(await pidOf(next.id)).toBe(await pidOf(left.id));
    expect((await h.client.taskRuns.list.query({ flowRunId: next.id })).map((t) => `${t.name} ${t.stateType}`)).toEqual(["add-0 COMPLETED", "add-1 COMPLETED"]);
    expect(await h.client.taskRuns.list.query({ flowRunId: left.id })).toEqual([]);
  });
});
