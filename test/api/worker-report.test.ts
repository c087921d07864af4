/**
 * `workers.report`: many runs' final reports in one call, each run's last log lines and end
 * state (with its result) in one transaction under its lease, one answer per run. A refused
 * report (lease gone) writes nothing — not its lines either — and does not hold back the others;
 * a report sent again after it was taken is refused and stores nothing twice.
 */
import { describe, expect, it } from "vitest";
import { expectTrpcError, useTestApi } from "../helpers/api";

describe("workers.report: final reports in batches", () => {
  const api = useTestApi();

  async function claimedRuns(pool: string, n: number) {
    const client = api.client();
    await client.workPools.create.mutate({ name: pool, type: "node" });
    await client.flows.create.mutate({ name: `f-${pool}` });
    const reg = await client.workers.register.mutate({ workPool: pool, name: `${pool}-w` });
    for (let i = 0; i < n; i++) await client.flowRuns.create.mutate({ flow: `f-${pool}`, workPool: pool });
    const runs = await client.workers.claim.mutate({ workerId: reg.workerId, max: n, start: true });
    expect(runs).toHaveLength(n);
    return { client, runs, workerId: reg.workerId };
  }

  const messages = async (client: ReturnType<typeof api.client>, flowRunId: string) =>
    (await client.logs.list.query({ flowRunId })).items.map((l) => l.message);

  it("completes one run with its result and lines and fails another, in one call", async () => {
    const { client, runs } = await claimedRuns("batch", 2);
    const [a, b] = runs as [(typeof runs)[number], (typeof runs)[number]];
    const { answers } = await client.workers.report.mutate({
      reports: [
        { runId: a.id, leaseToken: a.leaseToken, state: { type: "COMPLETED" }, result: { value: { rows: 3 } }, logs: [{ level: 20, message: "a: last line", timestamp: new Date().toISOString() }] },
        { runId: b.id, leaseToken: b.leaseToken, state: { type: "FAILED", message: "boom" }, logs: [{ level: 40, message: "b: traceback" }] },
      ],
    });
    expect(answers).toEqual([
      { runId: a.id, ok: true, stateType: "COMPLETED", stateName: "Completed" },
      { runId: b.id, ok: true, stateType: "FAILED", stateName: "Failed" },
    ]);
    expect((await client.results.ofRun.query({ flowRunId: a.id }))?.value).toEqual({ rows: 3 });
    expect(await messages(client, a.id)).toEqual(["a: last line"]);
    expect(await messages(client, b.id)).toEqual(["b: traceback"]);
    const history = await client.flowRuns.history.query({ id: a.id });
    expect(history.at(-1)).toMatchObject({ toType: "COMPLETED", actor: "worker:batch-w" });
  });

  it("a stale lease refuses that report alone, with nothing of it stored; a report sent twice is refused the second time", async () => {
    const { client, runs } = await claimedRuns("stale", 2);
    const [a, b] = runs as [(typeof runs)[number], (typeof runs)[number]];
    const staleToken = "00000000-0000-4000-8000-000000000001";
    const first = await client.workers.report.mutate({
      reports: [
        { runId: a.id, leaseToken: staleToken, state: { type: "COMPLETED" }, result: { value: "forged" }, logs: [{ level: 20, message: "forged line" }] },
        { runId: b.id, leaseToken: b.leaseToken, state: { type: "COMPLETED" }, logs: [{ level: 20, message: "b done" }] },
      ],
    });
    expect(first.answers[0]).toMatchObject({ runId: a.id, ok: false, reason: "LEASE_LOST" });
    expect(first.answers[1]).toMatchObject({ runId: b.id, ok: true, stateType: "COMPLETED" });
    expect((await client.flowRuns.get.query({ id: a.id })).stateType).toBe("RUNNING");
    expect(await messages(client, a.id)).toEqual([]);
    expect(await client.results.ofRun.query({ flowRunId: a.id })).toBeNull();

    // The worker did not hear the answer and sends b's report again: refused, nothing doubled.
    const again = await client.workers.report.mutate({ reports: [{ runId: b.id, leaseToken: b.leaseToken, state: { type: "COMPLETED" }, logs: [{ level: 20, message: "b done" }] }] });
    expect(again.answers[0]).toMatchObject({ runId: b.id, ok: false });
    expect(await messages(client, b.id)).toEqual(["b done"]);
    expect((await client.flowRuns.history.query({ id: b.id })).filter((h) => h.toType === "COMPLETED")).toHaveLength(1);
  });

  it("refuses malformed batches by field, before writing anything", async () => {
    const { client, runs } = await claimedRuns("bad", 1);
    const run = runs[0]!;
    await expectTrpcError(client.workers.report.mutate({ reports: [] }), "BAD_REQUEST");
    await expectTrpcError(
      client.workers.report.mutate({ reports: [{ runId: run.id, leaseToken: run.leaseToken, state: { type: "RUNNING" as "COMPLETED" } }] }),
      "BAD_REQUEST",
    );
    const lines = Array.from({ length: 600 }, (_, i) => ({ level: 20, message: `line ${i}` }));
    await expectTrpcError(
      client.workers.report.mutate({ reports: [{ runId: run.id, leaseToken: run.leaseToken, state: { type: "COMPLETED" }, logs: lines }, { runId: run.id, leaseToken: run.leaseToken, state: { type: "COMPLETED" }, logs: lines }] }),
      "BAD_REQUEST",
      /at most 1000 log lines/,
    );
    await expectTrpcError(
      client.workers.report.mutate({ reports: [{ runId: run.id, leaseToken: run.leaseToken, state: { type: "COMPLETED" }, logs: [{ level: 20, message: "nul \u0000 here" }] }] }),
      "BAD_REQUEST",
    );
    // A run this workspace does not have: the call is refused naming that report, nothing written.
    const unknown = "00000000-0000-4000-8000-0000000000ff";
    const err = await expectTrpcError(
      client.workers.report.mutate({ reports: [{ runId: run.id, leaseToken: run.leaseToken, state: { type: "COMPLETED" }, logs: [{ level: 20, message: "kept back" }] }, { runId: unknown, leaseToken: run.leaseToken, state: { type: "COMPLETED" } }] }),
      "NOT_FOUND",
    );
    expect(err.field).toBe("reports.1.runId");
    expect((await client.flowRuns.get.query({ id: run.id })).stateType).toBe("RUNNING");
    expect(await messages(client, run.id)).toEqual([]);
  });
});
