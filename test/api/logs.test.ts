import { describe, expect, it } from "vitest";
import { expectTrpcError, useTestApi } from "../helpers/api";

describe("logs", () => {
  const api = useTestApi();

  async function runWithTask(name: string) {
    const caller = api.caller();
    await caller.flows.create({ name });
    const run = await caller.flowRuns.create({ flow: name });
    const task = await caller.taskRuns.create({ flowRunId: run.id, taskKey: "t" });
    return { run, task };
  }

  it("writes a batch and reads it oldest first, page by page, filtered by level and task", async () => {
    const caller = api.caller();
    const { run, task } = await runWithTask("logged");
    const base = Date.parse("2026-06-01T00:00:00Z");
    const batch = Array.from({ length: 9 }, (_, i) => ({
      flowRunId: run.id,
      level: i % 3 === 0 ? 40 : 20,
      message: `line ${i}`,
      // Two lines per millisecond: the keyset's id tiebreak must keep them apart.
      timestamp: new Date(base + Math.floor(i / 2)).toISOString(),
    }));
    expect(await caller.logs.create({ logs: batch })).toEqual({ count: 9, leaseLost: [] });
    await caller.logs.create({ logs: [{ taskRunId: task.id, level: 30, message: "from the task", timestamp: new Date(base + 100).toISOString() }] });

    const messages: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { message: string }[]; nextCursor: string | null } = await caller.logs.list({ flowRunId: run.id, limit: 4, cursor });
      messages.push(...page.items.map((l) => l.message));
      cursor = page.nextCursor;
    } while (cursor);
    expect(messages).toEqual([...batch.map((l) => l.message), "from the task"]);

    const errors = await caller.logs.list({ flowRunId: run.id, minLevel: 40 });
    expect(errors.items.map((l) => l.message)).toEqual(["line 0", "line 3", "line 6"]);
    const fromTask = await caller.logs.list({ taskRunId: task.id });
    expect(fromTask.items).toEqual([expect.objectContaining({ flowRunId: run.id, taskRunId: task.id, level: 30 })]);
  });

  it("refuses unknown runs, mismatched task runs, oversized batches and bad levels, writing nothing", async () => {
    const client = api.client();
    const { run, task } = await runWithTask("log-errors");
    const other = await runWithTask("log-other");
    const unknown = await expectTrpcError(
      client.logs.create.mutate({
        logs: [
          { flowRunId: run.id, level: 20, message: "ok" },
          { flowRunId: "00000000-0000-4000-8000-000000000555", level: 20, message: "lost" },
        ],
      }),
      "NOT_FOUND",
      /Flow run 00000000-0000-4000-8000-000000000555 was not found/,
    );
    expect(unknown.field).toBe("logs.1.flowRunId");
    await expectTrpcError(
      client.logs.create.mutate({ logs: [{ flowRunId: other.run.id, taskRunId: task.id, level: 20, message: "x" }] }),
      "BAD_REQUEST",
      /belongs to another flow run/,
    );
    expect((await client.logs.list.query({ flowRunId: run.id })).items).toEqual([]);
    const tooMany = Array.from({ length: 1001 }, () => ({ flowRunId: run.id, level: 20, message: "x" }));
    await expectTrpcError(client.logs.create.mutate({ logs: tooMany }), "BAD_REQUEST", /at most 1000/);
    await expectTrpcError(client.logs.create.mutate({ logs: [{ level: 1.5, message: "x" }] }), "BAD_REQUEST", /logs\.0\.level/);
    await expectTrpcError(client.logs.list.query({ cursor: "bm9wZQ" }), "BAD_REQUEST", /cursor/);
  });
});

describe("logs from workers carry their lease", () => {
  const api = useTestApi();

  it("stores lines with the run's current lease, drops stale ones and names their run", async () => {
    const client = api.client();
    await client.workPools.create.mutate({ name: "logs-pool", type: "node" });
    await client.flows.create.mutate({ name: "logged" });
    const a = await client.flowRuns.create.mutate({ flow: "logged", workPool: "logs-pool" });
    const b = await client.flowRuns.create.mutate({ flow: "logged", workPool: "logs-pool" });
    const reg = await client.workers.register.mutate({ workPool: "logs-pool", name: "w" });
    const claimed = await client.workers.claim.mutate({ workerId: reg.workerId, max: 2, start: true });
    const tokenOf = new Map(claimed.map((r) => [r.id, r.leaseToken]));
    const stale = "00000000-0000-4000-8000-00000000beef";
    const reply = await client.logs.create.mutate({
      logs: [
        { flowRunId: a.id, level: 20, message: "mine", leaseToken: tokenOf.get(a.id) },
        { flowRunId: b.id, level: 20, message: "not mine any more", leaseToken: stale },
        { flowRunId: b.id, level: 20, message: "from the server, no lease" },
      ],
    });
    expect(reply).toEqual({ count: 2, leaseLost: [b.id] });
    const stored = await client.logs.list.query({ flowRunId: b.id });
    expect(stored.items.map((l) => l.message)).toEqual(["from the server, no lease"]);
  });
});

describe("following a run's log", () => {
  const api = useTestApi();

  it("afterId returns only lines stored since, in storage order, even with older timestamps", async () => {
    const caller = api.caller();
    await caller.flows.create({ name: "tailed" });
    const run = await caller.flowRuns.create({ flow: "tailed" });
    await caller.logs.create({ logs: [{ flowRunId: run.id, level: 20, message: "first" }] });
    const start = await caller.logs.list({ flowRunId: run.id });
    expect(start.lastId).not.toBeNull();
    // A late batch whose line is stamped before the first one.
    await caller.logs.create({ logs: [{ flowRunId: run.id, level: 20, message: "late but older", timestamp: new Date(Date.now() - 60_000).toISOString() }] });
    const next = await caller.logs.list({ flowRunId: run.id, afterId: start.lastId! });
    expect(next.items.map((l) => l.message)).toEqual(["late but older"]);
    const none = await caller.logs.list({ flowRunId: run.id, afterId: next.lastId! });
    expect(none).toMatchObject({ items: [], lastId: null });
    await expectTrpcError(caller.logs.list({ flowRunId: run.id, afterId: 1, cursor: "abc" }), "BAD_REQUEST", /either cursor or afterId/);
  });
});
