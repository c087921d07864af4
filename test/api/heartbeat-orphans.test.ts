/**
 * A live worker's heartbeat lists the runs it holds; a run the server has on that worker but the
 * heartbeat leaves out (a claim whose answer was lost when the server died mid-reply, or a run of
 * an earlier process restarted under the same name) is taken back once it is older than the grace
 * for answers still on their way: RUNNING → CRASHED (retried by its policy), PENDING → back in the
 * queue. Found by the soak: such runs stayed RUNNING for good, their worker alive.
 */
import { describe, expect, it } from "vitest";
import { useTestApi } from "../helpers/api";

describe("heartbeats take back runs the worker does not hold", () => {
  const api = useTestApi();

  it("leaves fresh and listed runs alone; takes back the rest", async () => {
    const client = api.client();
    await client.workPools.create.mutate({ name: "orphans", type: "node" });
    await client.flows.create.mutate({ name: "f-orphans" });
    const reg = await client.workers.register.mutate({ workPool: "orphans", name: "w" });
    for (let i = 0; i < 3; i++) await client.flowRuns.create.mutate({ flow: "f-orphans", workPool: "orphans", maxRetries: i === 1 ? 1 : 0 });
    const running = await client.workers.claim.mutate({ workerId: reg.workerId, max: 2, start: true });
    const [pending] = await client.workers.claim.mutate({ workerId: reg.workerId, max: 1 });
    const [held, lost] = running as [(typeof running)[number], (typeof running)[number]];
    expect(pending?.stateType).toBe("PENDING");

    // Just given out: within the grace, even though the heartbeat does not list them.
    await client.workers.heartbeat.mutate({ workerId: reg.workerId, runs: [{ id: held.id, leaseToken: held.leaseToken }] });
    for (const r of [held, lost, pending!]) expect((await client.flowRuns.get.query({ id: r.id })).stateType).toBe(r.stateType);

    // A minute later (their state timestamps moved back), the unlisted ones are taken back.
    await api.db.execute(`update flow_runs set state_timestamp = now() - interval '1 minute' where id in ('${held.id}', '${lost.id}', '${pending!.id}')`);
    const reply = await client.workers.heartbeat.mutate({ workerId: reg.workerId, runs: [{ id: held.id, leaseToken: held.leaseToken }] });
    expect(reply).toEqual({ cancel: [], stop: [] });
    expect((await client.flowRuns.get.query({ id: held.id })).stateType).toBe("RUNNING");
    const crashed = await client.flowRuns.get.query({ id: lost.id });
    const history = await client.flowRuns.history.query({ id: lost.id });
    expect(history.map((h) => h.toType)).toContain("CRASHED");
    expect(history.find((h) => h.toType === "CRASHED")).toMatchObject({ actor: "heartbeat", message: expect.stringMatching(/no longer holds it/) });
    // Its retry policy decides what comes next (one retry: scheduled again).
    expect([lost.maxRetries > 0 ? "SCHEDULED" : "CRASHED"]).toContain(crashed.stateType);
    expect((await client.flowRuns.get.query({ id: pending!.id })).stateType).toBe("SCHEDULED");
    // Its old lease is gone: the lost run's late report is refused.
    const late = await client.workers.report.mutate({ reports: [{ runId: lost.id, leaseToken: lost.leaseToken, state: { type: "COMPLETED" } }] });
    expect(late.answers[0]).toMatchObject({ ok: false, reason: "LEASE_LOST" });
  });
});
