import { describe, expect, it } from "vitest";
import { expectTrpcError, useTestApi } from "../helpers/api";
import { DEFAULT_WORKSPACE_ID } from "../../drizzle/schema";
import { setRunState } from "../../server/engine/transitions";

describe("taskRuns", () => {
  const api = useTestApi();

  async function flowRun(name: string) {
    const caller = api.caller();
    await caller.flows.create({ name });
    return caller.flowRuns.create({ flow: name });
  }

  it("creates task runs in PENDING with history, links upstream tasks, lists them in order", async () => {
    const caller = api.caller();
    const run = await flowRun("tasks");
    const encode = await caller.taskRuns.create({ flowRunId: run.id, taskKey: "encode", kind: "encode", parameters: { model: "m" } });
    expect(encode).toMatchObject({
      flowRunId: run.id,
      taskKey: "encode",
      dynamicKey: "0",
      name: "encode-0",
      kind: "encode",
      stateType: "PENDING",
      stateName: "Pending",
      upstreamTaskRunIds: [],
    });
    const cluster = await caller.taskRuns.create({
      flowRunId: run.id,
      taskKey: "cluster",
      upstreamTaskRunIds: [encode.id],
      cacheKey: "abc",
      tags: ["gpu"],
    });
    expect(cluster.upstreamTaskRunIds).toEqual([encode.id]);
    expect((await caller.taskRuns.list({ flowRunId: run.id })).map((t) => t.taskKey)).toEqual(["encode", "cluster"]);
    expect((await caller.taskRuns.get({ id: cluster.id })).cacheKey).toBe("abc");
  });

  it("returns the same task run for the same task key and dynamic key", async () => {
    const caller = api.caller();
    const run = await flowRun("same-key");
    const a = await caller.taskRuns.create({ flowRunId: run.id, taskKey: "step" });
    const b = await caller.taskRuns.create({ flowRunId: run.id, taskKey: "step" });
    const c = await caller.taskRuns.create({ flowRunId: run.id, taskKey: "step", dynamicKey: "1" });
    expect(b.id).toBe(a.id);
    expect(c.id).not.toBe(a.id);
  });

  it("refuses unknown flow runs, upstream tasks of another run, and bad input", async () => {
    const caller = api.caller();
    const run = await flowRun("bad-tasks");
    const other = await flowRun("other-tasks");
    const foreign = await caller.taskRuns.create({ flowRunId: other.id, taskKey: "x" });
    const missing = await expectTrpcError(
      caller.taskRuns.create({ flowRunId: "00000000-0000-4000-8000-000000000999", taskKey: "x" }),
      "NOT_FOUND",
      /Flow run 00000000-0000-4000-8000-000000000999 was not found/,
    );
    expect(missing.field).toBe("flowRunId");
    const up = await expectTrpcError(
      caller.taskRuns.create({ flowRunId: run.id, taskKey: "y", upstreamTaskRunIds: [foreign.id] }),
      "NOT_FOUND",
      /was not found in flow run/,
    );
    expect(up.field).toBe("upstreamTaskRunIds");
    expect(await caller.taskRuns.list({ flowRunId: run.id })).toEqual([]);
    const client = api.client();
    await expectTrpcError(client.taskRuns.create.mutate({ flowRunId: run.id, taskKey: "" }), "BAD_REQUEST", /taskKey/);
    await expectTrpcError(client.taskRuns.get.query({ id: "nope" }), "BAD_REQUEST", /id: must be a UUID/);
    await expectTrpcError(client.taskRuns.get.query({ id: "00000000-0000-4000-8000-000000000998" }), "NOT_FOUND", /Task run/);
  });
});

describe("task result caching", () => {
  const api = useTestApi();

  it("a task run with the cache key of a completed one starts Cached with its result", async () => {
    const client = api.client();
    await client.flows.create.mutate({ name: "cached-flow" });
    const first = await client.flowRuns.create.mutate({ flow: "cached-flow" });
    const second = await client.flowRuns.create.mutate({ flow: "cached-flow" });
    const original = await client.taskRuns.create.mutate({ flowRunId: first.id, taskKey: "embed", cacheKey: "embed:doc-42" });
    expect(original.stateName).toBe("Pending");
    // Not completed yet: nothing to reuse.
    const early = await client.taskRuns.create.mutate({ flowRunId: second.id, taskKey: "embed-early", cacheKey: "embed:doc-42" });
    expect(early.stateName).toBe("Pending");

    await setRunState({ db: api.db, workspaceId: DEFAULT_WORKSPACE_ID, kind: "task", runId: original.id, to: { type: "RUNNING" }, actor: "test" });
    await setRunState({ db: api.db, workspaceId: DEFAULT_WORKSPACE_ID, kind: "task", runId: original.id, to: { type: "COMPLETED" }, actor: "test" });
    const cached = await client.taskRuns.create.mutate({ flowRunId: second.id, taskKey: "embed", cacheKey: "embed:doc-42" });
    expect(cached).toMatchObject({ stateType: "COMPLETED", stateName: "Cached" });
    expect(cached.stateMessage).toContain(original.id);

    // An expired cache is not reused.
    const third = await client.flowRuns.create.mutate({ flow: "cached-flow" });
    const expiring = await client.taskRuns.create.mutate({ flowRunId: third.id, taskKey: "short", cacheKey: "short-lived", cacheExpiresAt: new Date(Date.now() - 1000).toISOString() });
    await setRunState({ db: api.db, workspaceId: DEFAULT_WORKSPACE_ID, kind: "task", runId: expiring.id, to: { type: "RUNNING" }, actor: "test" });
    await setRunState({ db: api.db, workspaceId: DEFAULT_WORKSPACE_ID, kind: "task", runId: expiring.id, to: { type: "COMPLETED" }, actor: "test" });
    const fresh = await client.taskRuns.create.mutate({ flowRunId: third.id, taskKey: "short-again", cacheKey: "short-lived" });
    expect(fresh.stateName).toBe("Pending");
  });
});
