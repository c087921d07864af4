import { describe, expect, it } from "vitest";
import { expectTrpcError, useTestApi } from "../helpers/api";

describe("artifacts", () => {
  const api = useTestApi();

  it("creates artifacts for runs and tasks, lists them newest first by run or key, gets one", async () => {
    const caller = api.caller();
    await caller.flows.create({ name: "art" });
    const run = await caller.flowRuns.create({ flow: "art" });
    const task = await caller.taskRuns.create({ flowRunId: run.id, taskKey: "cluster" });
    const first = await caller.artifacts.create({ flowRunId: run.id, key: "accuracy", type: "table", data: [{ epoch: 1, acc: 0.7 }] });
    const second = await caller.artifacts.create({ taskRunId: task.id, key: "accuracy", type: "table", data: [{ epoch: 2, acc: 0.8 }] });
    expect(second.flowRunId).toBe(run.id);
    const loose = await caller.artifacts.create({ type: "markdown", description: "notes", data: "# hi" });
    expect(loose).toMatchObject({ flowRunId: null, taskRunId: null, key: null, data: "# hi" });

    expect((await caller.artifacts.list({ key: "accuracy" })).map((a) => a.id)).toEqual([second.id, first.id]);
    expect((await caller.artifacts.list({ flowRunId: run.id })).map((a) => a.id)).toEqual([second.id, first.id]);
    expect((await caller.artifacts.get({ id: first.id })).data).toEqual([{ epoch: 1, acc: 0.7 }]);
  });

  it("refuses unknown runs, bad keys and missing types", async () => {
    const client = api.client();
    await expectTrpcError(
      client.artifacts.create.mutate({ flowRunId: "00000000-0000-4000-8000-000000000444", type: "table" }),
      "NOT_FOUND",
      /Flow run .* was not found/,
    );
    await expectTrpcError(
      client.artifacts.create.mutate({ taskRunId: "00000000-0000-4000-8000-000000000443", type: "table" }),
      "NOT_FOUND",
      /Task run .* was not found/,
    );
    await expectTrpcError(client.artifacts.create.mutate({ key: "Bad Key", type: "table" }), "BAD_REQUEST", /key: must be lowercase/);
    await expectTrpcError(client.artifacts.create.mutate({} as never), "BAD_REQUEST", /type/);
    await expectTrpcError(client.artifacts.get.query({ id: "00000000-0000-4000-8000-000000000442" }), "NOT_FOUND", /Artifact/);
  });
});
