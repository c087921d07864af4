import { describe, expect, it } from "vitest";
import { DEFAULT_WORKSPACE_ID } from "../../drizzle/schema";
import type { StateType } from "../../server/engine/states";
import { setRunState } from "../../server/engine/transitions";
import { expectTrpcError, useTestApi } from "../helpers/api";

describe("flowRuns", () => {
  const api = useTestApi();

  /** Walks a run through the state machine, as a worker would. */
  async function moveTo(runId: string, ...types: StateType[]) {
    for (const type of types) {
      await setRunState({ db: api.db, workspaceId: DEFAULT_WORKSPACE_ID, kind: "flow", runId, to: { type }, actor: "test" });
    }
  }

  it("creates a run in SCHEDULED with a generated name, its first history row and the default queue", async () => {
    const caller = api.caller();
    await caller.flows.create({ name: "fr-flow" });
    await caller.workPools.create({ name: "fr-pool", type: "node" });
    const run = await caller.flowRuns.create({ flow: "fr-flow", workPool: "fr-pool", parameters: { a: 1 }, tags: ["t"], priority: 5 });
    expect(run).toMatchObject({
      flowName: "fr-flow",
      workPoolName: "fr-pool",
      workQueueName: "default",
      stateType: "SCHEDULED",
      stateName: "Scheduled",
      priority: 5,
      parameters: { a: 1 },
      tags: ["t"],
      runCount: 0,
      startTime: null,
      deploymentId: null,
    });
    expect(run.name).toMatch(/^[a-z]+-[a-z]+$/);
    expect(await caller.flowRuns.history({ id: run.id })).toEqual([
      expect.objectContaining({ fromType: null, fromName: null, toType: "SCHEDULED", toName: "Scheduled", actor: "user" }),
    ]);
    const named = await caller.flowRuns.create({ flow: "fr-flow", name: "my-run" });
    expect(named.name).toBe("my-run");
    expect(named.workPoolId).toBeNull();
  });

  it("returns the existing run for a repeated idempotency key, per flow", async () => {
    const caller = api.caller();
    await caller.flows.create({ name: "idem-a" });
    await caller.flows.create({ name: "idem-b" });
    const first = await caller.flowRuns.create({ flow: "idem-a", idempotencyKey: "once" });
    const second = await caller.flowRuns.create({ flow: "idem-a", idempotencyKey: "once", name: "ignored" });
    expect(second.id).toBe(first.id);
    expect(await caller.flowRuns.history({ id: first.id })).toHaveLength(1);
    const [c, d] = await Promise.all([
      caller.flowRuns.create({ flow: "idem-a", idempotencyKey: "race" }),
      caller.flowRuns.create({ flow: "idem-a", idempotencyKey: "race" }),
    ]);
    expect(c.id).toBe(d.id);
    const elsewhere = await caller.flowRuns.create({ flow: "idem-b", idempotencyKey: "once" });
    expect(elsewhere.id).not.toBe(first.id);
  });

  it("refuses unknown refs and bad input without a server error", async () => {
    const caller = api.caller();
    await caller.flows.create({ name: "refs" });
    await expectTrpcError(caller.flowRuns.create({ flow: "no-flow" }), "NOT_FOUND", /Flow "no-flow" was not found/);
    await expectTrpcError(caller.flowRuns.create({ flow: "refs", workPool: "no-pool" }), "NOT_FOUND", /Work pool "no-pool"/);
    const parent = await expectTrpcError(
      caller.flowRuns.create({ flow: "refs", parentFlowRunId: "00000000-0000-4000-8000-00000000dead" }),
      "NOT_FOUND",
      /Flow run 00000000-0000-4000-8000-00000000dead was not found/,
    );
    expect(parent.field).toBe("parentFlowRunId");
    await expectTrpcError(caller.flowRuns.get({ id: "00000000-0000-4000-8000-00000000beef" }), "NOT_FOUND");
    const client = api.client();
    await expectTrpcError(client.flowRuns.get.query({ id: "not-a-uuid" }), "BAD_REQUEST", /id: must be a UUID/);
    await expectTrpcError(
      client.flowRuns.create.mutate({ flow: "refs", scheduledTime: "tomorrow" }),
      "BAD_REQUEST",
      /scheduledTime: must be an ISO-8601 date-time/,
    );
    await expectTrpcError(client.flowRuns.create.mutate({ flow: "refs", priority: 1.5 }), "BAD_REQUEST", /priority/);
    await expectTrpcError(client.flowRuns.create.mutate({ flow: "refs", parameters: [] as never }), "BAD_REQUEST", /parameters/);
    await expectTrpcError(client.flowRuns.list.query({ states: ["DONE" as never] }), "BAD_REQUEST", /states\.0: must be one of/);
  });

  it("records subflow runs under their parent", async () => {
    const caller = api.caller();
    await caller.flows.create({ name: "parent-flow" });
    const parent = await caller.flowRuns.create({ flow: "parent-flow" });
    const child = await caller.flowRuns.create({ flow: "parent-flow", parentFlowRunId: parent.id });
    expect(child.parentFlowRunId).toBe(parent.id);
    const { items } = await caller.flowRuns.list({ parentFlowRunId: parent.id });
    expect(items.map((r) => r.id)).toEqual([child.id]);
  });

  it("cancels: SCHEDULED, PENDING and PAUSED at once, RUNNING through CANCELLING, a finished run refused", async () => {
    const caller = api.caller();
    await caller.flows.create({ name: "cancel-me" });
    const make = () => caller.flowRuns.create({ flow: "cancel-me" });

    const scheduled = await make();
    const cancelled = await caller.flowRuns.cancel({ id: scheduled.id, message: "not needed" });
    expect(cancelled).toMatchObject({ stateType: "CANCELLED", stateName: "Cancelled", stateMessage: "not needed" });
    expect(cancelled.endTime).not.toBeNull();
    const history = await caller.flowRuns.history({ id: scheduled.id });
    expect(history.at(-1)).toMatchObject({ fromType: "SCHEDULED", toType: "CANCELLED", actor: "user", message: "not needed" });

    const pending = await make();
    await moveTo(pending.id, "PENDING");
    expect((await caller.flowRuns.cancel({ id: pending.id })).stateType).toBe("CANCELLED");

    const paused = await make();
    await moveTo(paused.id, "RUNNING", "PAUSED");
    expect((await caller.flowRuns.cancel({ id: paused.id })).stateType).toBe("CANCELLED");

    const running = await make();
    await moveTo(running.id, "PENDING", "RUNNING");
    const cancelling = await caller.flowRuns.cancel({ id: running.id });
    expect(cancelling.stateType).toBe("CANCELLING");
    expect(cancelling.stateMessage).toBe("Cancelled by user");

    const done = await make();
    await moveTo(done.id, "RUNNING", "COMPLETED");
    const err = await expectTrpcError(
      caller.flowRuns.cancel({ id: done.id }),
      "PRECONDITION_FAILED",
      /the run is already Completed \(COMPLETED\), a final state/,
    );
    expect(err.message).toContain(done.id);
    await expectTrpcError(caller.flowRuns.cancel({ id: scheduled.id }), "PRECONDITION_FAILED", /already Cancelled/);
    await expectTrpcError(caller.flowRuns.cancel({ id: "00000000-0000-4000-8000-00000000c0de" }), "NOT_FOUND");
  });

  it("pages through a filtered list newest first, with no run twice and none left out", async () => {
    const caller = api.caller();
    await caller.flows.create({ name: "page-a" });
    await caller.flows.create({ name: "page-b" });
    const made: string[] = [];
    for (let i = 0; i < 7; i++) {
      made.push((await caller.flowRuns.create({ flow: "page-a", tags: i % 2 ? ["odd", "x"] : ["x"] })).id);
      await caller.flowRuns.create({ flow: "page-b", tags: ["x"] });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = await caller.flowRuns.list({ flow: "page-a", limit: 3, cursor });
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...made].reverse());

    const odd = await caller.flowRuns.list({ flow: "page-a", tags: ["odd", "x"], limit: 2 });
    expect(odd.items.map((r) => r.id)).toEqual([made[5], made[3]]);
    const rest = await caller.flowRuns.list({ flow: "page-a", tags: ["odd", "x"], limit: 2, cursor: odd.nextCursor });
    expect(rest.items.map((r) => r.id)).toEqual([made[1]]);
    expect(rest.nextCursor).toBeNull();

    await caller.flowRuns.cancel({ id: made[0]! });
    await caller.flowRuns.cancel({ id: made[6]! });
    const cancelled = await caller.flowRuns.list({ flow: "page-a", states: ["CANCELLED"], limit: 1 });
    expect(cancelled.items.map((r) => r.id)).toEqual([made[6]]);
    const next = await caller.flowRuns.list({ flow: "page-a", states: ["CANCELLED"], limit: 1, cursor: cancelled.nextCursor });
    expect(next.items.map((r) => r.id)).toEqual([made[0]]);

    const all = await caller.flowRuns.list();
    expect(all.items.length).toBeLessThanOrEqual(50);
  });

  it("filters by deployment and work pool, and refuses a cursor it did not hand out", async () => {
    const caller = api.caller();
    await caller.workPools.create({ name: "list-pool", type: "node" });
    await caller.deployments.create({ flow: "list-flow", name: "dep", workPool: "list-pool" });
    const run = await caller.deployments.run({ deployment: "list-flow/dep" });
    await caller.flowRuns.create({ flow: "list-flow" });
    expect((await caller.flowRuns.list({ deployment: "list-flow/dep" })).items.map((r) => r.id)).toEqual([run.id]);
    expect((await caller.flowRuns.list({ workPool: "list-pool" })).items.map((r) => r.id)).toEqual([run.id]);
    await expectTrpcError(caller.flowRuns.list({ workPool: "nope" }), "NOT_FOUND", /Work pool "nope"/);
    for (const cursor of ["garbage", Buffer.from('{"t":"x","i":1}').toString("base64url")]) {
      const err = await expectTrpcError(caller.flowRuns.list({ cursor }), "BAD_REQUEST", /cursor/);
      expect(err.field).toBe("cursor");
    }
  });
});
