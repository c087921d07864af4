/**
 * Task runs recorded after the fact (server/domain/task-run-events.ts): a worker journals a
 * first attempt's task runs — ids it made, starts, state changes with results — and sends the
 * journal with its lines (`workers.progress`) or its final report (`workers.report`), applied in
 * the transaction that writes them, under the run's lease. A journal delivered twice is applied
 * once; a stale lease, a key an earlier task run holds, or a gap in the versions writes nothing.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useTestApi } from "../helpers/api";
import { MemoryOutboxStore } from "../../workers/protocol/outbox";
import { ReportSender } from "../../workers/protocol/report-sender";

describe("task-run journals", () => {
  const api = useTestApi();

  async function claimedRun(pool: string) {
    const client = api.client();
    await client.workPools.create.mutate({ name: pool, type: "node" });
    await client.flows.create.mutate({ name: `f-${pool}` });
    const reg = await client.workers.register.mutate({ workPool: pool, name: `${pool}-w` });
    expect(reg.features).toContain("task-run-journal");
    await client.flowRuns.create.mutate({ flow: `f-${pool}`, workPool: pool });
    const [run] = await client.workers.claim.mutate({ workerId: reg.workerId, max: 1, start: true });
    return { client, run: run! };
  }

  const count = async (table: string, where = "true") =>
    Number(((await api.db.execute(`select count(*)::int as n from ${table} where ${where}`)) as unknown as { rows: { n: number }[] }).rows[0]!.n);

  it("progress stores a started task run, the lines that name it and its completion with its result; sent again, nothing is doubled", async () => {
    const { client, run } = await claimedRun("jr-progress");
    const id = randomUUID();
    const runs = [
      {
        runId: run.id,
        leaseToken: run.leaseToken,
        taskRuns: [
          { op: "start" as const, id, taskKey: "encode", dynamicKey: "0", name: "encode-0", parameters: { n: 3 }, tags: ["gpu"] },
          { op: "state" as const, id, version: 1, state: { type: "COMPLETED" as const }, result: { value: { vectors: 3 } } },
        ],
        logs: [{ taskRunId: id, level: 20, message: "encoded 3 texts" }],
      },
    ];
    expect((await client.workers.progress.mutate({ runs })).answers).toEqual([{ runId: run.id, ok: true }]);
    const task = await client.taskRuns.get.query({ id });
    expect(task).toMatchObject({ flowRunId: run.id, taskKey: "encode", name: "encode-0", stateType: "COMPLETED", stateVersion: 1, runCount: 1, tags: ["gpu"] });
    expect(task.startTime).not.toBeNull();
    expect((await client.results.ofRun.query({ taskRunId: id }))?.value).toEqual({ vectors: 3 });
    expect((await client.logs.list.query({ flowRunId: run.id })).items.map((l) => [l.taskRunId, l.message])).toEqual([[id, "encoded 3 texts"]]);
    expect((await client.taskRuns.history.query({ id })).map((h) => h.toType)).toEqual(["RUNNING", "COMPLETED"]);

    // The answer was lost on the way back: the worker sends the same journal again.
    const [results, history] = [await count("results"), await count("state_history", `task_run_id = '${id}'`)];
    expect((await client.workers.progress.mutate({ runs: runs.map((r) => ({ ...r, logs: [] })) })).answers).toEqual([{ runId: run.id, ok: true }]);
    expect(await count("results")).toBe(results);
    expect(await count("state_history", `task_run_id = '${id}'`)).toBe(history);
    expect(await count("task_runs", `flow_run_id = '${run.id}'`)).toBe(1);
  });

  it("a start delivered alone, then again with the task's end (the first answer lost): one task run, one result", async () => {
    const { client, run } = await claimedRun("jr-split");
    const id = randomUUID();
    const start = { op: "start" as const, id, taskKey: "split", dynamicKey: "0" };
    await client.workers.progress.mutate({ runs: [{ runId: run.id, leaseToken: run.leaseToken, taskRuns: [start] }] });
    expect(await client.taskRuns.get.query({ id })).toMatchObject({ stateType: "RUNNING", stateVersion: 0 });
    const results = await count("results");
    const again = await client.workers.progress.mutate({
      runs: [{ runId: run.id, leaseToken: run.leaseToken, taskRuns: [start, { op: "state", id, version: 1, state: { type: "COMPLETED" }, result: { value: "once" } }] }],
    });
    expect(again.answers).toEqual([{ runId: run.id, ok: true }]);
    expect(await client.taskRuns.get.query({ id })).toMatchObject({ stateType: "COMPLETED", stateVersion: 1 });
    expect(await count("results")).toBe(results + 1);
    expect((await client.results.ofRun.query({ taskRunId: id }))?.value).toBe("once");
    expect((await client.taskRuns.history.query({ id })).map((h) => h.toType)).toEqual(["RUNNING", "COMPLETED"]);
  });

  it("a final report carries the run's journal: task run and flow run end in one call", async () => {
    const { client, run } = await claimedRun("jr-report");
    const id = randomUUID();
    // The worker's clock: the task ran 300 ms, a second ago.
    const startedAt = new Date(Date.now() - 1300);
    const endedAt = new Date(startedAt.getTime() + 300);
    const { answers } = await client.workers.report.mutate({
      reports: [
        {
          runId: run.id,
          leaseToken: run.leaseToken,
          state: { type: "COMPLETED" },
          result: { value: 43 },
          taskRuns: [
            { op: "start", id, taskKey: "inc", dynamicKey: "0", at: startedAt.toISOString() },
            { op: "state", id, version: 1, state: { type: "COMPLETED" }, result: { value: 42 }, at: endedAt.toISOString() },
          ],
          logs: [{ taskRunId: id, level: 20, message: "inc ran" }],
        },
      ],
    });
    expect(answers).toEqual([{ runId: run.id, ok: true, stateType: "COMPLETED", stateName: "Completed" }]);
    const [task] = await client.taskRuns.list.query({ flowRunId: run.id });
    expect(task).toMatchObject({ id, stateType: "COMPLETED", name: "inc-0" });
    // Recorded after the fact, it keeps the times it ran at.
    expect(new Date(task!.startTime!).getTime()).toBe(startedAt.getTime());
    expect(new Date(task!.endTime!).getTime()).toBe(endedAt.getTime());
    expect((await client.taskRuns.history.query({ id })).map((h) => new Date(h.createdAt).getTime())).toEqual([startedAt.getTime(), endedAt.getTime()]);
    expect((await client.results.ofRun.query({ taskRunId: id }))?.value).toBe(42);
    expect((await client.results.ofRun.query({ flowRunId: run.id }))?.value).toBe(43);
  });

  it("a worker clock ahead of the server's is not believed: no time after now, no end before the start", async () => {
    const { client, run } = await claimedRun("jr-clock");
    const id = randomUUID();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    await client.workers.progress.mutate({
      runs: [{ runId: run.id, leaseToken: run.leaseToken, taskRuns: [{ op: "start", id, taskKey: "t", dynamicKey: "0", at: future }, { op: "state", id, version: 1, state: { type: "COMPLETED" }, at: new Date(0).toISOString() }] }],
    });
    const task = await client.taskRuns.get.query({ id });
    expect(new Date(task.startTime!).getTime()).toBeLessThanOrEqual(Date.now());
    expect(new Date(task.endTime!).getTime()).toBeGreaterThanOrEqual(new Date(task.startTime!).getTime());
  });

  it("tasks started within one millisecond are listed in the order they started (times to the microsecond)", async () => {
    const { client, run } = await claimedRun("jr-order");
    const base = new Date(Date.now() - 5_000).toISOString().replace("Z", "");
    const ids = [randomUUID(), randomUUID(), randomUUID()].sort().reverse();
    await client.workers.progress.mutate({
      runs: [{ runId: run.id, leaseToken: run.leaseToken, taskRuns: ids.map((id, i) => ({ op: "start" as const, id, taskKey: "t", dynamicKey: String(i), at: `${base}00${i + 1}Z` })) }],
    });
    expect((await client.taskRuns.list.query({ flowRunId: run.id })).map((t) => t.id)).toEqual(ids);
  });

  it("a task's retries travel as versions: failed, awaiting retry, retrying, completed", async () => {
    const { client, run } = await claimedRun("jr-retry");
    const id = randomUUID();
    const due = new Date(Date.now() + 1000).toISOString();
    const { answers } = await client.workers.progress.mutate({
      runs: [
        {
          runId: run.id,
          leaseToken: run.leaseToken,
          taskRuns: [
            { op: "start", id, taskKey: "flaky", dynamicKey: "0" },
            { op: "state", id, version: 1, state: { type: "FAILED", message: "boom" } },
            { op: "state", id, version: 2, state: { type: "SCHEDULED", name: "AwaitingRetry" }, scheduledTime: due },
            { op: "state", id, version: 3, state: { type: "RUNNING", name: "Retrying" } },
            { op: "state", id, version: 4, state: { type: "COMPLETED" }, result: { value: "ok" } },
          ],
        },
      ],
    });
    expect(answers).toEqual([{ runId: run.id, ok: true }]);
    expect(await client.taskRuns.get.query({ id })).toMatchObject({ stateType: "COMPLETED", stateVersion: 4, runCount: 2 });
    expect((await client.taskRuns.history.query({ id })).map((h) => h.toName)).toEqual(["Running", "Failed", "AwaitingRetry", "Retrying", "Completed"]);
  });

  it("a final report with more journal and lines than one call takes (a long outage) is sent whole, oldest first", async () => {
    const { client, run } = await claimedRun("jr-outage");
    const sender = new ReportSender(client as never, new MemoryOutboxStore(), () => {});
    const ids = Array.from({ length: 1_250 }, () => randomUUID());
    const taskRuns = ids.flatMap((id, i) => [
      { op: "start" as const, id, taskKey: "step", dynamicKey: String(i) },
      { op: "state" as const, id, version: 1, state: { type: "COMPLETED" as const }, result: { value: i } },
    ]);
    const logs = ids.map((id, i) => ({ flowRunId: run.id, taskRunId: id, level: 20, message: `step ${i}`, timestamp: new Date().toISOString() }));
    await sender.send({ runId: run.id, runName: run.name, leaseToken: run.leaseToken, state: { type: "COMPLETED" }, result: { value: "all" }, taskRuns, logs, createdAt: new Date().toISOString() });
    expect((await client.flowRuns.get.query({ id: run.id })).stateType).toBe("COMPLETED");
    expect(await count("task_runs", `flow_run_id = '${run.id}' and state_type = 'COMPLETED'`)).toBe(1_250);
    expect(await count("logs", `flow_run_id = '${run.id}'`)).toBe(1_250);
  });

  it("writes nothing under a stale lease, for a key an earlier task run holds, or with a version missing", async () => {
    const { client, run } = await claimedRun("jr-refused");
    const before = await count("task_runs", `flow_run_id = '${run.id}'`);

    const stale = await client.workers.progress.mutate({
      runs: [{ runId: run.id, leaseToken: randomUUID(), taskRuns: [{ op: "start", id: randomUUID(), taskKey: "t", dynamicKey: "0" }], logs: [{ level: 20, message: "forged" }] }],
    });
    expect(stale.answers[0]).toMatchObject({ ok: false, reason: "LEASE_LOST" });

    // An earlier attempt's task run holds the key: the journal may not make a second one.
    const earlier = await client.taskRuns.create.mutate({ flowRunId: run.id, taskKey: "held", flowRunLeaseToken: run.leaseToken, start: true });
    const clash = await client.workers.report.mutate({
      reports: [{ runId: run.id, leaseToken: run.leaseToken, state: { type: "COMPLETED" }, taskRuns: [{ op: "start", id: randomUUID(), taskKey: "held", dynamicKey: "0" }] }],
    });
    expect(clash.answers[0]).toMatchObject({ ok: false, code: "CONFLICT", field: "reports.0.taskRuns.0.id" });
    expect(clash.answers[0]!.ok === false && clash.answers[0]!.message).toMatch(new RegExp(`exists already as task run ${earlier.id}`));
    expect((await client.flowRuns.get.query({ id: run.id })).stateType).toBe("RUNNING");

    const id = randomUUID();
    const gap = await client.workers.progress.mutate({
      runs: [{ runId: run.id, leaseToken: run.leaseToken, taskRuns: [{ op: "start", id, taskKey: "gap", dynamicKey: "0" }, { op: "state", id, version: 2, state: { type: "COMPLETED" } }] }],
    });
    expect(gap.answers[0]).toMatchObject({ ok: false, code: "CONFLICT", field: "runs.0.taskRuns.1.version" });

    // A state change for a task run of another flow run is not found here.
    const other = await claimedRun("jr-other");
    const foreign = await other.client.taskRuns.create.mutate({ flowRunId: other.run.id, taskKey: "x", flowRunLeaseToken: other.run.leaseToken, start: true });
    const cross = await client.workers.progress.mutate({
      runs: [{ runId: run.id, leaseToken: run.leaseToken, taskRuns: [{ op: "state", id: foreign.id, version: 1, state: { type: "COMPLETED" } }] }],
    });
    expect(cross.answers[0]).toMatchObject({ ok: false, code: "NOT_FOUND", field: "runs.0.taskRuns.0.id" });
    expect((await other.client.taskRuns.get.query({ id: foreign.id })).stateType).toBe("RUNNING");

    expect(await count("task_runs", `flow_run_id = '${run.id}'`)).toBe(before + 1); // only "held"
    expect((await client.logs.list.query({ flowRunId: run.id })).items).toEqual([]);
  });
});
