/**
 * A deployed notebook runs on a Node worker with no browser open: a real PDF uploaded into the
 * blob store, upload → pdf → encode → cluster deployed as a pipeline flow, run from its
 * deployment; each cell is a task run with its upstream links and its result, as the tab makes it.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { uploadResult } from "../../server/client";
import { isTerminalState } from "../../server/engine/state-types";
import { expectTrpcError } from "../helpers/api";
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

  it("refuses to deploy a notebook with no cells or an upload with no file", async () => {
    const empty = await h.client.notebooks.create.mutate({ name: "empty" });
    await expectTrpcError(h.client.notebooks.deploy.mutate({ id: empty.id, workPool: "nb-node" }), "BAD_REQUEST", /has no cells to deploy/);
    const noFile = await h.client.notebooks.create.mutate({ name: "no-file", cells: [{ id: "u", kind: "upload", parameters: {} }] });
    await expectTrpcError(h.client.notebooks.deploy.mutate({ id: noFile.id, workPool: "nb-node" }), "BAD_REQUEST", /cell "u": upload a file before deploying/);
  });
});
