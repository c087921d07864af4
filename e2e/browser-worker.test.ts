/**
 * A browser tab as a worker, end to end: the workbench's "Use this tab as a worker" toggle
 * registers the tab in a `browser` work pool; it claims a `kind:encode` deployment run, encodes
 * in its Web Worker, uploads logs and the result and completes the run with its lease. A run
 * that requires a GPU is left for other workers. A tab closed mid-run loses its run to the
 * zombie killer (CRASHED), the retry policy schedules it again, and another tab finishes it.
 * A classifier trained in Node (train → ONNX in the blob store) runs as `kind:infer` in a tab on
 * onnxruntime-web, with Node's predictions (probabilities within 1e-5).
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createBatonClient, type BatonClient } from "../server/client";
import { infer } from "../workers/kinds/node/infer";
import { train } from "../workers/kinds/train";
import type { TaskContext } from "../workers/kinds/types";
import { ensureProductionBuild, startBaton, type BatonProcess } from "./helpers/baton-process";
import { saveScreenshot } from "./helpers/browser";
import { launchChromiumWithWebGpu, openWorkbench } from "./helpers/workbench";
import { isTerminalState } from "../server/engine/state-types";

let baton: BatonProcess;
let client: BatonClient;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  ensureProductionBuild();
  // Fast engine timings so a closed tab is noticed in seconds: startBaton passes our environment
  // to the server process (this file runs in its own vitest fork).
  Object.assign(process.env, { BATON_HEARTBEAT_INTERVAL_S: "1", BATON_WORKER_TIMEOUT_S: "4", BATON_SERVICES_INTERVAL_S: "0.5" });
  baton = await startBaton();
  client = createBatonClient({ apiUrl: baton.apiUrl });
  browser = await launchChromiumWithWebGpu();
  await client.workPools.create.mutate({ name: "tabs", type: "browser" });
});

afterAll(async () => {
  await browser?.close();
  await baton?.stop();
});

async function workerTab(pool = "tabs"): Promise<Page> {
  const page = await browser.newPage();
  const tab = pages.length;
  page.on("pageerror", (err) => console.error(`tab ${tab} page error: ${err.message}`));
  page.on("console", (msg) => msg.type() === "warning" && console.error(`tab ${tab}: ${msg.text()}`));
  pages.push(page);
  await openWorkbench(page, baton.url);
  await page.getByTestId("tab-worker-pool").fill(pool);
  await page.getByTestId("tab-worker-toggle").check();
  await page.locator('[data-testid="tab-worker-status"][data-phase="idle"]').waitFor({ timeout: 30_000 });
  return page;
}

async function waitForRun(id: string, done: (run: Awaited<ReturnType<BatonClient["flowRuns"]["get"]["query"]>>) => boolean, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await client.flowRuns.get.query({ id });
    if (done(run)) return run;
    if (Date.now() > deadline) throw new Error(`Run ${id} still ${run.stateType}/${run.stateName} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function onFailure(name: string, onTestFailed: (fn: () => Promise<void>) => void) {
  onTestFailed(async () => {
    for (const [i, page] of pages.entries()) {
      if (page.isClosed()) continue;
      const file = await saveScreenshot(page, `${name}-${i}`);
      if (file) console.error(`Screenshot: ${file}`);
    }
    console.error(`--- Baton server output ---\n${baton.output().slice(-5000)}`);
  });
}

describe("a browser tab as a worker", () => {
  test("joins a browser pool, completes a kind:encode run, leaves GPU training alone", async ({ onTestFailed }) => {
    onFailure("tab-worker", onTestFailed);
    const texts = ["The cat sat on the mat.", "Neural networks learn from data.", "A tab is a worker."];
    await client.deployments.create.mutate({
      flow: "train-classifier",
      name: "on-a-gpu",
      workPool: "tabs",
      entrypoint: "kind:train",
      parameterSchema: { type: "object", "x-baton": { requirements: { gpu: true } } },
    });
    await client.deployments.create.mutate({ flow: "embed", name: "in-a-tab", workPool: "tabs", entrypoint: "kind:encode", parameters: { texts, model: "tiny-bert", device: "wasm" } });
    // The GPU run is older, so first in line: the tab must skip it, not merely come to it later.
    const gpuRun = await client.deployments.run.mutate({ deployment: "train-classifier/on-a-gpu" });
    const encodeRun = await client.deployments.run.mutate({ deployment: "embed/in-a-tab" });

    const page = await workerTab();
    const done = await waitForRun(encodeRun.id, (r) => r.stateType === "COMPLETED" || r.stateType === "FAILED");
    expect(done.stateType, done.stateMessage ?? "").toBe("COMPLETED");

    const result = await client.results.ofRun.query({ flowRunId: encodeRun.id });
    const value = result?.value as { vectors: number[][]; device: string; encoder: string };
    expect(value.vectors).toHaveLength(texts.length);
    expect(value.device).toBe("wasm");
    const logs = (await client.logs.list.query({ flowRunId: encodeRun.id })).items.map((l) => l.message);
    expect(logs.join("\n")).toMatch(/encode: 3 texts with tiny-bert on wasm/);
    expect(logs.join("\n")).toMatch(/completed in the tab on wasm/);

    const history = await client.flowRuns.history.query({ id: encodeRun.id });
    expect(history.map((h) => h.toType)).toContain("RUNNING");
    const gpu = await client.flowRuns.get.query({ id: gpuRun.id });
    expect(gpu.stateType).toBe("SCHEDULED");
    const why = await client.flowRuns.explain.query({ id: gpuRun.id });
    expect(why.reason).toMatch(/requires/);

    const workers = await client.workers.list.query({ workPool: "tabs" });
    const tab = workers.find((w) => w.capabilities.runtime === "browser");
    expect(tab?.capabilities).toMatchObject({ runtime: "browser", webgpu: true });

    await page.getByTestId("tab-worker-toggle").uncheck();
    await page.locator('[data-testid="tab-worker-status"][data-phase="stopped"]').waitFor();
    await page.close();
  });

  test("a tab closed mid-run: the run is crashed, retried and finished by another tab", async ({ onTestFailed }) => {
    onFailure("tab-closed", onTestFailed);
    // Enough small batches to still be running when the tab closes.
    const texts = Array.from({ length: 6000 }, (_, i) => `sentence number ${i} about cats, dogs and neural networks`);
    // A pool of its own, so nothing the first test's tab left in "tabs" can touch this run.
    await client.workPools.create.mutate({ name: "tabs-2", type: "browser" });
    await client.deployments.create.mutate({
      flow: "embed",
      name: "long",
      workPool: "tabs-2",
      entrypoint: "kind:encode",
      parameters: { texts, model: "tiny-bert", device: "wasm", batchSize: 2 },
      parameterSchema: { type: "object", "x-baton": { maxRetries: 1, retryDelaySeconds: 0 } },
    });
    // The tab joins first: a run already waiting would be claimed while the tab starts up, and
    // could finish before this test sees it running.
    const first = await workerTab("tabs-2");
    const run = await client.deployments.run.mutate({ deployment: "embed/long" });
    await waitForRun(run.id, (r) => r.stateType === "RUNNING");
    await first.locator('[data-testid="tab-worker-status"][data-phase="running"]').waitFor();
    await first.close();

    const crashed = await waitForRun(run.id, (r) => r.stateType !== "RUNNING", 30_000);
    expect(["SCHEDULED", "CRASHED"]).toContain(crashed.stateType);
    const history = await client.flowRuns.history.query({ id: run.id });
    expect(history.map((h) => h.toType)).toContain("CRASHED");

    await workerTab("tabs-2");
    const finished = await waitForRun(run.id, (r) => isTerminalState(r.stateType), 90_000);
    const states = (await client.flowRuns.history.query({ id: run.id })).map((h) => `${h.toType}/${h.toName} by ${h.actor}`);
    expect(finished.stateType, `${finished.stateMessage}; history: ${states.join(" → ")}`).toBe("COMPLETED");
    expect(finished.runCount).toBe(2);
    // The result is the whole matrix, too big to keep inline: it went to the blob store.
    const result = await client.results.ofRun.query({ flowRunId: run.id });
    expect(result?.storage).toBe("blob");
  });

  test("infer: a classifier trained in Node runs in a tab on onnxruntime-web, with Node's predictions", async ({ onTestFailed }) => {
    onFailure("tab-infer", onTestFailed);
    const ctx: TaskContext = { log: () => {}, metric: () => {}, progress: () => {}, signal: new AbortController().signal };
    // Two separable classes in 4-d, seeded by index.
    const point = (i: number, c: number) => [c * 2 + Math.sin(i), c * 2 - Math.cos(i * 1.3), Math.sin(i * 0.7), c - 0.5 + Math.cos(i * 2.1) / 3];
    const embeddings = Array.from({ length: 60 }, (_, i) => point(i, i % 2));
    const labels = embeddings.map((_, i) => (i % 2 ? "spam" : "ham"));
    const trained = await train({ embeddings, labels, seed: 7, maxEpochs: 50 }, ctx);
    const uploaded = await client.results.create.mutate({ base64: Buffer.from(trained.onnx).toString("base64"), mediaType: "application/onnx" });

    const queries = Array.from({ length: 10 }, (_, i) => point(100 + i, i % 2));
    await client.workPools.create.mutate({ name: "tabs-3", type: "browser" });
    await client.deployments.create.mutate({
      flow: "classify",
      name: "in-a-tab",
      workPool: "tabs-3",
      entrypoint: "kind:infer",
      parameters: { modelResultId: uploaded.id, embeddings: queries },
    });
    const run = await client.deployments.run.mutate({ deployment: "classify/in-a-tab" });
    await workerTab("tabs-3");
    const done = await waitForRun(run.id, (r) => r.stateType === "COMPLETED" || r.stateType === "FAILED");
    expect(done.stateType, done.stateMessage ?? "").toBe("COMPLETED");

    const inTab = (await client.results.ofRun.query({ flowRunId: run.id }))?.value as { predictions: { label: string; probabilities: number[] }[] };
    const inNode = await infer({ model: trained.onnx, embeddings: queries }, ctx);
    if (inNode.kind !== "classifier") throw new Error("expected classifier predictions");
    expect(inTab.predictions.map((p) => p.label)).toEqual(inNode.predictions.map((p) => p.label));
    inTab.predictions.forEach((p, i) => p.probabilities.forEach((q, j) => expect(Math.abs(q - inNode.predictions[i]!.probabilities[j]!)).toBeLessThan(1e-5)));
  });
});
