import { describe, expect, it } from "vitest";
import { expectTrpcError, useTestApi } from "../helpers/api";

describe("workQueues", () => {
  const api = useTestApi();

  it("creates queues in a pool, lists them by priority, gets, updates and deletes", async () => {
    const caller = api.caller();
    await caller.workPools.create({ name: "wq-pool", type: "node" });
    const fast = await caller.workQueues.create({ workPool: "wq-pool", name: "fast", priority: 0, concurrencyLimit: 2 });
    expect(fast).toMatchObject({ name: "fast", workPoolName: "wq-pool", priority: 0, concurrencyLimit: 2, paused: false });
    await caller.workQueues.create({ workPool: "wq-pool", name: "slow", priority: 10 });
    expect((await caller.workQueues.list({ workPool: "wq-pool" })).map((q) => q.name)).toEqual(["fast", "default", "slow"]);
    expect((await caller.workQueues.get({ workPool: "wq-pool", workQueue: fast.id })).name).toBe("fast");
    const paused = await caller.workQueues.update({ workPool: "wq-pool", workQueue: "fast", paused: true, concurrencyLimit: null });
    expect(paused).toMatchObject({ paused: true, concurrencyLimit: null, priority: 0 });
    await caller.workQueues.delete({ workPool: "wq-pool", workQueue: "slow" });
    await expectTrpcError(
      caller.workQueues.get({ workPool: "wq-pool", workQueue: "slow" }),
      "NOT_FOUND",
      /Work queue "slow" in work pool "wq-pool" was not found/,
    );
  });

  it("keeps the default queue, refuses duplicates, unknown pools and bad numbers", async () => {
    const client = api.client();
    await client.workPools.create.mutate({ name: "wq-rules", type: "process" });
    await expectTrpcError(
      client.workQueues.delete.mutate({ workPool: "wq-rules", workQueue: "default" }),
      "PRECONDITION_FAILED",
      /cannot be deleted/,
    );
    const dup = await expectTrpcError(
      client.workQueues.create.mutate({ workPool: "wq-rules", name: "default" }),
      "CONFLICT",
      /already has a queue with this name/,
    );
    expect(dup.field).toBe("name");
    await expectTrpcError(client.workQueues.list.query({ workPool: "ghost" }), "NOT_FOUND", /Work pool "ghost"/);
    await expectTrpcError(
      client.workQueues.create.mutate({ workPool: "wq-rules", name: "neg", concurrencyLimit: -1 }),
      "BAD_REQUEST",
      /concurrencyLimit: must be 0 or more/,
    );
    await expectTrpcError(
      client.workQueues.update.mutate({ workPool: "wq-rules", workQueue: "default", priority: "high" as never }),
      "BAD_REQUEST",
      /priority/,
    );
  });
});
