/**
 * A real flow on the run page: a `baton worker start` process runs e2e/fixtures/graph-flow.ts
 * (load → clean → stats and top → report, a subflow, log lines at four levels) on a real Baton,
 * and headless Chromium reads the outcome: the graph's nodes and edges from the SDK's upstream
 * links, a node opening its task-run page (upstream, downstream, result, logs), the timeline,
 * the subflow listed with its state and linking back to its parent, the result rendered (a
 * table of its rows), and the logs filtered by level, task and text.
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
let client: BatonClient;
let browser: Browser;
let page: Page;
let worker: { child: ChildProcess; output: () => string } | undefined;
let runId: string;
const workerDir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-e2e-graph-worker-"));

beforeAll(async () => {
  ensureProductionBuild();
  baton = await startBaton();
  client = createBatonClient({ apiUrl: baton.apiUrl });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  await client.workPools.create.mutate({ name: "graph-pool", type: "node" });
  await client.deployments.create.mutate({ flow: "graph-flow", name: "main", entrypoint: "e2e/fixtures/graph-flow.ts:graphFlow", workPool: "graph-pool" });

  let out = "";
  const child = spawn(process.execPath, [path.join(ROOT, "bin/baton.mjs"), "worker", "start", "-p", "graph-pool", "--name", "e2e-graph-worker"], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", BATON_API_URL: baton.apiUrl, BATON_WORKER_CLAIM_WAIT_MS: "3000", BATON_WORKER_DATA_DIR: workerDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
  worker = { child, output: () => out };

  const run = await client.deployments.run.mutate({ deployment: "graph-flow/main" });
  runId = run.id;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const r = await client.flowRuns.get.query({ id: runId });
    if (isTerminalState(r.stateType)) {
      if (r.stateType !== "COMPLETED") throw new Error(`the run ended ${r.stateType}: ${r.stateMessage}\n--- worker ---\n${out}`);
      break;
    }
    if (child.exitCode !== null) throw new Error(`the worker exited (${child.exitCode}):\n${out}`);
    if (Date.now() > deadline) throw new Error(`the run is still ${r.stateType} after 90 s:\n${out}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}, 240_000);

afterAll(async () => {
  if (worker && worker.child.exitCode === null && worker.child.signalCode === null) {
    const exited = new Promise((r) => worker!.child.once("exit", r));
    worker.child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL");
  }
  await browser?.close();
  await baton?.stop();
  fs.rmSync(workerDir, { recursive: true, force: true });
});

function onFailure(name: string, onTestFailed: (fn: () => Promise<void>) => void) {
  onTestFailed(async () => {
    const file = await saveScreenshot(page, name);
    if (file) console.error(`Screenshot: ${file}`);
    console.error(`--- Baton server output ---\n${baton.output()}`);
    if (worker) console.error(`--- worker output ---\n${worker.output()}`);
  });
}

/** The task runs' names by id, from the API. */
async function taskNames(flowRunId: string) {
  const tasks = await client.taskRuns.list.query({ flowRunId });
  return { tasks, byName: new Map(tasks.map((t) => [t.name, t])) };
}

const graphNode = (taskKey: string) => page.locator(`[data-testid="graph-node"][data-task-key="${taskKey}"]`);
const logRows = () => page.getByRole("table", { name: "Logs" }).locator("tbody tr:not(.log-spacer)");

describe("a run's page, from a real flow", () => {
  test("the graph shows the tasks and their upstream links; a node opens the task-run page", async ({ onTestFailed }) => {
    onFailure("run-graph", onTestFailed);
    const { tasks, byName } = await taskNames(runId);
    expect(tasks.map((t) => t.name).sort()).toEqual(["clean-0", "load-0", "report-0", "stats-0", "top-0"]);
    // The SDK recorded the DAG from the values passed between the tasks.
    const ids = (name: string) => byName.get(name)!.id;
    expect(byName.get("clean-0")!.upstreamTaskRunIds).toEqual([ids("load-0")]);
    expect(byName.get("report-0")!.upstreamTaskRunIds.sort()).toEqual([ids("stats-0"), ids("top-0")].sort());

    await page.goto(`${baton.url}/runs/${runId}`);
    const graph = page.getByTestId("task-graph");
    await graph.waitFor();
    await page.locator('[data-testid="graph-node"]').nth(4).waitFor();
    expect(await page.locator('[data-testid="graph-node"]').count()).toBe(5);
    expect(await graph.getAttribute("data-layout")).toBe("dagre");
    // load→clean, clean→stats, clean→top, stats→report, top→report: drawn as five edges.
    await page.locator(".react-flow__edge").nth(4).waitFor();
    expect(await page.locator(".react-flow__edge").count()).toBe(5);
    expect(await graph.getAttribute("data-edges")).toBe("5");
    expect(await graphNode("report").getAttribute("data-state-type")).toBe("COMPLETED");
    // Left to right along the links.
    const x = async (key: string) => (await graphNode(key).boundingBox())!.x;
    expect(await x("load")).toBeLessThan(await x("clean"));
    expect(await x("clean")).toBeLessThan(await x("stats"));
    expect(await x("stats")).toBeLessThan(await x("report"));
    await saveScreenshot(page, "run-graph");

    await graphNode("stats").click();
    await page.waitForURL(`**/runs/${runId}/tasks/${ids("stats-0")}`);
    await page.getByRole("heading", { level: 1, name: /stats-0/ }).waitFor();
    expect(await page.getByTestId("task-run-state").textContent()).toContain("Completed");
    expect(await page.getByRole("list", { name: "Upstream task runs" }).textContent()).toContain("clean-0");
    expect(await page.getByRole("list", { name: "Downstream task runs" }).textContent()).toContain("report-0");
    expect(await page.getByTestId("run-result").textContent()).toMatch(/count.*4.*total.*100/s);
    expect(await page.getByRole("table", { name: "Logs" }).textContent()).toContain("summing values");
    expect(await page.getByTestId("state-history").textContent()).toMatch(/Running.*Completed/s);
    await saveScreenshot(page, "task-run-page");

    // Back on the run page: the timeline tab lists the same five task runs, each linking to its page.
    await page.getByTestId("task-flow-run").click();
    await page.waitForURL(`**/runs/${runId}`);
    await page.getByRole("tab", { name: "Timeline" }).click();
    await page.getByTestId("task-timeline").waitFor();
    expect(await page.getByTestId("task-run").count()).toBe(5);
    expect(await page.getByTestId("task-run").filter({ hasText: "report-0" }).textContent()).toMatch(/after (stats-0, top-0|top-0, stats-0)/);
    await page.getByTestId("task-run").filter({ hasText: "clean-0" }).getByRole("link", { name: "clean-0" }).click();
    await page.waitForURL(`**/tasks/${ids("clean-0")}`);
    expect(await page.getByRole("table", { name: "Logs" }).textContent()).toContain("dropping 2 rows over 40");
  }, 60_000);

  test("the subflow is listed with its state and links back to its parent; the result is rendered", async ({ onTestFailed }) => {
    onFailure("run-graph-subflow", onTestFailed);
    await page.goto(`${baton.url}/runs/${runId}`);
    const subflows = page.getByRole("table", { name: "Subflow runs" });
    await subflows.waitFor();
    const row = subflows.getByTestId("subflow-run");
    expect(await row.count()).toBe(1);
    expect(await row.textContent()).toMatch(/graph-child.*Completed/s);

    // The flow run's result: its rows as a table, the report beside them.
    const result = page.getByTestId("run-result");
    expect(await result.getAttribute("data-preview")).toBe("full");
    const rows = result.getByRole("table", { name: "rows" });
    expect(await rows.locator("tbody tr").count()).toBe(4);
    expect(await rows.locator("thead").textContent()).toMatch(/id.*city.*value/s);
    expect(await result.textContent()).toMatch(/best.*Lyon/s);
    const download = await page.request.get(`${baton.url}/runs/${runId}/result`);
    expect(download.status()).toBe(200);
    expect(download.headers()["content-disposition"]).toMatch(/attachment/);
    expect((await download.json()) as unknown).toMatchObject({ report: { count: 4, total: 100 }, child: { count: 2, total: 30 } });

    await row.getByRole("link").click();
    await page.waitForURL((url) => url.pathname.startsWith("/runs/") && !url.pathname.endsWith(runId));
    const parent = page.getByTestId("parent-run");
    await parent.waitFor();
    expect(await parent.getAttribute("href")).toBe(`/runs/${runId}`);
    expect(await parent.textContent()).toContain("graph-flow");
    expect(await page.getByTestId("run-result").textContent()).toMatch(/count.*2/s);
    await parent.click();
    await page.waitForURL(`**/runs/${runId}`);
    await page.getByRole("table", { name: "Subflow runs" }).waitFor();
  }, 60_000);

  test("logs filter by level and by task, and search their text", async ({ onTestFailed }) => {
    onFailure("run-graph-logs", onTestFailed);
    const { byName } = await taskNames(runId);
    await page.goto(`${baton.url}/runs/${runId}`);
    await page.getByRole("table", { name: "Logs" }).getByText("graph flow done").waitFor();
    const all = await logRows().count();
    expect(all).toBeGreaterThanOrEqual(6);
    const levels = () => logRows().evaluateAll((rows) => rows.map((r) => r.getAttribute("data-level")));
    expect(await levels()).toEqual(expect.arrayContaining(["DEBUG", "INFO", "WARNING", "ERROR"]));

    await page.getByTestId("log-level-filter").selectOption({ label: "Errors only" });
    await page.getByTestId("log-count").getByText(`of ${all} lines`).waitFor();
    expect(new Set(await levels())).toEqual(new Set(["ERROR"]));
    expect(await logRows().first().textContent()).toContain("report: one city is missing");

    await page.getByTestId("log-level-filter").selectOption({ label: "Warnings and errors" });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-logs"] tr[data-level="WARNING"]').length > 0);
    expect(new Set(await levels())).toEqual(new Set(["WARNING", "ERROR"]));

    await page.getByTestId("log-level-filter").selectOption({ label: "All levels" });
    await page.getByTestId("log-task-filter").selectOption({ label: "load-0" });
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="run-logs"] tbody tr').length < n, all);
    expect(await logRows().allTextContents()).toEqual([expect.stringContaining("loading 6 rows")]);
    expect(await logRows().first().textContent()).toContain("load-0");

    await page.getByTestId("log-task-filter").selectOption({ label: "All tasks" });
    await page.getByTestId("log-search").fill("DROPPING");
    await page.getByTestId("log-count").getByText(`1 of ${all} lines`).waitFor();
    expect(await logRows().allTextContents()).toEqual([expect.stringContaining("dropping 2 rows over 40")]);
    await page.getByTestId("log-search").fill("no such text anywhere");
    await page.getByTestId("logs-none-match").waitFor();
    await page.getByTestId("log-search").fill("");
    await page.getByTestId("log-count").getByText(`${all} lines`, { exact: true }).waitFor();
    expect(byName.get("load-0")).toBeDefined();
    await saveScreenshot(page, "run-graph-logs");
  }, 60_000);
});
