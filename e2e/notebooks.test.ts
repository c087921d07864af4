/**
 * A notebook, as a new user builds one in Chromium on a fresh server: create it, upload a real
 * PDF, add pdf → encode → cluster cells (each wired to the one before by itself), run them all in
 * the tab and see the outputs (chunk previews, the cluster plot with its legend); reload and see
 * them again, read back from the blob store; change encode's parameters and see it and the
 * cluster go stale while the pdf stays fresh; run the stale cells and see everything fresh; deploy
 * it to a node pool, close the tab, run it on a `baton worker start` process, and see the run's
 * outputs rendered as the notebook renders them; add a train cell, sent by itself to the node
 * pool, and see its curves come back; infer with its model in the tab: predictions and a confusion
 * matrix against the labels it was trained on.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureProductionBuild, ROOT, startBaton, type BatonProcess } from "./helpers/baton-process";
import { launchChromium, saveScreenshot } from "./helpers/browser";

const PDF = path.join(ROOT, "test/fixtures/pdfs/shared-mime-info-spec.pdf");
let baton: BatonProcess;
let worker: { child: ChildProcess; output: () => string; polling: Promise<void> } | undefined;
const workerDir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-e2e-nb-worker-"));

/** A call to the API as the page's user (auth is off): a query by GET, a mutation by POST. */
async function trpc(procedure: string, input: unknown, method: "GET" | "POST" = "POST"): Promise<unknown> {
  const url = `${baton.apiUrl}/trpc/${procedure}${method === "GET" ? `?input=${encodeURIComponent(JSON.stringify(input))}` : ""}`;
  const res = await fetch(url, method === "GET" ? {} : { method, headers: { "content-type": "application/json" }, body: JSON.stringify(input) });
  const body = (await res.json()) as { result?: { data: unknown }; error?: { message: string } };
  if (!res.ok || !body.result) throw new Error(`${procedure}: ${body.error?.message ?? res.status}`);
  return body.result.data;
}

/** `baton worker start` on a pool, as an operator starts one. */
function startWorker(pool: string) {
  let out = "";
  const child = spawn(process.execPath, [path.join(ROOT, "bin/baton.mjs"), "worker", "start", "-p", pool, "--name", "e2e-notebook-worker"], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", BATON_API_URL: baton.apiUrl, BATON_WORKER_CLAIM_WAIT_MS: "3000", BATON_WORKER_DATA_DIR: workerDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const polling = (async () => {
    const deadline = Date.now() + 60_000;
    while (!/polling pool/.test(out)) {
      if (child.exitCode !== null) throw new Error(`the worker exited (${child.exitCode}):\n${out}`);
      if (Date.now() > deadline) throw new Error(`the worker did not start polling:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return { child, output: () => out, polling };
}
let browser: Browser;
let page: Page;

beforeAll(async () => {
  ensureProductionBuild();
  baton = await startBaton();
  browser = await launchChromium();
  page = await browser.newPage();
});

afterAll(async () => {
  if (worker && worker.child.exitCode === null && worker.child.signalCode === null) {
    const exited = new Promise((r) => worker!.child.once("exit", r));
    worker.child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL");
  }
  fs.rmSync(workerDir, { recursive: true, force: true });
  await browser?.close();
  await baton?.stop();
});

const cell = (id: string) => page.locator(`[data-testid="notebook-cell"][data-cell="${id}"]`);

async function states(): Promise<Record<string, string | null>> {
  const cells = page.getByTestId("notebook-cell");
  const out: Record<string, string | null> = {};
  for (let i = 0; i < (await cells.count()); i++) out[(await cells.nth(i).getAttribute("data-cell"))!] = await cells.nth(i).getAttribute("data-state");
  return out;
}

async function waitForStates(want: Record<string, string>, timeout = 120_000): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const now = await states();
    if (Object.entries(want).every(([id, s]) => now[id] === s)) return;
    const error = page.getByTestId("task-error");
    if (await error.count()) throw new Error(`a cell failed: ${await error.first().textContent()}`);
    if (Date.now() > deadline) throw new Error(`cells are ${JSON.stringify(now)}, not ${JSON.stringify(want)}`);
    await page.waitForTimeout(250);
  }
}

describe("notebooks in the browser", () => {
  test("upload → pdf → encode → cluster: run in the tab, reload, edit, re-run the stale cells", async ({ onTestFailed }) => {
    onTestFailed(async () => void (await saveScreenshot(page, "notebooks")));
    // A node pool to deploy to, made through the API.
    const pool = await fetch(`${baton.apiUrl}/trpc/workPools.create`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "nodes", type: "node" }) });
    expect(pool.status).toBe(200);
    await page.goto(`${baton.url}/notebooks`);
    await expect(page.getByTestId("notebooks-empty").textContent()).resolves.toMatch(/Create your first notebook/);

    await page.getByTestId("notebook-name").fill("Spec clusters");
    await page.getByTestId("create-notebook").click();
    await page.waitForURL(/\/notebooks\/[0-9a-f-]{36}$/);
    await page.getByTestId("notebook-empty").waitFor();
    expect(await page.getByTestId("notebook-version").textContent()).toMatch(/Version 1/);

    await page.getByTestId("add-upload").click();
    await cell("upload-1").getByTestId("upload-input").setInputFiles(PDF);
    await cell("upload-1").getByTestId("uploaded-file").waitFor();
    expect(await cell("upload-1").getByTestId("uploaded-file").textContent()).toMatch(/shared-mime-info-spec\.pdf/);

    await page.getByTestId("add-pdf").click();
    await page.getByTestId("add-encode").click();
    await page.getByTestId("add-cluster").click();
    // Each reads the cell before it, wired by itself.
    expect(await cell("pdf-1").getByTestId("input-data").inputValue()).toBe("upload-1");
    expect(await cell("encode-1").getByTestId("input-texts").inputValue()).toBe("pdf-1");
    expect(await cell("cluster-1").getByTestId("input-vectors").inputValue()).toBe("encode-1");
    expect(await cell("cluster-1").getByTestId("input-terms.texts").inputValue()).toBe("pdf-1");
    expect(await states()).toEqual({ "upload-1": "fresh", "pdf-1": "empty", "encode-1": "empty", "cluster-1": "empty" });

    // Run all, once the tab's task worker is up.
    await page.getByTestId("runtime-loading").waitFor({ state: "detached", timeout: 60_000 });
    await page.getByTestId("run-all").click();
    await waitForStates({ "pdf-1": "fresh", "encode-1": "fresh", "cluster-1": "fresh" });
    expect(await cell("pdf-1").getByTestId("result-summary").textContent()).toMatch(/shared-mime-info-spec\.pdf: \d+ pages, \d+ chunks/);
    expect(await cell("pdf-1").getByTestId("text-previews").locator("li").count()).toBeGreaterThan(0);
    expect(await cell("encode-1").getByTestId("result-summary").textContent()).toMatch(/\d+ vectors of \d+ dimensions \(lexical/);
    await cell("cluster-1").getByTestId("cluster-plot").waitFor();
    expect(await cell("cluster-1").getByTestId("cluster-legend").locator("li").count()).toBeGreaterThan(1);
    // Hover text: each point's title is its chunk's text.
    expect(await cell("cluster-1").getByTestId("plot-point").first().locator("title").textContent()).toMatch(/^cluster \d+( \([^)]*\))?: \S/);
    // Hovering a point shows its chunk's text in the plot's tip (Observable Plot's pointer tip).
    const hovered = cell("cluster-1").getByTestId("plot-point").nth(2);
    const chunkText = (await hovered.locator("title").textContent())!.replace(/^cluster \d+( \([^)]*\))?: /, "");
    await hovered.hover();
    const tip = cell("cluster-1").getByTestId("cluster-plot").locator("g.cluster-tip text");
    // What the tip shows (its wrapped lines, without the titles Plot adds to a cut line), spaces dropped.
    const tipShows = () => tip.evaluateAll((texts) => texts.map((t) => [...t.querySelectorAll("tspan")].map((s) => [...s.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join("")).join("")).join("").replace(/[\s\u200b…]+/g, ""));
    await expect.poll(tipShows, { timeout: 10_000 }).toContain(chunkText.replace(/\s+/g, "").slice(0, 30));
    await page.getByTestId("save-status").getByText(/Saved version 2/).waitFor();
    const clustersBefore = await cell("cluster-1").getByTestId("result-summary").textContent();

    // A reload shows the same outputs, read back from the blob store.
    await page.reload();
    await cell("cluster-1").getByTestId("cluster-plot").waitFor({ timeout: 30_000 });
    expect(await states()).toEqual({ "upload-1": "fresh", "pdf-1": "fresh", "encode-1": "fresh", "cluster-1": "fresh" });
    expect(await cell("cluster-1").getByTestId("result-summary").textContent()).toBe(clustersBefore);
    expect(await page.getByTestId("notebook-version").textContent()).toMatch(/Version 2/);

    // Change encode: it and the cluster that reads it are stale, the pdf is not.
    const encode = cell("encode-1");
    await encode.locator("summary", { hasText: "Parameters" }).click();
    await encode.getByLabel("dimensions", { exact: true }).fill("16");
    await encode.getByRole("button", { name: "Apply" }).click();
    await waitForStates({ "upload-1": "fresh", "pdf-1": "fresh", "encode-1": "stale", "cluster-1": "stale" }, 5_000);
    expect(await cell("cluster-1").getByTestId("stale-note").count()).toBe(1);
    expect(await page.getByTestId("run-all").textContent()).toMatch(/Run stale cells \(2\)/);

    await page.getByTestId("runtime-loading").waitFor({ state: "detached", timeout: 60_000 });
    await page.getByTestId("run-all").click();
    await waitForStates({ "upload-1": "fresh", "pdf-1": "fresh", "encode-1": "fresh", "cluster-1": "fresh" });
    expect(await encode.getByTestId("result-summary").textContent()).toMatch(/vectors of 16 dimensions/);
    expect(await cell("cluster-1").getByTestId("stale-note").count()).toBe(0);
    await page.getByTestId("save-status").getByText(/Saved version 3/).waitFor();

    // Deploy: the saved version as a pipeline deployment on the node pool.
    expect(await page.getByTestId("deploy-pool").inputValue()).toBe("nodes");
    await page.getByTestId("deploy-notebook").click();
    await page.getByTestId("deploy-status").getByText(/Deployed as Spec clusters\/notebook/).waitFor();
    expect(await page.getByTestId("deploy-status").textContent()).toMatch(/pipeline:[0-9a-f-]{36}@3/);

    // Its runs need no browser: a Node worker process runs one, with the notebook's tab gone.
    const deploymentId = (await page.getByTestId("deploy-status").getByRole("link").getAttribute("href"))!.split("/").pop()!;
    const notebookUrl = page.url();
    await page.goto("about:blank");
    worker = startWorker("nodes");
    await worker.polling;
    const run = (await trpc("deployments.run", { deployment: deploymentId })) as { id: string };
    const deadline = Date.now() + 90_000;
    let state = "";
    while (!["COMPLETED", "FAILED", "CRASHED", "CANCELLED"].includes(state)) {
      if (Date.now() > deadline) throw new Error(`the run is ${state} after 90 s:\n${worker.output()}`);
      await new Promise((r) => setTimeout(r, 300));
      state = ((await trpc("flowRuns.get", { id: run.id }, "GET")) as { stateType: string }).stateType;
    }
    expect(state, worker.output()).toBe("COMPLETED");
    // Its outputs render as the notebook's do.
    await page.goto(notebookUrl);
    await page.getByTestId("notebook-run").getByRole("link", { name: /./ }).first().click();
    await page.waitForURL(new RegExp(`/runs/${run.id}$`));
    const ranCluster = page.locator('[data-testid="run-cell"][data-cell="cluster-1"]');
    await ranCluster.getByTestId("cluster-plot").waitFor();
    expect(await ranCluster.getByTestId("cluster-legend").locator("li").count()).toBeGreaterThan(1);
    expect(await page.locator('[data-testid="run-cell"][data-cell="pdf-1"]').getByTestId("result-summary").textContent()).toMatch(/shared-mime-info-spec\.pdf: \d+ pages/);

    // A train cell goes to the node pool by itself and trains there on encode's vectors and the
    // cluster labels: its loss and accuracy curves come back with its output.
    await page.goto(notebookUrl);
    await cell("cluster-1").getByTestId("cluster-plot").waitFor({ timeout: 30_000 });
    await page.getByTestId("add-train").click();
    expect(await cell("train-1").getByTestId("cell-target").inputValue()).toBe("nodes");
    expect(await cell("train-1").getByTestId("input-embeddings").inputValue()).toBe("encode-1");
    expect(await cell("train-1").getByTestId("input-labels").inputValue()).toBe("cluster-1");
    await page.getByTestId("runtime-loading").waitFor({ state: "detached", timeout: 60_000 });
    await cell("train-1").getByTestId("run-cell").click();
    await waitForStates({ "encode-1": "fresh", "cluster-1": "fresh", "train-1": "fresh" });
    expect(await cell("train-1").getByTestId("result-summary").textContent()).toMatch(/A logistic classifier of \d+ classes: validation accuracy/);
    expect(await cell("train-1").getByTestId("task-result").getByTestId("metric-chart").count()).toBe(2);
    expect(await cell("train-1").getByTestId("task-logs").textContent()).toMatch(/sent to pool nodes as run/);
    await page.getByTestId("save-status").getByText(/Saved version 4/).waitFor();

    // Infer in the tab with that model over the same vectors: predictions, and how they compare
    // with the cluster labels it was trained on.
    await page.getByTestId("add-infer").click();
    expect(await cell("infer-1").getByTestId("cell-target").inputValue()).toBe("");
    expect(await cell("infer-1").getByTestId("input-modelResultId").inputValue()).toBe("train-1");
    await cell("infer-1").getByTestId("run-cell").click();
    await waitForStates({ "train-1": "fresh", "infer-1": "fresh" });
    expect(await cell("infer-1").getByTestId("result-summary").textContent()).toMatch(/\d+ predictions over \d+ classes/);
    expect(await cell("infer-1").getByTestId("predictions-table").locator("tbody tr").count()).toBeGreaterThan(0);
    expect(await cell("infer-1").getByTestId("confusion-matrix").textContent()).toMatch(/\d+ of \d+ agree/);
    await page.getByTestId("save-status").getByText(/Saved version 5/).waitFor();

    // Every version is kept: version 2 opens read-only, with the outputs it had.
    await page.goto(notebookUrl);
    await page.getByTestId("notebook-versions").locator("summary").click();
    expect(await page.getByTestId("notebook-version-row").count()).toBe(5);
    await page.getByTestId("notebook-versions").getByRole("link", { name: "version 2" }).click();
    await page.getByTestId("old-version").waitFor();
    expect(await page.getByTestId("notebook-version").textContent()).toMatch(/Version 2/);
    expect(await page.getByTestId("notebook-cell").count()).toBe(4);
    expect(await page.getByTestId("run-all").count()).toBe(0);
    await cell("cluster-1").getByTestId("cluster-plot").waitFor({ timeout: 30_000 });

    // The list shows it, saved with its version.
    await page.goto(`${baton.url}/notebooks`);
    const row = page.getByTestId("notebook-row").filter({ hasText: "Spec clusters" });
    expect(await row.textContent()).toMatch(/Spec clusters\s*6\s*5/);
  });
});
