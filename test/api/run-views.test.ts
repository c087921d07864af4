/**
 * What the run page reads beyond the run itself: a task run's state history and its neighbours
 * in the DAG (upstream, downstream), a subflow's runs under its parent, and results as a person
 * sees them (whole when small, cut down when large, only their facts for bytes).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FilesystemBlobStore, setBlobStore } from "../../server/blobs";
import { PREVIEW_LIMITS } from "../../server/domain/result-preview";
import { expectTrpcError, useTestApi } from "../helpers/api";

const MISSING = "00000000-0000-4000-8000-000000000999";

describe("run views", () => {
  const api = useTestApi();
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-run-views-"));
    setBlobStore(new FilesystemBlobStore(dir));
  });
  afterAll(() => {
    setBlobStore(undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function flowRun(name: string) {
    const caller = api.caller();
    await caller.flows.create({ name });
    return caller.flowRuns.create({ flow: name });
  }

  /** A task run taken to COMPLETED with an inline result. */
  async function completedTask(flowRunId: string, taskKey: string, value: unknown, upstreamTaskRunIds: string[] = []) {
    const caller = api.caller();
    const task = await caller.taskRuns.create({ flowRunId, taskKey, upstreamTaskRunIds, start: true });
    await caller.taskRuns.setState({ id: task.id, state: { type: "COMPLETED" }, result: { value } });
    return task;
  }

  it("taskRuns.history: a task run's state changes, oldest first", async () => {
    const caller = api.caller();
    const run = await flowRun("views-history");
    const task = await caller.taskRuns.create({ flowRunId: run.id, taskKey: "step" });
    await caller.taskRuns.setState({ id: task.id, state: { type: "RUNNING" } });
    await caller.taskRuns.setState({ id: task.id, state: { type: "FAILED", message: "boom" } });
    const history = await caller.taskRuns.history({ id: task.id });
    expect(history.map((h) => `${h.fromType ?? "-"}>${h.toType}`)).toEqual(["->PENDING", "PENDING>RUNNING", "RUNNING>FAILED"]);
    expect(history[2]).toMatchObject({ message: "boom", toName: "Failed" });
    await expectTrpcError(caller.taskRuns.history({ id: MISSING }), "NOT_FOUND", /Task run/);
  });

  it("taskRuns.neighbours: what a task consumed and what consumed it, within its flow run", async () => {
    const caller = api.caller();
    const run = await flowRun("views-dag");
    const load = await completedTask(run.id, "load", { rows: 3 });
    const clean = await completedTask(run.id, "clean", 1, [load.id]);
    const stats = await completedTask(run.id, "stats", 2, [load.id, clean.id]);
    const report = await completedTask(run.id, "report", 3, [stats.id]);
    // Another run's task pointing nowhere near: not a neighbour.
    const other = await flowRun("views-dag-other");
    await completedTask(other.id, "load", 0);

    const ofLoad = await caller.taskRuns.neighbours({ id: load.id });
    expect(ofLoad.upstream).toEqual([]);
    expect(ofLoad.downstream.map((t) => t.taskKey)).toEqual(["clean", "stats"]);
    const ofStats = await caller.taskRuns.neighbours({ id: stats.id });
    expect(ofStats.upstream.map((t) => t.taskKey)).toEqual(["load", "clean"]);
    expect(ofStats.downstream.map((t) => t.id)).toEqual([report.id]);
    await expectTrpcError(caller.taskRuns.neighbours({ id: MISSING }), "NOT_FOUND", /Task run/);
  });

  it("a subflow's runs are listed under the parent, and name it", async () => {
    const caller = api.caller();
    const parent = await flowRun("views-parent");
    await caller.flows.create({ name: "views-child" });
    const child = await caller.flowRuns.create({ flow: "views-child", parentFlowRunId: parent.id });
    const children = await caller.flowRuns.list({ parentFlowRunId: parent.id });
    expect(children.items.map((r) => r.id)).toEqual([child.id]);
    expect((await caller.flowRuns.get({ id: child.id })).parentFlowRunId).toBe(parent.id);
  });

  it("results.preview: a small result whole, a large one cut down with its cuts named, bytes as facts only", async () => {
    const caller = api.caller();
    const run = await flowRun("views-results");
    expect(await caller.results.preview({ flowRunId: run.id })).toBeNull();

    const small = await completedTask(run.id, "small", { rows: [{ a: 1, b: "x" }], ok: true });
    expect(await caller.results.preview({ taskRunId: small.id })).toMatchObject({
      storage: "inline",
      format: "json",
      preview: "full",
      value: { rows: [{ a: 1, b: "x" }], ok: true },
      cuts: [],
    });

    // About 200 KB of JSON inline: over the preview's whole-value size, so cut to the first rows.
    const rows = Array.from({ length: 2_000 }, (_, i) => ({ id: i, label: `row ${i}`, score: i / 2_000, note: "n".repeat(60) }));
    const large = await completedTask(run.id, "large", { rows, text: "t".repeat(10_000) });
    const preview = await caller.results.preview({ taskRunId: large.id });
    expect(preview).toMatchObject({ storage: "inline", format: "json", preview: "partial", cuts: [{ path: "/rows", total: 2_000 }] });
    const value = preview!.value as { rows: unknown[]; text: string };
    expect(value.rows).toHaveLength(PREVIEW_LIMITS.items);
    expect(value.rows[0]).toEqual(rows[0]);
    expect(value.text).toHaveLength(PREVIEW_LIMITS.chars + 1);
    expect(JSON.stringify(preview).length).toBeLessThan(64 * 1024);

    // A JSON blob is read and cut down the same way; bytes are only described.
    const blob = await caller.results.create({ base64: Buffer.from(JSON.stringify({ rows })).toString("base64"), mediaType: "application/json" });
    const blobTask = await caller.taskRuns.create({ flowRunId: run.id, taskKey: "blob", start: true });
    await caller.taskRuns.setState({ id: blobTask.id, state: { type: "COMPLETED" }, resultId: blob.id });
    expect(await caller.results.preview({ taskRunId: blobTask.id })).toMatchObject({ storage: "blob", format: "json", preview: "partial", cuts: [{ path: "/rows", total: 2_000 }] });

    const bytes = await caller.results.create({ base64: Buffer.from([0, 1, 2, 3]).toString("base64"), mediaType: "application/octet-stream" });
    const bytesTask = await caller.taskRuns.create({ flowRunId: run.id, taskKey: "bytes", start: true });
    await caller.taskRuns.setState({ id: bytesTask.id, state: { type: "COMPLETED" }, resultId: bytes.id });
    expect(await caller.results.preview({ taskRunId: bytesTask.id })).toEqual({
      resultId: bytes.id,
      storage: "blob",
      mediaType: "application/octet-stream",
      sizeBytes: 4,
      format: "bytes",
      preview: "none",
      value: null,
      cuts: [],
    });

    await expectTrpcError(caller.results.preview({}), "BAD_REQUEST", /exactly one/);
    await expectTrpcError(caller.results.preview({ flowRunId: run.id, taskRunId: small.id }), "BAD_REQUEST", /exactly one/);
    await expectTrpcError(caller.results.preview({ taskRunId: MISSING }), "NOT_FOUND", /Task run/);
  });
});
