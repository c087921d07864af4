import { describe, expect, it } from "vitest";
import { expectTrpcError, useTestApi } from "../helpers/api";

describe("flows", () => {
  const api = useTestApi();

  it("creates, gets by name or id, and counts deployments and runs", async () => {
    const caller = api.caller();
    const flow = await caller.flows.create({ name: "hello", description: "says hi", tags: ["demo"] });
    expect(flow).toMatchObject({ name: "hello", description: "says hi", tags: ["demo"], deploymentCount: 0, lastRunAt: null });
    await caller.deployments.create({ flow: "hello", name: "a" });
    await caller.deployments.create({ flow: flow.id, name: "b" });
    const run = await caller.flowRuns.create({ flow: "hello" });
    const got = await caller.flows.get({ flow: flow.id });
    expect(got.deploymentCount).toBe(2);
    expect(got.lastRunAt).toBe(run.createdAt);
  });

  it("pages through flows by name", async () => {
    const caller = api.caller();
    for (const name of ["p-c", "p-a", "p-e", "p-b", "p-d"]) await caller.flows.create({ name });
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { name: string }[]; nextCursor: string | null } = await caller.flows.list({ limit: 2, cursor });
      names.push(...page.items.map((f) => f.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names.filter((n) => n.startsWith("p-"))).toEqual(["p-a", "p-b", "p-c", "p-d", "p-e"]);
    expect(new Set(names).size).toBe(names.length);
    await expectTrpcError(caller.flows.list({ cursor: "%%%" }), "BAD_REQUEST", /cursor/);
  });

  it("refuses duplicates and bad names, and deletes with its deployments and runs", async () => {
    const client = api.client();
    await client.flows.create.mutate({ name: "dup-flow" });
    const dup = await expectTrpcError(client.flows.create.mutate({ name: "dup-flow" }), "CONFLICT", /a flow with this name already exists/);
    expect(dup.field).toBe("name");
    await expectTrpcError(client.flows.create.mutate({ name: "a/b" }), "BAD_REQUEST", /name: must not contain/);
    await expectTrpcError(client.flows.create.mutate({ name: "t", tags: "x" as never }), "BAD_REQUEST", /tags/);

    await client.deployments.create.mutate({ flow: "dup-flow", name: "d" });
    const run = await client.flowRuns.create.mutate({ flow: "dup-flow" });
    await client.flows.delete.mutate({ flow: "dup-flow" });
    await expectTrpcError(client.flows.get.query({ flow: "dup-flow" }), "NOT_FOUND", /Flow "dup-flow" was not found/);
    await expectTrpcError(client.deployments.get.query({ deployment: "dup-flow/d" }), "NOT_FOUND");
    await expectTrpcError(client.flowRuns.get.query({ id: run.id }), "NOT_FOUND");
    await expectTrpcError(client.flows.delete.mutate({ flow: "dup-flow" }), "NOT_FOUND");
  });
});
