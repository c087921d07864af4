/**
 * A run's page as a user watches it: a real Baton, a "worker" speaking the worker protocol
 * through the typed client (register, claim, lease-token state reports, logs, metrics), and
 * headless Chromium seeing each change arrive without a reload. Then Cancel and Retry from the
 * page, and the pool's worker listed as online.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createBatonClient, type BatonClient } from "../server/client";
import { ensureProductionBuild, startBaton, type BatonProcess } from "./helpers/baton-process";
import { launchChromium, saveScreenshot } from "./helpers/browser";

let baton: BatonProcess;
let client: BatonClient;
let browser: Browser;
let page: Page;
let workerId: string;

beforeAll(async () => {
  ensureProductionBuild();
  baton = await startBaton();
  client = createBatonClient({ apiUrl: baton.apiUrl });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  await client.workPools.create.mutate({ name: "gpu-pool", type: "node" });
  await client.flows.create.mutate({ name: "train-flow" });
  ({ workerId } = await client.workers.register.mutate({
    workPool: "gpu-pool",
    name: "gpu-worker-1",
    capabilities: { gpu: true, cuda: "12.4" },
  }));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await baton?.stop();
});

function onFailure(name: string, onTestFailed: (fn: () => Promise<void>) => void) {
  onTestFailed(async () => {
    const file = await saveScreenshot(page, name);
    if (file) console.error(`Screenshot: ${file}`);
    console.error(`--- Baton server output ---\n${baton.output()}`);
  });
}

/** A run in the pool, claimed by the registered worker: its id and lease token. */
async function claimedRun(name: string) {
  const run = await client.flowRuns.create.mutate({ flow: "train-flow", workPool: "gpu-pool", name });
  const [claimed] = await client.workers.claim.mutate({ workerId, max: 1 });
  expect(claimed?.id).toBe(run.id);
  return { id: run.id, leaseToken: claimed!.leaseToken };
}

const stateBadge = () => page.getByRole("status", { name: "Run state" }).getByTestId("state-badge");

async function waitForState(type: string) {
  await page.waitForFunction(
    (t) => document.querySelector('[data-testid="run-state"] [data-testid="state-badge"]')?.getAttribute("data-state-type") === t,
    type,
    { timeout: 15_000 },
  );
}

/** Epochs of a training task, as the train kind reports them. */
function trainingPoints(epochs: number) {
  const timestamp = new Date().toISOString();
  return Array.from({ length: epochs }, (_, i) => {
    const step = i + 1;
    return [
      { name: "loss", value: 1.2 / step, step, timestamp },
      { name: "val_loss", value: 1.3 / step + 0.05, step, timestamp },
      { name: "accuracy", value: 0.5 + 0.08 * step, step, timestamp },
      { name: "val_accuracy", value: 0.48 + 0.07 * step, step, timestamp },
    ];
  }).flat();
}

describe("a run's page", () => {
  test("follows the worker live: state, task, logs and metrics, then Cancel", async ({ onTestFailed }) => {
    onFailure("run-page-live", onTestFailed);
    const { id, leaseToken } = await claimedRun("e2e-train");

    await page.goto(`${baton.url}/runs/${id}`);
    expect(await stateBadge().getAttribute("data-state-type")).toBe("PENDING");
    // Marks this document: a reload would lose it.
    await page.evaluate(() => ((window as unknown as { noReload: boolean }).noReload = true));

    await client.flowRuns.setState.mutate({ id, state: { type: "RUNNING" }, leaseToken });
    await waitForState("RUNNING");

    const task = await client.taskRuns.create.mutate({ flowRunId: id, taskKey: "train", kind: "train" });
    await client.taskRuns.setState.mutate({ id: task.id, state: { type: "RUNNING" }, flowRunLeaseToken: leaseToken });
    await client.logs.create.mutate({ logs: [{ flowRunId: id, taskRunId: task.id, level: 20, message: "epoch 1: loss 1.2000" }] });
    await page.getByRole("table", { name: "Logs" }).getByText("epoch 1: loss 1.2000").waitFor({ timeout: 15_000 });
    // The task in the graph (the default view), coloured as running, and on the timeline.
    await page.locator('[data-testid="graph-node"][data-task-key="train"][data-state-type="RUNNING"]').waitFor({ timeout: 15_000 });
    await page.getByRole("tab", { name: "Timeline" }).click();
    await page.getByTestId("task-run").filter({ hasText: "train" }).getByTestId("state-badge").getByText("Running").waitFor();

    // A second line: appended after the first (the poll continues from the cursor).
    await client.logs.create.mutate({ logs: [{ flowRunId: id, level: 30, message: "epoch 5: early stop" }] });
    await page.getByRole("table", { name: "Logs" }).getByText("epoch 5: early stop").waitFor({ timeout: 15_000 });
    const lines = await page.getByRole("table", { name: "Logs" }).locator("tbody tr").allTextContents();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain("WARNING");

    await client.artifacts.create.mutate({
      flowRunId: id,
      taskRunId: task.id,
      type: "metrics",
      key: "train-metrics",
      description: "Training curves",
      data: { points: trainingPoints(5) },
    });
    const lossChart = page.locator('[data-testid="metric-chart"][data-metric="loss"]');
    await lossChart.waitFor({ timeout: 15_000 });
    // Drawn by Observable Plot once the page is in the browser.
    await lossChart.getByRole("img").waitFor({ timeout: 15_000 });
    expect(await lossChart.getByRole("img").count()).toBe(1);
    const series = lossChart.getByTestId("metric-series");
    expect(await series.evaluateAll((gs) => gs.map((g) => g.getAttribute("data-series")))).toEqual(["loss", "val_loss"]);
    for (const path of await series.locator("path").all()) expect((await path.getAttribute("d"))?.split("L")).toHaveLength(5);
    expect(await page.locator('[data-testid="metric-chart"][data-metric="accuracy"] [data-testid="metric-series"] path').count()).toBe(2);
    expect(await page.getByRole("table", { name: "Artifacts" }).textContent()).toContain("Training curves");
    await saveScreenshot(page, "run-page-running");

    // Cancel: asks first, then the run is Cancelling until the worker confirms.
    await page.getByRole("button", { name: "Cancel run" }).click();
    await page.getByRole("button", { name: "Yes, cancel run" }).click();
    await page.getByTestId("run-action-feedback").getByText(/Cancelling/).waitFor();
    await waitForState("CANCELLING");
    expect(await page.getByRole("button", { name: "Cancel run" }).isDisabled()).toBe(true);

    const beat = await client.workers.heartbeat.mutate({ workerId, runs: [{ id, leaseToken }] });
    expect(beat.cancel).toContain(id);
    await client.flowRuns.setState.mutate({ id, state: { type: "CANCELLED" }, leaseToken });
    await waitForState("CANCELLED");
    // The badge says Cancelled now; the earlier "Cancelling…" sentence is gone, not left stale.
    expect(await page.getByTestId("run-action-feedback").textContent()).not.toContain("Cancelling");
    expect(await page.evaluate(() => (window as unknown as { noReload?: boolean }).noReload)).toBe(true);
    await saveScreenshot(page, "run-page-cancelled");
  }, 60_000);

  test("Retry puts a failed run back to Scheduled, and says why it waits", async ({ onTestFailed }) => {
    onFailure("run-page-retry", onTestFailed);
    const { id, leaseToken } = await claimedRun("e2e-fails");
    await client.flowRuns.setState.mutate({ id, state: { type: "RUNNING" }, leaseToken });
    await client.flowRuns.setState.mutate({ id, state: { type: "FAILED", message: "ValueError: bad batch" }, leaseToken });

    await page.goto(`${baton.url}/runs/${id}`);
    expect(await stateBadge().getAttribute("data-state-type")).toBe("FAILED");
    expect(await page.getByRole("button", { name: "Cancel run" }).isDisabled()).toBe(true);
    await page.getByRole("button", { name: "Retry run" }).click();
    await page.getByTestId("run-action-feedback").getByText(/Retrying/).waitFor();
    await waitForState("SCHEDULED");
    await page.getByTestId("waiting-reason").waitFor({ timeout: 15_000 });
    expect(await page.getByTestId("waiting-reason").textContent()).toMatch(/Waiting:/);
    await saveScreenshot(page, "run-page-retried");
  }, 40_000);

  test("the work pool page lists the worker as online, with its GPU", async ({ onTestFailed }) => {
    onFailure("work-pool-workers", onTestFailed);
    await client.workers.heartbeat.mutate({ workerId, runs: [] });
    await page.goto(`${baton.url}/work-pools`);
    const row = page.getByRole("table", { name: "Workers of gpu-pool" }).getByRole("row", { name: /gpu-worker-1/ });
    await row.waitFor();
    expect(await row.getByTestId("worker-status").textContent()).toBe("Online");
    expect(await row.textContent()).toContain("GPU");
    expect(await row.textContent()).toContain("cuda 12.4");
    const queue = page.getByRole("table", { name: "Queues of gpu-pool" }).getByRole("row", { name: /default/ });
    expect(await queue.textContent()).toMatch(/default.*unlimited/s);
    await saveScreenshot(page, "work-pools");
  }, 30_000);
});
