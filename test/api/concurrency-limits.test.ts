import { describe, expect, it } from "vitest";
import { expectTrpcError, useTestApi } from "../helpers/api";

describe("concurrencyLimits", () => {
  const api = useTestApi();

  it("creates, lists by tag and deletes tag limits", async () => {
    const caller = api.caller();
    expect(await caller.concurrencyLimits.create({ tag: "gpu", limit: 2 })).toMatchObject({ tag: "gpu", limit: 2 });
    await caller.concurrencyLimits.create({ tag: "db", limit: 0 });
    expect((await caller.concurrencyLimits.list()).map((l) => [l.tag, l.limit])).toEqual([
      ["db", 0],
      ["gpu", 2],
    ]);
    expect(await caller.concurrencyLimits.delete({ tag: "db" })).toEqual({ deleted: true });
    expect((await caller.concurrencyLimits.list()).map((l) => l.tag)).toEqual(["gpu"]);
  });

  it("refuses a duplicate tag, a negative limit and an unknown tag", async () => {
    const client = api.client();
    await client.concurrencyLimits.create.mutate({ tag: "once", limit: 1 });
    const dup = await expectTrpcError(client.concurrencyLimits.create.mutate({ tag: "once", limit: 3 }), "CONFLICT", /already exists/);
    expect(dup.field).toBe("tag");
    await expectTrpcError(client.concurrencyLimits.create.mutate({ tag: "neg", limit: -1 }), "BAD_REQUEST", /limit: must be 0 or more/);
    await expectTrpcError(client.concurrencyLimits.create.mutate({ tag: "", limit: 1 }), "BAD_REQUEST", /tag/);
    await expectTrpcError(client.concurrencyLimits.delete.mutate({ tag: "ghost" }), "NOT_FOUND", /Concurrency limit for tag "ghost"/);
  });
});
