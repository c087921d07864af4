import { describe, expect, it } from "vitest";
import { workers } from "../../drizzle/schema";
import { expectTrpcError, useTestApi } from "../helpers/api";
import { WS } from "../helpers/seed";

describe("workers", () => {
  const api = useTestApi();

  it("lists a pool's workers with their status and gets one", async () => {
    const caller = api.caller();
    const pool = await caller.workPools.create({ name: "w-pool", type: "node" });
    const [alive, silent, gone] = await api.db
      .insert(workers)
      .values([
        { workspaceId: WS, workPoolId: pool.id, name: "alive", capabilities: { gpu: true } },
        { workspaceId: WS, workPoolId: pool.id, name: "silent", lastHeartbeatAt: new Date(Date.now() - 10 * 60_000) },
        { workspaceId: WS, workPoolId: pool.id, name: "stopped", stoppedAt: new Date() },
      ])
      .returning();
    const list = await caller.workers.list({ workPool: "w-pool" });
    expect(list.map((w) => [w.name, w.status])).toEqual([
      ["alive", "ONLINE"],
      ["silent", "OFFLINE"],
      ["stopped", "OFFLINE"],
    ]);
    expect(await caller.workers.get({ id: alive!.id })).toMatchObject({
      name: "alive",
      workPoolName: "w-pool",
      capabilities: { gpu: true },
      status: "ONLINE",
      stoppedAt: null,
    });
    expect(silent!.id).not.toBe(gone!.id);
  });

  it("answers unknown pools and workers with NOT_FOUND and a bad id with BAD_REQUEST", async () => {
    const client = api.client();
    await expectTrpcError(client.workers.list.query({ workPool: "ghost" }), "NOT_FOUND", /Work pool "ghost"/);
    await expectTrpcError(client.workers.get.query({ id: "00000000-0000-4000-8000-000000000777" }), "NOT_FOUND", /Worker/);
    await expectTrpcError(client.workers.get.query({ id: "w1" }), "BAD_REQUEST", /id: must be a UUID/);
  });
});
