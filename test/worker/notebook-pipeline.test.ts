/**
 * A deployed notebook runs on a Node worker with no browser open: a real PDF uploaded into the
 * blob store, upload → pdf → encode → cluster deployed as a pipeline flow, run from its
 * deployment; each cell is a task run with its upstream links and its result, as the tab makes it.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { flowRuns } from "../../drizzle/schema";
import { uploadResult } from "../../server/client";
import { isTerminalState } from "../../server/engine/state-types";
import { expectTrpcError } from "../helpers/api";
import { nodeInfer } from "../../workers/kinds/node/infer";
import { recordingContext } from "../kinds/pdf-helpers";
import { REPO_ROOT, useWorkerHarness, waitFor } from "./harness";

describe("a deployed notebook", () => {
  const h = useWorkerHarness();

  it("runs its cells in DAG order on a Node worker, each a task run with its result", async () => {
    await h.client.workPools.create.mutate({ name: "nb-node", type: "node" });
    await h.client.workPools.create.mutate({ name: "nb-tabs", type: "browser" });
    const pdf = readFileSync(path.join(REPO_ROOT, "test/fixtures/pdfs/debian-faq.de.p9-12.pdf"));
    const file = await uploadResult(h.client, new Uint8Array(pdf), { mediaType: "application/pdf" });
    const nb = await h.client.notebooks.create.mutate({
      name: "faq",
      cells: [
        { id: "file", kind: "upload", parameters: { file: { resultId: file.id, name: "debian-faq.de.pdf", mediaType: "application/pdf", sizeBytes: pdf.byteLength } }, outputResultId: file.id },
        { id: "pages", kind: "pdf", parameters: { chunk: { size: 500, overlap: 50 } }, inputs: { data: "file" } },
        { id: "vectors", kind: "encode", parameters: { encoder: "lexical", dimensions: 16 }, inputs: { texts: "pages" } },
        { id: "groups", kind: "cluster", parameters: { k: 3, seed: 1 }, inputs: { vectors: "vectors", "terms.texts": "pages" } },
      ],
    });

    await expectTrpcError(h.client.notebooks.deploy.mutate({ id: nb.id, workPool: "nb-tabs" }), "BAD_REQUEST", /a node pool's workers; "nb-tabs" is a browser pool/);
    const deployment = await h.client.notebooks.deploy.mutate({ id: nb.id, workPool: "nb-node" });
    expect(deployment).toMatchObject({ flowName: "faq", name: "notebook", entrypoint: `pipeline:${nb.id}@1`, workPoolName: "nb-node" });

    const worker = h.startWorker(["-p", "nb-node", "--name", "nb-worker"]);
    await h.waitForWorker(worker);
    const run = await h.client.deployments.run.mutate({ deployment: deployment.id });
    const done = await waitFor(async () => {
      const r = await h.client.flowRuns.get.query({ id: run.id });
      return isTerminalState(r.stateType) ? r : undefined;
    }, 90_000, () => worker.output());
    expect(done.stateType, `${done.stateMessage}\n${worker.output()}`).toBe("COMPLETED");

    const tasks = await h.client.taskRuns.list.query({ flowRunId: run.id });
    const byName = new Map(tasks.map((t) => [t.name, t]));
    expect([...byName.keys()].sort()).toEqual(["groups", "pages", "vectors"]);
    for (const t of tasks) expect(t.stateType).toBe("COMPLETED");
    expect(byName.get("vectors")!.upstreamTaskRunIds).toEqual([byName.get("pages")!.id]);
    expect([...byName.get("groups")!.upstreamTaskRunIds].sort()).toEqual([byName.get("vectors")!.id, byName.get("pages")!.id].sort());

    const load = async (taskRunId: string) => {
      const r = (await h.client.results.ofRun.query({ taskRunId, includeData: true }))!;
      return (r.storage === "inline" ? r.value : JSON.parse(Buffer.from(r.base64!, "base64").toString("utf8"))) as Record<string, any>;
    };
    const pages = await load(byName.get("pages")!.id);
    const vectors = await load(byName.get("vectors")!.id);
    const groups = await load(byName.get("groups")!.id);
    expect(pages.metadata.source).toBe("debian-faq.de.pdf");
    expect(vectors.vectors).toHaveLength(pages.chunks.length);
    expect(vectors.dimensions).toBeLessThanOrEqual(16);
    expect(groups.k).toBe(3);
    expect(groups.labels).toHaveLength(pages.chunks.length);
    expect(groups.clusters.every((c: { terms: unknown[] }) => c.terms.length > 0)).toBe(true);

    const flowResult = (await h.client.results.ofRun.query({ flowRunId: run.id }))!.value as { cells: Record<string, { taskRunId: string | null }> };
    expect(flowResult.cells.groups!.taskRunId).toBe(byName.get("groups")!.id);

    expect((await h.client.notebooks.runs.query({ id: nb.id })).map((r) => [r.id, r.stateType, r.deploymentName])).toEqual([[run.id, "COMPLETED", "notebook"]]);
    expect(byName.get("groups")!.kind).toBe("cluster");

    // Saved again and deployed again: the same deployment, the new version.
    await h.client.notebooks.save.mutate({ id: nb.id, expectedVersion: 1, cells: (await h.client.notebooks.get.query({ id: nb.id })).cells });
    const again = await h.client.notebooks.deploy.mutate({ id: nb.id, workPool: "nb-node" });
    expect(again).toMatchObject({ id: deployment.id, entrypoint: `pipeline:${nb.id}@2` });

    // Only a deployed notebook's runs have a pipeline.
    await h.client.deployments.create.mutate({ flow: "plain", name: "d", entrypoint: "kind:encode", workPool: "nb-tabs" });
    const plain = await h.client.deployments.run.mutate({ deployment: "plain/d", parameters: { texts: ["a b c", "d e f", "g h i"] } });
    await expectTrpcError(h.client.notebooks.pipeline.query({ flowRunId: plain.id }), "BAD_REQUEST", /not a deployed notebook/);
  });

  it("runs a cell that names its own pool as a child run there, claimed by that pool's worker", async () => {
    await h.client.workPools.create.mutate({ name: "pipe-cpu", type: "node" });
    await h.client.workPools.create.mutate({ name: "pipe-gpu", type: "node" });
    const pdf = readFileSync(path.join(REPO_ROOT, "test/fixtures/pdfs/debian-faq.de.p9-12.pdf"));
    const file = await uploadResult(h.client, new Uint8Array(pdf), { mediaType: "application/pdf" });
    const upload = { id: "file", kind: "upload", parameters: { file: { resultId: file.id, name: "faq.pdf", mediaType: "application/pdf", sizeBytes: pdf.byteLength } }, outputResultId: file.id };
    const nb = await h.client.notebooks.create.mutate({
      name: "faq-pools",
      cells: [
        upload,
        { id: "pages", kind: "pdf", parameters: { chunk: { size: 500, overlap: 50 } }, inputs: { data: "file" } },
        { id: "vectors", kind: "encode", parameters: { encoder: "lexical", dimensions: 16 }, inputs: { texts: "pages" } },
        { id: "groups", kind: "cluster", parameters: { k: 3, seed: 1 }, inputs: { vectors: "vectors", "terms.texts": "pages" } },
        // Train on the "GPU" pool; what it reads (vectors, labels) travels as JSON.
        { id: "model", kind: "train", parameters: { seed: 1, maxEpochs: 20 }, inputs: { embeddings: "vectors", labels: "groups" }, target: { pool: "pipe-gpu" } },
        // Back in the pipeline's worker, reading the model the other pool trained.
        { id: "guess", kind: "infer", parameters: {}, inputs: { embeddings: "vectors", modelResultId: "model" } },
      ],
    });
    const deployment = await h.client.notebooks.deploy.mutate({ id: nb.id, workPool: "pipe-cpu" });

    const cpu = h.startWorker(["-p", "pipe-cpu", "--name", "cpu-worker"]);
    const gpu = h.startWorker(["-p", "pipe-gpu", "--name", "gpu-worker"]);
    await h.waitForWorker(cpu);
    await h.waitForWorker(gpu);
    const run = await h.client.deployments.run.mutate({ deployment: deployment.id });
    const done = await waitFor(async () => {
      const r = await h.client.flowRuns.get.query({ id: run.id });
      return isTerminalState(r.stateType) ? r : undefined;
    }, 120_000, () => `${cpu.output()}\n${gpu.output()}`);
    expect(done.stateType, `${done.stateMessage}\n${cpu.output()}\n${gpu.output()}`).toBe("COMPLETED");

    // The train cell is a subflow of the pipeline run and of its task run, on the other pool.
    const tasks = await h.client.taskRuns.list.query({ flowRunId: run.id });
    const byName = new Map(tasks.map((t) => [t.name, t]));
    expect([...byName.keys()].sort()).toEqual(["groups", "guess", "model", "pages", "vectors"]);
    for (const t of tasks) expect(t.stateType).toBe("COMPLETED");
    const children = (await h.client.flowRuns.list.query({ parentFlowRunId: run.id })).items;
    expect(children.map((c) => [c.workPoolName, c.deploymentName, c.stateType])).toEqual([["pipe-gpu", "train-pipe-gpu", "COMPLETED"]]);
    const child = children[0]!;
    const [childRow] = await h.db.select({ parentTaskRunId: flowRuns.parentTaskRunId }).from(flowRuns).where(eq(flowRuns.id, child.id));
    expect(childRow!.parentTaskRunId).toBe(byName.get("model")!.id);

    // Which worker ran what: each run's RUNNING state was set by the worker that claimed it.
    const ranBy = async (flowRunId: string) => (await h.client.flowRuns.history.query({ id: flowRunId })).find((s) => s.toType === "RUNNING")?.actor;
    expect(await ranBy(run.id)).toMatch(/cpu-worker/);
    expect(await ranBy(child.id)).toMatch(/gpu-worker/);
    const status = await h.client.notebooks.cellRun.query({ flowRunId: run.id, childRunId: child.id });
    expect(status.workerName).toBe("gpu-worker");
    // The GPU worker ran only the train cell; the pipeline's worker never ran it itself.
    expect(gpu.output()).toContain(child.id);
    expect(gpu.output()).not.toContain(run.id);
    const logs = (await h.client.logs.list.query({ flowRunId: run.id, limit: 500 })).items.map((l) => l.message);
    expect(logs).toContainEqual(expect.stringMatching(/cell "model" \(train\) sent to pool pipe-gpu as run /));
    expect(logs).toContainEqual(expect.stringMatching(/cell "model" \(train\) completed on pool pipe-gpu by worker gpu-worker/));

    // The cell's output is the child's result; infer read the model the other pool trained.
    const modelResult = (await h.client.results.ofRun.query({ taskRunId: byName.get("model")!.id }))!;
    expect(modelResult.id).toBe((await h.client.results.ofRun.query({ flowRunId: child.id }))!.id);
    const guess = (await h.client.results.ofRun.query({ taskRunId: byName.get("guess")!.id, includeData: true }))!;
    const predictions = (guess.storage === "inline" ? guess.value : JSON.parse(Buffer.from(guess.base64!, "base64").toString("utf8"))) as { predictions: { label: string }[] };
    const groups = (await h.client.results.ofRun.query({ taskRunId: byName.get("groups")!.id, includeData: true }))!;
    const labels = ((groups.storage === "inline" ? groups.value : JSON.parse(Buffer.from(groups.base64!, "base64").toString("utf8"))) as { labels: number[] }).labels;
    expect(predictions.predictions).toHaveLength(labels.length);
    for (const p of predictions.predictions) expect(p.label).toMatch(/^cluster \d$/);

    const flowResult = (await h.client.results.ofRun.query({ flowRunId: run.id }))!.value as { cells: Record<string, { childRunId?: string; workPool?: string }> };
    expect(flowResult.cells.model).toMatchObject({ childRunId: child.id, workPool: "pipe-gpu" });
    expect(flowResult.cells.guess!.childRunId).toBeUndefined();

    // Only the pipeline's worker, holding its lease, may start a cell's run; not for a cell with no pool.
    await expectTrpcError(
      h.client.notebooks.runCell.mutate({ flowRunId: run.id, leaseToken: "00000000-0000-4000-8000-000000000000", cellId: "model", taskRunId: byName.get("model")!.id, parameters: { embeddings: [[0, 1], [1, 0]], labels: ["a", "b"] } }),
      "CONFLICT",
      /lease/i,
    );
    await expectTrpcError(h.client.notebooks.cellRun.query({ flowRunId: run.id, childRunId: run.id }), "NOT_FOUND", /Cell run/);
    await expectTrpcError(
      h.client.notebooks.runCell.mutate({ flowRunId: run.id, leaseToken: "00000000-0000-4000-8000-000000000000", cellId: "guess", taskRunId: byName.get("guess")!.id, parameters: {} }),
      "BAD_REQUEST",
      /cell "guess" names no work pool of its own/,
    );
    expect((await h.client.flowRuns.list.query({ parentFlowRunId: run.id })).items).toHaveLength(1);
  }, 180_000);

  it("cancels a cell's run on another pool when the pipeline run is cancelled", async () => {
    await h.client.workPools.create.mutate({ name: "stop-cpu", type: "node" });
    // No worker serves this pool: the train cell's run waits there until it is cancelled.
    await h.client.workPools.create.mutate({ name: "stop-gpu", type: "node" });
    const nb = await h.client.notebooks.create.mutate({
      name: "stops",
      cells: [
        { id: "vectors", kind: "encode", parameters: { encoder: "lexical", dimensions: 4, texts: ["red apples", "green pears", "fast cars", "slow trucks", "ripe plums", "old buses"] } },
        { id: "groups", kind: "cluster", parameters: { k: 2, seed: 1 }, inputs: { vectors: "vectors" } },
        { id: "model", kind: "train", parameters: { seed: 1 }, inputs: { embeddings: "vectors", labels: "groups" }, target: { pool: "stop-gpu" } },
      ],
    });
    const deployment = await h.client.notebooks.deploy.mutate({ id: nb.id, workPool: "stop-cpu" });
    const cpu = h.startWorker(["-p", "stop-cpu", "--name", "stop-worker"]);
    await h.waitForWorker(cpu);
    const run = await h.client.deployments.run.mutate({ deployment: deployment.id });
    const child = await waitFor(async () => (await h.client.flowRuns.list.query({ parentFlowRunId: run.id })).items[0], 60_000, () => cpu.output());
    expect(child).toMatchObject({ workPoolName: "stop-gpu", stateType: "SCHEDULED" });
    expect((await h.client.flowRuns.get.query({ id: run.id })).stateType).toBe("RUNNING");

    await h.client.flowRuns.cancel.mutate({ id: run.id });
    const parent = await waitFor(async () => {
      const r = await h.client.flowRuns.get.query({ id: run.id });
      return isTerminalState(r.stateType) ? r : undefined;
    }, 60_000, () => cpu.output());
    expect(parent.stateType).toBe("CANCELLED");
    const stopped = await waitFor(async () => {
      const c = await h.client.flowRuns.get.query({ id: child.id });
      return isTerminalState(c.stateType) ? c : undefined;
    }, 30_000, () => cpu.output());
    expect(stopped.stateType).toBe("CANCELLED");
    expect(stopped.stateMessage).toMatch(new RegExp(`pipeline run ${run.id} stopped`));
    // Once the pipeline has ended, a wrong lease may still not cancel another run's cells: only its own children.
    await expectTrpcError(h.client.notebooks.cancelCell.mutate({ flowRunId: run.id, leaseToken: "00000000-0000-4000-8000-000000000000", childRunId: run.id }), "NOT_FOUND", /Cell run/);
  }, 120_000);

  it("loads a model a run exported by { runId } in an infer cell: the pipeline hands its kinds the worker's results reader", async () => {
    // A process pool's run "exports" the project's tiny BERT (its files into model/, as train.py's export leaves them).
    await h.client.workPools.create.mutate({
      name: "export-proc",
      type: "process",
      baseJobTemplate: { command: ["/bin/sh", "-c", 'mkdir -p "$BATON_OUTPUT_DIR/model" && cp -R "$TINY_BERT/." "$BATON_OUTPUT_DIR/model/"'], env: { TINY_BERT: path.join(REPO_ROOT, "models/tiny-bert") } },
    });
    await h.client.workPools.create.mutate({ name: "infer-nb", type: "node" });
    await h.client.deployments.create.mutate({ flow: "export", name: "tiny", workPool: "export-proc" });
    const exporter = h.startWorker(["-p", "export-proc", "--name", "exporter"]);
    const nodeWorker = h.startWorker(["-p", "infer-nb", "--name", "infer-nb-worker"]);
    await h.waitForWorker(exporter);
    await h.waitForWorker(nodeWorker);
    const finished = (id: string, w: { output(): string }) =>
      waitFor(async () => {
        const r = await h.client.flowRuns.get.query({ id });
        return isTerminalState(r.stateType) ? r : undefined;
      }, 120_000, () => w.output());
    const exportRun = await h.client.deployments.run.mutate({ deployment: "export/tiny" });
    const exported = await finished(exportRun.id, exporter);
    expect(exported.stateType, `${exported.stateMessage}\n${exporter.output()}`).toBe("COMPLETED");

    const texts = ["the cat sat on the mat", "stocks fell sharply today"];
    const nb = await h.client.notebooks.create.mutate({
      name: "embed-exported",
      cells: [{ id: "embed", kind: "infer", parameters: { pipeline: { task: "feature-extraction", model: { runId: exportRun.id } }, inputs: texts, options: { pooling: "mean", normalize: true } } }],
    });
    const deployment = await h.client.notebooks.deploy.mutate({ id: nb.id, workPool: "infer-nb" });
    const run = await h.client.deployments.run.mutate({ deployment: deployment.id });
    const done = await finished(run.id, nodeWorker);
    expect(done.stateType, `${done.stateMessage}\n${nodeWorker.output()}`).toBe("COMPLETED");

    const [task] = await h.client.taskRuns.list.query({ flowRunId: run.id });
    expect(task).toMatchObject({ name: "embed", stateType: "COMPLETED" });
    const messages = (await h.client.logs.list.query({ flowRunId: run.id, limit: 1000 })).items.map((l) => l.message);
    expect(messages.some((m) => m.startsWith(`infer: fetched the model run ${exportRun.id} exported (result `))).toBe(true);
    const r = (await h.client.results.ofRun.query({ taskRunId: task!.id, includeData: true }))!;
    const out = (r.storage === "inline" ? r.value : JSON.parse(Buffer.from(r.base64!, "base64").toString("utf8"))) as { kind: string; outputs: number[][] };
    // The same vectors as the tiny BERT from the models directory, loaded the same way (fp32).
    const local = await nodeInfer({ localModelPath: path.join(REPO_ROOT, "models") + path.sep })(
      { pipeline: { task: "feature-extraction", model: "tiny-bert", options: { dtype: "fp32" } }, inputs: texts, options: { pooling: "mean", normalize: true } },
      recordingContext(),
    );
    expect(out.kind).toBe("pipeline");
    expect(out.outputs).toHaveLength(2);
    const want = (local as { outputs: number[][] }).outputs;
    for (let i = 0; i < 2; i++) for (let j = 0; j < want[i]!.length; j++) expect(Math.abs(out.outputs[i]![j]! - want[i]![j]!)).toBeLessThan(1e-5);
  }, 240_000);

  it("refuses to deploy a cell on another pool that would need bytes, or names no real node pool", async () => {
    await h.client.workPools.create.mutate({ name: "bytes-cpu", type: "node" });
    await h.client.workPools.create.mutate({ name: "bytes-gpu", type: "node" });
    await h.client.workPools.create.mutate({ name: "pipe-tabs", type: "browser" });
    const pdf = readFileSync(path.join(REPO_ROOT, "test/fixtures/pdfs/debian-faq.de.p9-12.pdf"));
    const file = await uploadResult(h.client, new Uint8Array(pdf), { mediaType: "application/pdf" });
    const upload = { id: "file", kind: "upload", parameters: { file: { resultId: file.id, name: "faq.pdf", mediaType: "application/pdf", sizeBytes: pdf.byteLength } }, outputResultId: file.id };
    const on = (pool: string) => h.client.notebooks.create.mutate({ name: `bytes-${pool}`, cells: [upload, { id: "pages", kind: "pdf", parameters: {}, inputs: { data: "file" }, target: { pool } }] });
    const bytes = await on("bytes-gpu");
    await expectTrpcError(h.client.notebooks.deploy.mutate({ id: bytes.id, workPool: "bytes-cpu" }), "BAD_REQUEST", /cell "pages" reads data from cell "file" \(upload\) as bytes, which a run on pool "bytes-gpu" cannot receive/);
    // On the deployment's own pool it runs in the pipeline's worker: accepted.
    await expect(h.client.notebooks.deploy.mutate({ id: bytes.id, workPool: "bytes-gpu" })).resolves.toMatchObject({ workPoolName: "bytes-gpu" });
    const nowhere = await on("no-such-pool");
    await expectTrpcError(h.client.notebooks.deploy.mutate({ id: nowhere.id, workPool: "bytes-cpu" }), "BAD_REQUEST", /cell "pages": work pool "no-such-pool" was not found/);
    const tabs = await on("pipe-tabs");
    await expectTrpcError(h.client.notebooks.deploy.mutate({ id: tabs.id, workPool: "bytes-cpu" }), "BAD_REQUEST", /pool "pipe-tabs" is a browser pool/);
  });

  it("refuses to deploy a notebook with no cells or an upload with no file", async () => {
    const empty = await h.client.notebooks.create.mutate({ name: "empty" });
    await expectTrpcError(h.client.notebooks.deploy.mutate({ id: empty.id, workPool: "nb-node" }), "BAD_REQUEST", /has no cells to deploy/);
    const noFile = await h.client.notebooks.create.mutate({ name: "no-file", cells: [{ id: "u", kind: "upload", parameters: {} }] });
    await expectTrpcError(h.client.notebooks.deploy.mutate({ id: noFile.id, workPool: "nb-node" }), "BAD_REQUEST", /cell "u": upload a file before deploying/);
  });
});
