import { describe, expect, it } from "vitest";
import { RunSignals } from "../../server/engine/signals";
import { expectTrpcError, useTestApi } from "../helpers/api";

describe("worker protocol over the API", () => {
  const api = useTestApi();

  async function setup(pool: string, capabilities: Record<string, unknown> = {}) {
    const client = api.client();
    await client.workPools.create.mutate({ name: pool, type: "node" });
    for (const flow of ["etl", "flaky", "train"]) await client.flows.create.mutate({ name: `${flow}-${pool}` });
    const reg = await client.workers.register.mutate({ workPool: pool, name: `${pool}-w`, capabilities });
    return { client, reg };
  }

  it("register, claim with a lease, report states with it, and see the history", async () => {
    const { client, reg } = await setup("proto");
    expect(reg.heartbeatIntervalSeconds).toBeGreaterThan(0);
    const run = await client.flowRuns.create.mutate({ flow: "etl-proto", workPool: "proto", maxRetries: 0 });
    const [claimed] = await client.workers.claim.mutate({ workerId: reg.workerId, max: 5 });
    expect(claimed).toMatchObject({ id: run.id, stateType: "PENDING" });
    const running = await client.flowRuns.setState.mutate({ id: run.id, state: { type: "RUNNING" }, leaseToken: claimed!.leaseToken });
    expect(running.stateName).toBe("Running");
    await client.flowRuns.setState.mutate({ id: run.id, state: { type: "COMPLETED" }, leaseToken: claimed!.leaseToken });
    const history = await client.flowRuns.history.query({ id: run.id });
    expect(history.map((h) => `${h.toName}:${h.actor}`)).toEqual([
      "Scheduled:user",
      "Pending:worker:proto-w",
      "Running:worker:proto-w",
      "Completed:worker:proto-w",
    ]);
  });

  it("a stale lease is refused with reason LEASE_LOST, and the heartbeat says to stop", async () => {
    const { client, reg } = await setup("stale");
    const run = await client.flowRuns.create.mutate({ flow: "etl-stale", workPool: "stale" });
    const [claimed] = await client.workers.claim.mutate({ workerId: reg.workerId, start: true });
    await client.flowRuns.cancel.mutate({ id: run.id });
    let beat = await client.workers.heartbeat.mutate({ workerId: reg.workerId, runs: [{ id: run.id, leaseToken: claimed!.leaseToken }] });
    expect(beat).toEqual({ cancel: [run.id], stop: [] });
    await client.flowRuns.setState.mutate({ id: run.id, state: { type: "CANCELLED" }, leaseToken: claimed!.leaseToken });

    const wrong = "00000000-0000-4000-8000-000000000bad";
    const err = await expectTrpcError(
      client.flowRuns.setState.mutate({ id: run.id, state: { type: "COMPLETED" }, leaseToken: wrong }),
      "CONFLICT",
      /Lease lost .* Stop this run/,
    );
    expect(err.field).toBe("leaseToken");
    beat = await client.workers.heartbeat.mutate({ workerId: reg.workerId, runs: [{ id: run.id, leaseToken: claimed!.leaseToken }] });
    expect(beat.stop).toEqual([run.id]);
  });

  it("a failure with retries left comes back as AwaitingRetry", async () => {
    const { client, reg } = await setup("retry");
    const run = await client.flowRuns.create.mutate({ flow: "flaky-retry", workPool: "retry", maxRetries: 2, retryDelaySeconds: 60, retryBackoff: 2 });
    const [claimed] = await client.workers.claim.mutate({ workerId: reg.workerId, start: true });
    const after = await client.flowRuns.setState.mutate({ id: run.id, state: { type: "FAILED", message: "boom" }, leaseToken: claimed!.leaseToken });
    expect(after).toMatchObject({ stateType: "SCHEDULED", stateName: "AwaitingRetry" });
    expect(after.stateMessage).toMatch(/retry 1 of 2 in 60\.0 s after: boom/);
  });

  it("GPU work waits while only CPU workers exist, and the API says why", async () => {
    const { client, reg } = await setup("mixed", { cores: 2, memoryGb: 8 });
    const run = await client.flowRuns.create.mutate({ flow: "train-mixed", workPool: "mixed", requirements: { gpu: true } });
    expect(await client.workers.claim.mutate({ workerId: reg.workerId, max: 5 })).toEqual([]);
    const why = await client.flowRuns.explain.query({ id: run.id });
    expect(why).toMatchObject({ waiting: true });
    expect(why.reason).toMatch(/no online worker in pool "mixed" has what it requires \(\{"gpu":true\}\); online: mixed-w/);
    const gpu = await client.workers.register.mutate({ workPool: "mixed", name: "h100", capabilities: { gpu: true, gpus: 1 } });
    expect((await client.workers.claim.mutate({ workerId: gpu.workerId })).map((r) => r.id)).toEqual([run.id]);
  });

  it("a long-polling claim over HTTP returns as soon as a run is created", async () => {
    const signals = new RunSignals();
    await signals.start(api.database);
    try {
      const client = api.client({}, { signals });
      await client.workPools.create.mutate({ name: "poll", type: "node" });
      await client.flows.create.mutate({ name: "etl-poll" });
      const reg = await client.workers.register.mutate({ workPool: "poll", name: "poller" });
      const started = Date.now();
      const claiming = client.workers.claim.mutate({ workerId: reg.workerId, waitMs: 20_000 });
      while (signals.waiting(reg.workPoolId) === 0) await new Promise((r) => setTimeout(r, 5));
      const run = await client.flowRuns.create.mutate({ flow: "etl-poll", workPool: "poll" });
      const claimed = await claiming;
      expect(claimed.map((r) => r.id)).toEqual([run.id]);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await signals.stop();
    }
  });

  it("bad worker calls get clear errors", async () => {
    const client = api.client();
    await expectTrpcError(client.workers.register.mutate({ workPool: "nowhere", name: "w" }), "NOT_FOUND", /Work pool "nowhere"/);
    const err = await expectTrpcError(
      client.workers.claim.mutate({ workerId: "00000000-0000-4000-8000-0000000000aa" }),
      "NOT_FOUND",
      /not registered; register again/,
    );
    expect(err.field).toBe("workerId");
    await expectTrpcError(client.workers.claim.mutate({ workerId: "00000000-0000-4000-8000-0000000000aa", waitMs: 999_999 }), "BAD_REQUEST", /waitMs/);
  });
});
