/**
 * A deployed notebook whose train cell names its own pool (a "GPU" pool): two pools, a real Node
 * worker on each; the pipeline runs on the first, the train cell as a run of its own on the
 * second. In Chromium the run page lists that run under its subflows and links it, the child's
 * page links back to the pipeline run, and the notebook's run page says where the cell ran.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createBatonClient } from "../server/client";
import { isTerminalState } from "../server/engine/state-types";
import { ensureProductionBuild, ROOT, startBaton, type BatonProcess } from "./helpers/baton-process";
import { launchChromium, saveScreenshot } from "./helpers/browser";

let baton: BatonProcess;
let browser: Browser;
let page: Page | undefined;
const workers: { child: ChildProcess; out: () => string }[] = [];
const workerDir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-e2e-cell-pools-"));

const TEXTS = ["red apples and green pears", "ripe plums and pears", "sweet figs and apples", "fast cars on the road", "slow trucks and vans", "old buses and cars"];

function startWorker(pool: string, name: string) {
  let out = "";
  const child = spawn(process.execPath, [path.join(ROOT, "bin/baton.mjs"), "worker", "start", "-p", pool, "--name", name], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", BATON_API_URL: baton.apiUrl, BATON_WORKER_CLAIM_WAIT_MS: "3000", BATON_WORKER_DATA_DIR: path.join(workerDir, name) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
  workers.push({ child, out: () => out });
}

beforeAll(async () => {
  ensureProductionBuild();
  baton = await startBaton();
  browser = await launchChromium();
});

afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
  await browser?.close();
  await baton?.stop();
  fs.rmSync(workerDir, { recursive: true, force: true });
});

describe("a deployed notebook's cell on its own pool", () => {
  test("runs there as a linked run of its own", async ({ onTestFailed }) => {
    const logs = () => workers.map((w) => w.out()).join("\n");
    onTestFailed(async () => {
      if (page) await saveScreenshot(page, "notebook-cell-pools");
      console.error(logs());
    });
    const api = createBatonClient({ apiUrl: baton.apiUrl, batch: false });
    await api.workPools.create.mutate({ name: "cpu-pool", type: "node" });
    await api.workPools.create.mutate({ name: "gpu-pool", type: "node" });
    const nb = await api.notebooks.create.mutate({
      name: "Cells on pools",
      cells: [
        { id: "vectors", kind: "encode", parameters: { encoder: "lexical", dimensions: 4, texts: TEXTS } },
        { id: "groups", kind: "cluster", parameters: { k: 2, seed: 1 }, inputs: { vectors: "vectors" } },
        { id: "model", kind: "train", parameters: { seed: 1, maxEpochs: 10 }, inputs: { embeddings: "vectors", labels: "groups" }, target: { pool: "gpu-pool" } },
        { id: "guess", kind: "infer", parameters: {}, inputs: { embeddings: "vectors", modelResultId: "model" } },
      ],
    });
    // Deployed from the notebook page, whose Deploy panel says where the train cell will run.
    page = await browser.newPage();
    await page.goto(`${baton.url}/notebooks/${nb.id}`);
    await page.getByTestId("deploy-pool").selectOption("gpu-pool");
    expect(await page.getByTestId("deploy-cells-apart").count()).toBe(0);
    await page.getByTestId("deploy-pool").selectOption("cpu-pool");
    expect(await page.getByTestId("deploy-cells-apart").textContent()).toBe("model runs on pool gpu-pool as a run of its own, which a worker of that pool takes; the other cells run on cpu-pool.");
    await page.getByTestId("deploy-notebook").click();
    await page.getByTestId("deploy-status").getByRole("link").waitFor({ timeout: 15_000 });
    const deployment = (await api.deployments.list.query()).find((d) => d.entrypoint === `pipeline:${nb.id}@1`)!;
    expect(deployment.workPoolName).toBe("cpu-pool");
    // Deployed, not run yet: the notebook page says where its deployment is and how to run it.
    await page.reload();
    const noRuns = page.getByTestId("notebook-runs-empty");
    expect(await noRuns.textContent()).toMatch(/^Deployed as Cells on pools\/notebook \(pool cpu-pool\), with no runs yet: press Run on its deployment page/);
    expect(await noRuns.getByRole("link", { name: "Cells on pools/notebook" }).getAttribute("href")).toBe(`/deployments/${deployment.id}`);
    // A deployed notebook runs Baton's own code: its deployment page has no code row to misread.
    await page.goto(`${baton.url}/deployments/${deployment.id}`);
    await page.getByRole("heading", { level: 1 }).waitFor();
    expect(await page.getByTestId("deployment-code").count()).toBe(0);
    startWorker("cpu-pool", "e2e-cpu");
    startWorker("gpu-pool", "e2e-gpu");
    const run = await api.deployments.run.mutate({ deployment: deployment.id });
    const deadline = Date.now() + 120_000;
    let done = await api.flowRuns.get.query({ id: run.id });
    while (!isTerminalState(done.stateType)) {
      if (Date.now() > deadline) throw new Error(`the run is ${done.stateType} after 120 s:\n${logs()}`);
      await new Promise((r) => setTimeout(r, 300));
      done = await api.flowRuns.get.query({ id: run.id });
    }
    expect(done.stateType, `${done.stateMessage}\n${logs()}`).toBe("COMPLETED");
    const [child] = (await api.flowRuns.list.query({ parentFlowRunId: run.id })).items;
    expect(child).toMatchObject({ workPoolName: "gpu-pool", stateType: "COMPLETED" });

    // The run page: the train cell's run under Subflow runs, linked; its page links back.
    await page.goto(`${baton.url}/runs/${run.id}`);
    const subflow = page.getByTestId("subflow-runs").getByRole("link", { name: child!.name });
    expect(await subflow.getAttribute("href")).toBe(`/runs/${child!.id}`);
    await subflow.click();
    await page.waitForURL(new RegExp(`/runs/${child!.id}$`));
    expect(await page.getByTestId("parent-run").getAttribute("href")).toBe(`/runs/${run.id}`);
    expect(await page.locator("main").textContent()).toContain("gpu-pool");

    await page.goto(`${baton.url}/notebooks/${nb.id}`);
    expect(await page.getByTestId("notebook-run").getByRole("link", { name: done.name }).getAttribute("href")).toBe(`/notebooks/${nb.id}/runs/${run.id}`);
    expect(await page.getByTestId("notebook-runs-empty").count()).toBe(0);

    // The notebook's run page: where the cell ran, with its output (the curves) as the notebook shows it.
    await page.goto(`${baton.url}/notebooks/${nb.id}/runs/${run.id}`);
    const model = page.locator('[data-testid="run-cell"][data-cell="model"]');
    expect(await model.getByTestId("cell-run-apart").textContent()).toBe("Ran on pool gpu-pool as a run of its own.");
    expect(await model.getByTestId("cell-run-apart").getByRole("link").getAttribute("href")).toBe(`/runs/${child!.id}`);
    expect(await model.getByTestId("result-summary").textContent()).toMatch(/A logistic classifier of 2 classes/);
    expect(await page.locator('[data-testid="run-cell"][data-cell="guess"]').getByTestId("cell-run-apart").count()).toBe(0);
    expect(await page.locator('[data-testid="run-cell"][data-cell="guess"]').getByTestId("predictions-table").locator("tbody tr").count()).toBe(TEXTS.length);
  }, 180_000);
});
