/**
 * A run of a deployed notebook renders on the run page as the notebook renders its cells: a
 * code cell's texts → encode → cluster (the scatter plot with its legend and summaries) → train
 * (loss and accuracy curves) → infer (predictions table and confusion matrix) → a code cell
 * summing up the clusters, all run by a Node worker process on a pool that allows code cells,
 * with no browser open; then the run page, opened in Chromium, shows each output.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createBatonClient, type BatonClient } from "../server/client";
import { isTerminalState } from "../server/engine/state-types";
import { ensureProductionBuild, ROOT, startBaton, type BatonProcess } from "./helpers/baton-process";
import { launchChromium, saveScreenshot } from "./helpers/browser";

let baton: BatonProcess;
let browser: Browser;
let page: Page | undefined;
let worker: ChildProcess | undefined;
let workerOut = "";
const workerDir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-e2e-run-outputs-"));

const TEXTS = [
  "apples and pears are sweet fruit",
  "ripe pears and plums from the orchard",
  "plums apples and cherries in a fruit bowl",
  "cherries and pears make a fruit tart",
  "an orchard of apples plums and cherries",
  "sweet fruit salad with apples and pears",
  "trains and buses run on the city routes",
  "the bus and the tram leave the station",
  "a train to the city station every hour",
  "trams buses and trains share the routes",
  "the station timetable for trains and trams",
  "city buses run late on weekend routes",
];

beforeAll(async () => {
  ensureProductionBuild();
  baton = await startBaton();
  browser = await launchChromium();
});

afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill("SIGKILL");
  await browser?.close();
  await baton?.stop();
  fs.rmSync(workerDir, { recursive: true, force: true });
});

describe("a deployed notebook's run page", () => {
  test("shows every cell's output as the notebook does", async ({ onTestFailed }) => {
    onTestFailed(async () => {
      if (page) await saveScreenshot(page, "notebook-run-outputs");
      console.error(workerOut);
    });
    const api: BatonClient = createBatonClient({ apiUrl: baton.apiUrl, batch: false });
    await api.workPools.create.mutate({ name: "code-pool", type: "node" });
    const nb = await api.notebooks.create.mutate({
      name: "Fruit and transport",
      cells: [
        { id: "texts", kind: "code", parameters: { source: `const texts: string[] = ${JSON.stringify(TEXTS)};\nreturn texts;` } },
        { id: "vectors", kind: "encode", parameters: { encoder: "lexical", dimensions: 8 }, inputs: { texts: "texts" } },
        { id: "groups", kind: "cluster", parameters: { k: 2, seed: 1 }, inputs: { vectors: "vectors", "terms.texts": "texts" } },
        { id: "model", kind: "train", parameters: { seed: 1, maxEpochs: 30 }, inputs: { embeddings: "vectors", labels: "groups" }, target: { pool: "code-pool" } },
        { id: "guess", kind: "infer", parameters: {}, inputs: { embeddings: "vectors", modelResultId: "model" } },
        {
          id: "sizes",
          kind: "code",
          parameters: { source: "const sizes: Record<string, number> = {};\nfor (const l of inputs.groups.labels as number[]) sizes[`cluster ${l}`] = (sizes[`cluster ${l}`] ?? 0) + 1;\nreturn sizes;" },
          inputs: { groups: "groups" },
        },
      ],
    });
    await expect(api.notebooks.deploy.mutate({ id: nb.id, workPool: "code-pool" })).rejects.toThrow(/cell "texts" is a code cell and pool "code-pool" does not run code cells/);
    // The owner opts the pool in on the work pools page.
    page = await browser.newPage();
    await page.goto(`${baton.url}/work-pools`);
    const setting = page.getByTestId("pool-code-cells");
    const box = setting.getByRole("checkbox", { name: "Runs notebook code cells" });
    expect(await box.isChecked()).toBe(false);
    await box.click();
    await setting.getByText("Saved.").waitFor({ timeout: 15_000 });
    await page.waitForFunction(() => (document.querySelector('[data-testid="pool-code-cells"] input') as HTMLInputElement | null)?.checked === true, null, { timeout: 15_000 });
    expect((await api.workPools.get.query({ workPool: "code-pool" })).baseJobTemplate).toEqual({ codeCells: true });
    const deployment = await api.notebooks.deploy.mutate({ id: nb.id, workPool: "code-pool" });

    worker = spawn(process.execPath, [path.join(ROOT, "bin/baton.mjs"), "worker", "start", "-p", "code-pool", "--name", "e2e-run-outputs"], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", BATON_API_URL: baton.apiUrl, BATON_WORKER_CLAIM_WAIT_MS: "3000", BATON_WORKER_DATA_DIR: workerDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    worker.stdout!.setEncoding("utf8").on("data", (d: string) => (workerOut += d));
    worker.stderr!.setEncoding("utf8").on("data", (d: string) => (workerOut += d));
    const run = await api.deployments.run.mutate({ deployment: deployment.id });
    const deadline = Date.now() + 120_000;
    let done = await api.flowRuns.get.query({ id: run.id });
    while (!isTerminalState(done.stateType)) {
      if (Date.now() > deadline) throw new Error(`the run is ${done.stateType} after 120 s:\n${workerOut}`);
      await new Promise((r) => setTimeout(r, 300));
      done = await api.flowRuns.get.query({ id: run.id });
    }
    expect(done.stateType, `${done.stateMessage}\n${workerOut}`).toBe("COMPLETED");

    await page.goto(`${baton.url}/runs/${run.id}`);
    const section = page.getByTestId("run-notebook");
    await section.waitFor({ timeout: 30_000 });
    expect(await section.textContent()).toMatch(/Version 1 of notebook Fruit and transport/);
    const cell = (id: string) => section.locator(`[data-testid="run-cell"][data-cell="${id}"]`);
    expect(await section.getByTestId("run-cell").count()).toBe(6);

    expect(JSON.parse((await cell("texts").getByTestId("code-output").textContent())!)).toEqual(TEXTS);
    expect(await cell("vectors").getByTestId("result-summary").textContent()).toMatch(/12 vectors of \d+ dimensions/);
    await cell("groups").getByTestId("cluster-plot").waitFor();
    expect(await cell("groups").getByTestId("cluster-legend").locator("li").count()).toBe(2);
    // Hover text on the plot's points is the texts behind them (from the code cell).
    expect(await cell("groups").getByTestId("cluster-plot").locator("title").allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/apples and pears are sweet fruit/)]));
    expect(await cell("model").getByTestId("result-summary").textContent()).toMatch(/A logistic classifier of 2 classes: validation accuracy/);
    expect(await cell("model").getByTestId("metric-chart").count()).toBe(2);
    // The curves are Observable Plot's, and read with the keyboard: End is the last step, Home the first.
    const accuracy = cell("model").locator('[data-testid="metric-chart"][data-metric="accuracy"]');
    await accuracy.getByRole("img").waitFor();
    expect(await accuracy.locator('[data-testid="metric-series"]').evaluateAll((gs) => gs.map((g) => g.getAttribute("data-series")))).toEqual(["accuracy", "val_accuracy"]);
    await accuracy.locator(".metric-chart-plot").focus();
    await page.keyboard.press("End");
    expect(await accuracy.getByTestId("metric-chart-announcement").textContent()).toMatch(/^step \d+: accuracy [\d.]+, val_accuracy [\d.]+$/);
    await page.keyboard.press("Home");
    expect(await accuracy.getByTestId("metric-chart-announcement").textContent()).toMatch(/^step [01]: accuracy [\d.]+/);
    expect(await accuracy.locator('[aria-label="tip"]').count()).toBeGreaterThan(0);
    expect(await cell("guess").getByTestId("predictions-table").locator("tbody tr").count()).toBe(12);
    expect(await cell("guess").getByTestId("predictions-table").textContent()).toMatch(/trains and buses run on the city routes/);
    expect(await cell("guess").getByTestId("confusion-matrix").textContent()).toMatch(/\d+ of 12 agree/);
    const sizes = JSON.parse((await cell("sizes").getByTestId("code-output").textContent())!) as Record<string, number>;
    expect(Object.keys(sizes).sort()).toEqual(["cluster 0", "cluster 1"]);
    expect(Object.values(sizes).reduce((a, b) => a + b, 0)).toBe(12);
    await saveScreenshot(page, "notebook-run-outputs-ok");
  });
});
