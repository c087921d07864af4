import { describe, expect, it } from "vitest";
import { expectTrpcError, useTestApi } from "../helpers/api";

describe("workspaces", () => {
  const api = useTestApi();

  it("lists the default workspace, creates one and gets it by slug or id", async () => {
    const caller = api.caller();
    expect((await caller.workspaces.list()).map((w) => w.slug)).toContain("default");
    const ws = await caller.workspaces.create({ slug: "research", name: "Research", description: "ML team" });
    expect(ws).toMatchObject({ slug: "research", name: "Research", description: "ML team" });
    expect((await caller.workspaces.get({ workspace: "research" })).id).toBe(ws.id);
    expect((await caller.workspaces.get({ workspace: ws.id })).slug).toBe("research");
  });

  it("scopes everything else to the workspace the header names", async () => {
    await api.caller().workspaces.create({ slug: "other", name: "Other" });
    const other = api.caller({ "x-baton-workspace": "other" });
    await other.flows.create({ name: "only-here" });
    await expectTrpcError(api.caller().flows.get({ flow: "only-here" }), "NOT_FOUND");
    expect((await other.flows.get({ flow: "only-here" })).name).toBe("only-here");
  });

  it("refuses a duplicate slug, a bad slug and an unknown workspace", async () => {
    const client = api.client();
    await client.workspaces.create.mutate({ slug: "dup", name: "Dup" });
    const dup = await expectTrpcError(client.workspaces.create.mutate({ slug: "dup", name: "Again" }), "CONFLICT", /already exists/);
    expect(dup.field).toBe("slug");
    await expectTrpcError(client.workspaces.create.mutate({ slug: "Not OK", name: "x" }), "BAD_REQUEST", /slug: must be lowercase/);
    await expectTrpcError(client.workspaces.create.mutate({ slug: "ok", name: 3 as never }), "BAD_REQUEST", /name/);
    await expectTrpcError(client.workspaces.get.query({ workspace: "ghost" }), "NOT_FOUND", /Workspace "ghost" was not found/);
  });
});
