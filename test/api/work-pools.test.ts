import { describe, expect, it } from "vitest";
import { expectTrpcError, useTestApi } from "../helpers/api";

describe("workPools", () => {
  const api = useTestApi();

  it("creates a pool with its default queue, lists and gets it by name or id", async () => {
    const caller = api.caller();
    const pool = await caller.workPools.create({ name: "gpu", type: "node", concurrencyLimit: 4 });
    expect(pool).toMatchObject({ name: "gpu", type: "node", concurrencyLimit: 4, paused: false });
    expect(typeof pool.createdAt).toBe("string");

    expect((await caller.workPools.list()).map((p) => p.name)).toContain("gpu");
    expect((await caller.workPools.get({ workPool: "gpu" })).id).toBe(pool.id);
    expect((await caller.workPools.get({ workPool: pool.id })).name).toBe("gpu");
  });

  it("pauses and deletes a pool", async () => {
    const caller = api.caller();
    await caller.workPools.create({ name: "tabs", type: "browser" });
    expect((await caller.workPools.update({ workPool: "tabs", paused: true })).paused).toBe(true);
    await caller.workPools.delete({ workPool: "tabs" });
    await expectTrpcError(caller.workPools.get({ workPool: "tabs" }), "NOT_FOUND", /Work pool "tabs" was not found/);
  });

  it("refuses bad input with BAD_REQUEST naming the field", async () => {
    const client = api.client();
    const err = await expectTrpcError(
      client.workPools.create.mutate({ name: "x", type: "kubernetes" as never }),
      "BAD_REQUEST",
      /type: must be one of browser, node, process/,
    );
    expect(err.field).toBe("type");
    await expectTrpcError(
      client.workPools.create.mutate({ name: "y", type: "node", concurrencyLimit: -1 }),
      "BAD_REQUEST",
      /concurrencyLimit/,
    );
    await expectTrpcError(client.workPools.create.mutate({ name: "", type: "node" }), "BAD_REQUEST", /name/);
  });

  it("answers a duplicate name with CONFLICT over HTTP, as a 409", async () => {
    const client = api.client();
    await client.workPools.create.mutate({ name: "dup", type: "process" });
    const err = await expectTrpcError(
      client.workPools.create.mutate({ name: "dup", type: "node" }),
      "CONFLICT",
      /already exists/,
    );
    expect(err.field).toBe("name");
    const res = await api.fetch("workPools.create", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "dup", type: "node" }),
    });
    expect(res.status).toBe(409);
  });

  it("an unknown workspace is NOT_FOUND, not a server error", async () => {
    await expectTrpcError(
      api.client({ "x-baton-workspace": "nope" }).workPools.list.query(),
      "NOT_FOUND",
      /Workspace "nope"/,
    );
  });
});
