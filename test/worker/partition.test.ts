/**
 * A worker cut off from the server (a TCP proxy the test controls between them) for twice the
 * worker timeout with its runs in flight, then healed; and connections reset mid-call.
 *
 * What a partition past the timeout means: the server cannot tell a cut-off worker from a dead
 * one, so the zombie killer crashes its runs and they are retried on a worker that can reach
 * it. A body that was running on the cut-off worker may therefore have run (in part or whole)
 * under the old lease as well: that is at-least-once by design, and what must hold is that
 *   - each lease (attempt) ran its body at most once, and the retry exactly once, to the end;
 *   - the cut-off worker's bodies still running at the heal are stopped (their lease is gone:
 *     no "end" under the old lease), and its late final reports are refused, not applied;
 *   - a run never crashed (on the connected worker) ran exactly once;
 *   - every run ends COMPLETED (none stuck, none lost).
 * Counted by side effects: each task body appends "start <run> <lease>" / "end <run> <lease>".
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { asc, inArray } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { stateHistory } from "../../drizzle/schema";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy";
import { sleep } from "../helpers/services";
import { sideEffects, useWorkerHarness, waitFor, type WorkerProcess } from "./harness";
import { isTerminalState } from "../../server/engine/state-types";

const WORKER_TIMEOUT_MS = 3_000;

describe("a worker cut off from the server", () => {
  const h = useWorkerHarness(
    { workerTimeoutMs: WORKER_TIMEOUT_MS, heartbeatIntervalMs: 500, servicesIntervalMs: 250, claimFallbackPollMs: 1_000, lateAfterMs: 60_000, pendingTimeoutMs: 60_000 },
    { services: true },
  );
  let proxy: TcpProxy | undefined;
  afterAll(async () => {
    await proxy?.close();
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), "baton-partition-"));
  let setUp: Promise<void> | undefined;
  /** The proxy in front of the API, the pool and a deployment whose runs are retried twice. */
  const setUpOnce = () =>
    (setUp ??= (async () => {
      proxy = await startTcpProxy({ targetPort: Number(new URL(h.apiUrl).port) });
      await h.client.workPools.create.mutate({ name: "cut", type: "node" });
      await h.client.deployments.create.mutate({
        flow: "counted",
        name: "d",
        entrypoint: "test/worker/fixtures/counted.ts:counted",
        workPool: "cut",
        parameterSchema: { "x-baton": { maxRetries: 2, retryDelaySeconds: 0 } },
      });
    })());
  const theProxy = () => proxy!;
  const runsDone = async (ids: string[]) => {
    const states = await Promise.all(ids.map((id) => h.client.flowRuns.get.query({ id })));
    return states.every((s) => isTerminalState(s.stateType)) ? states : undefined;
  };

  it("for twice the worker timeout: its runs are crashed and retried once elsewhere, its stale bodies stopped and late reports refused; all COMPLETED", async () => {
    await setUpOnce();
    const proxy = theProxy();
    const env = { BATON_WORKER_RETRY_REFUSED_S: "120" };
    const cutOff = h.startWorker(["-p", "cut", "--name", "cut-off", "--limit", "4"], { ...env, BATON_API_URL: `http://127.0.0.1:${proxy.port}/api`, BATON_WORKER_DATA_DIR: path.join(dir, "cut-off") });
    await h.waitForWorker(cutOff);
    const marker = path.join(dir, "partition.txt");
    // Two bodies that end during the partition, two still running when it heals.
    const short = await Promise.all([0, 1].map(() => h.client.deployments.run.mutate({ deployment: "counted/d", parameters: { marker, seconds: 3 } })));
    const long = await Promise.all([0, 1].map(() => h.client.deployments.run.mutate({ deployment: "counted/d", parameters: { marker, seconds: 12 } })));
    const held = [...short, ...long];
    await waitFor(() => held.every((r) => sideEffects(marker).get(r.id)?.length === 1), 30_000, () => cutOff.output());
    const firstLease = new Map(held.map((r) => [r.id, sideEffects(marker).get(r.id)![0]!.split(" ")[1]!]));

    await proxy.cut();
    const cutAt = Date.now();
    // A worker that still reaches the server, and more work while the other is cut off.
    const connected: WorkerProcess = h.startWorker(["-p", "cut", "--name", "connected", "--limit", "8"], { ...env, BATON_WORKER_DATA_DIR: path.join(dir, "connected") });
    await h.waitForWorker(connected);
    const during = await Promise.all([0, 1, 2].map(() => h.client.deployments.run.mutate({ deployment: "counted/d", parameters: { marker, seconds: 1 } })));
    await sleep(Math.max(0, cutAt + 2 * WORKER_TIMEOUT_MS - Date.now()));
    await proxy.heal();
    const outputs = () => `--- cut-off ---\n${cutOff.output()}\n--- connected ---\n${connected.output()}\n--- services ---\n${h.serviceLog.join("\n")}`;

    const all = [...held, ...during];
    const done = await waitFor(() => runsDone(all.map((r) => r.id)), 60_000, outputs);
    expect(done.map((r) => `${r.stateType}${r.stateType === "COMPLETED" ? "" : `: ${r.stateMessage}`}`), outputs()).toEqual(Array(all.length).fill("COMPLETED"));

    const effects = sideEffects(marker);
    const history = await h.db.select().from(stateHistory).where(inArray(stateHistory.flowRunId, all.map((r) => r.id))).orderBy(asc(stateHistory.id));
    const crashedRuns = new Set(history.filter((e) => e.toType === "CRASHED" && e.actor === "zombie-killer").map((e) => e.flowRunId));
    // The server could not hear the cut-off worker: all four of its runs were crashed, nothing else.
    expect([...crashedRuns].sort()).toEqual(held.map((r) => r.id).sort());
    for (const r of held) {
      const lines = effects.get(r.id)!;
      const leases = [...new Set(lines.map((l) => l.split(" ")[1]))];
      const first = firstLease.get(r.id)!;
      const retries = leases.filter((l) => l !== first);
      // One retry, which ran its body once, to the end.
      expect(retries, `run ${r.id}: ${lines.join(", ")}`).toHaveLength(1);
      expect(lines.filter((l) => l.endsWith(` ${retries[0]}`)), `run ${r.id}`).toEqual([`start ${retries[0]}`, `end ${retries[0]}`]);
      const old = lines.filter((l) => l.endsWith(` ${first}`));
      if (long.some((x) => x.id === r.id)) {
        // Still running at the heal: the worker learned its lease was gone and stopped it.
        expect(old, `run ${r.id}: the stale body was stopped`).toEqual([`start ${first}`]);
      } else {
        // Ended while cut off: its report was refused when it got through (the retry's stands).
        expect(old).toEqual([`start ${first}`, `end ${first}`]);
      }
    }
    // Its late reports (a task's COMPLETED, the flow's) were refused when they got through: the
    // worker dropped each run, or had its final report (which carries the task's journal)
    // refused, and reported none of them as completed.
    for (const r of held) {
      const name = done.find((d) => d.id === r.id)!.name;
      expect(cutOff.output(), outputs()).toMatch(new RegExp(`dropped ${name}: |report for ${name} refused by the server`));
      expect(cutOff.output()).not.toMatch(new RegExp(`completed ${name}`));
    }
    for (const r of during) expect(effects.get(r.id)!.map((l) => l.split(" ")[0]), `run ${r.id} on the connected worker`).toEqual(["start", "end"]);
    // The cut-off worker survived and serves again: a run it claims after the heal runs once.
    await connected.child.kill("SIGTERM");
    await connected.exited;
    const after = await h.client.deployments.run.mutate({ deployment: "counted/d", parameters: { marker, seconds: 0 } });
    await waitFor(() => runsDone([after.id]), 30_000, outputs);
    expect(sideEffects(marker).get(after.id)!.map((l) => l.split(" ")[0])).toEqual(["start", "end"]);
    expect(cutOff.child.exitCode).toBeNull();
  });

  it("a connection reset mid-call: a parked long-poll claim and a task's report cut before it reached the server; the run COMPLETED once", async () => {
    await setUpOnce();
    const proxy = theProxy();
    const marker = path.join(dir, "reset.txt");
    const worker = h.startWorker(["-p", "cut", "--name", "reset", "--limit", "2"], {
      BATON_WORKER_RETRY_REFUSED_S: "120",
      BATON_WORKER_CLAIM_WAIT_MS: "20000",
      BATON_API_URL: `http://127.0.0.1:${proxy.port}/api`,
      BATON_WORKER_DATA_DIR: path.join(dir, "reset"),
    });
    await h.waitForWorker(worker);
    // Its long poll is parked on the server: reset it.
    await sleep(500);
    expect(proxy.reset()).toBeGreaterThan(0);
    // The task's journal (its start, its COMPLETED), cut while it is sent — with the run's lines
    // or with its final report: it must be sent again, not fail the flow.
    const cutReport = proxy.resetNext(/^POST \/api\/trpc\/workers\.(progress|report)/, { when: "before" });
    const run = await h.client.deployments.run.mutate({ deployment: "counted/d", parameters: { marker, seconds: 0.2 } });
    await cutReport;
    const [done] = (await waitFor(() => runsDone([run.id]), 30_000, () => worker.output()))!;
    expect(done!.stateType, `${done!.stateMessage}\n${worker.output()}`).toBe("COMPLETED");
    expect(done!.runCount).toBe(1);
    expect(sideEffects(marker).get(run.id)!.map((l) => l.split(" ")[0])).toEqual(["start", "end"]);
    const task = await h.client.taskRuns.list.query({ flowRunId: run.id });
    expect(task.map((t) => t.stateType)).toEqual(["COMPLETED"]);
  });
});
