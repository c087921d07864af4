/**
 * The dashboard at `/` as a user meets it: first on a fresh database (it says how to get a first
 * run, linking the new-deployment and work-pool pages), then with runs seeded through the API
 * (a worker speaking the protocol fails one with a message, another waits in a pool with no
 * worker): the chart is an image with its label and a text alternative, the arrow keys read
 * its bars, the failure's message links to its run, the late run says why, the pools show
 * their health, and the window switcher is a link.
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

beforeAll(async () => {
  ensureProductionBuild();
  baton = await startBaton();
  client = createBatonClient({ apiUrl: baton.apiUrl });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.setDefaultTimeout(15_000);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await baton?.stop();
});

function onFailure(name: string, onTestFailed: (fn: () => Promise<void>) => void) {
  onTestFailed(async () => {
    const file = await saveScreenshot(page, `dashboard-${name}`);
    if (file) console.error(`Screenshot: ${file}`);
    console.error(`--- Baton server output ---\n${baton.output().slice(-5000)}`);
  });
}

const main = () => page.getByRole("navigation", { name: "Main" });

describe("the dashboard", () => {
  test("on a fresh database: says how to get a first run, with links", async ({ onTestFailed }) => {
    onFailure("empty", onTestFailed);
    await page.goto(baton.url);
    await page.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();
    expect(page.url()).toBe(`${baton.url}/`);
    expect(await main().getByRole("link", { name: "Dashboard" }).getAttribute("aria-current")).toBe("page");
    expect(await main().getByRole("link", { name: "Flow runs" }).getAttribute("href")).toBe("/runs");

    const empty = page.getByTestId("dashboard-empty");
    expect(await empty.textContent()).toContain("baton worker start -p my-pool");
    expect(await empty.getByRole("link", { name: "Create a deployment" }).getAttribute("href")).toBe("/deployments/new");
    expect(await empty.getByRole("link", { name: "Work pools" }).getAttribute("href")).toBe("/work-pools");
    const noPools = page.getByTestId("dashboard-no-pools");
    expect(await noPools.getByRole("link").first().getAttribute("href")).toBe("/work-pools");
    expect(await page.getByTestId("runs-chart").count()).toBe(0);

    // With a pool and still no run: the worker command names that pool.
    await client.workPools.create.mutate({ name: "dash-first", type: "node" });
    await page.reload();
    expect(await empty.textContent()).toContain("baton worker start -p dash-first");
    expect(await empty.getByRole("link", { name: "dash-first" }).getAttribute("href")).toBe("/work-pools");

    await empty.getByRole("link", { name: "Create a deployment" }).click();
    await page.getByRole("heading", { level: 1, name: "New deployment" }).waitFor();
  });

  test("with runs: the chart, a failure linking to its run, a late run's reason, pool health", async ({ onTestFailed }) => {
    onFailure("runs", onTestFailed);
    await client.workPools.create.mutate({ name: "dash-pool", type: "node", concurrencyLimit: 4 });
    await client.workPools.create.mutate({ name: "dash-empty", type: "node" });
    await client.flows.create.mutate({ name: "dash-flow" });
    const { workerId } = await client.workers.register.mutate({ workPool: "dash-pool", name: "dash-worker" });

    const failing = await client.flowRuns.create.mutate({ flow: "dash-flow", workPool: "dash-pool", name: "dash-fails" });
    const ok = await client.flowRuns.create.mutate({ flow: "dash-flow", workPool: "dash-pool", name: "dash-completes" });
    const claimed = await client.workers.claim.mutate({ workerId, max: 2, start: true });
    expect(claimed.map((r) => r.id).sort()).toEqual([failing.id, ok.id].sort());
    const lease = (id: string) => claimed.find((r) => r.id === id)!.leaseToken;
    await client.flowRuns.setState.mutate({ id: failing.id, state: { type: "FAILED", message: "ValueError: dashboard e2e says no" }, leaseToken: lease(failing.id) });
    await client.flowRuns.setState.mutate({ id: ok.id, state: { type: "COMPLETED" }, leaseToken: lease(ok.id) });
    // Waiting since a minute ago in a pool nobody serves: late, and the page says why.
    const late = await client.flowRuns.create.mutate({
      flow: "dash-flow",
      workPool: "dash-empty",
      name: "dash-waits",
      scheduledTime: new Date(Date.now() - 60_000).toISOString(),
    });
    await client.workers.heartbeat.mutate({ workerId, runs: [] });

    await page.goto(baton.url);
    await page.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();

    // The chart: an image with its label and description, drawn by Plot, and its text alternative.
    const chart = page.getByRole("img", { name: "Runs by state, last 24 hours" });
    await chart.waitFor();
    expect(await chart.evaluate((el) => el.tagName.toLowerCase())).toBe("svg");
    expect(await chart.getAttribute("aria-description")).toMatch(/3 runs in all: 1 scheduled, 1 completed, 1 failed/);
    expect(await chart.locator('g[aria-label="rect"] rect').count()).toBe(3);
    const legend = await page.getByTestId("runs-chart").getByRole("list", { name: "Legend" }).textContent();
    expect(legend).toBe("ScheduledCompletedFailed");
    const table = page.getByTestId("runs-chart-table");
    expect(await table.locator("tbody tr").count()).toBe(24);
    expect(await table.locator("thead").textContent()).toBe("Period startingScheduledCompletedFailedTotal");
    expect(await table.locator("tbody tr").last().locator("td").allTextContents()).toEqual(["1", "1", "1", "3"]);
    // The count axis has whole, distinct ticks up to the tallest bar (3), not 0, 0.5, 1 … rounded.
    expect(await chart.locator('g[aria-label="y-axis tick label"] text').allTextContents()).toEqual(["0", "1", "2", "3"]);

    // Keyboard: focus the chart, step to a bar; a tip shows it and a live region reads it.
    await page.getByRole("group", { name: /Runs by state, last 24 hours: chart/ }).focus();
    await page.keyboard.press("End");
    await page.getByTestId("runs-chart-announcement").getByText(/3 runs \(1 scheduled, 1 completed, 1 failed\)/).waitFor();
    await chart.locator('g[aria-label="tip"] text').first().waitFor();
    await page.keyboard.press("ArrowLeft");
    await page.getByTestId("runs-chart-announcement").getByText(/no runs/).waitFor();

    // Totals by state, each a link to the run list filtered by it.
    const failedTotal = page.getByTestId("dashboard-totals").locator('[data-state-type="FAILED"]');
    expect(await failedTotal.textContent()).toBe("Failed1");
    expect(await failedTotal.getAttribute("href")).toBe("/runs?state=FAILED");

    // The late run, with the engine's reason.
    const lateRow = page.getByTestId("late-run").filter({ hasText: "dash-waits" });
    expect(await lateRow.getByTestId("run-reason").textContent()).toBe(
      'Not started: no worker is online in work pool "dash-empty"; start one with: baton worker start -p dash-empty',
    );
    expect(await lateRow.getByRole("link", { name: "dash-waits" }).getAttribute("href")).toBe(`/runs/${late.id}`);
    expect(await page.getByTestId("stuck-runs").textContent()).toContain("Nothing is stuck");

    // Pools: the served one healthy with its worker, the other without one.
    const pool = page.getByTestId("pool").and(page.locator('[data-pool="dash-pool"]'));
    expect(await pool.getByTestId("pool-health-status").textContent()).toBe("Healthy");
    expect(await pool.getByTestId("pool-workers").textContent()).toBe("1 online · 0 offline");
    expect(await pool.getByTestId("pool-slots").textContent()).toBe("0 of 4");
    const emptyPool = page.getByTestId("pool").and(page.locator('[data-pool="dash-empty"]'));
    expect(await emptyPool.getByTestId("pool-health-status").textContent()).toBe("No worker online");
    expect(await emptyPool.getByTestId("pool-queued").textContent()).toBe("1");

    // The failure: its message, and a link to its run that opens it.
    const failure = page.getByTestId("failure").filter({ hasText: "dash-fails" });
    expect(await failure.getByTestId("failure-message").textContent()).toBe("ValueError: dashboard e2e says no");
    await failure.getByRole("link", { name: "dash-fails" }).click();
    await page.waitForURL(`${baton.url}/runs/${failing.id}`);
    await page.getByRole("heading", { level: 1, name: /dash-fails/ }).waitFor();
  });

  test("the window switcher is a link; the run list stays a click away", async ({ onTestFailed }) => {
    onFailure("window", onTestFailed);
    await page.goto(baton.url);
    await page.getByRole("navigation", { name: "Time window" }).getByRole("link", { name: "Last 7 days" }).click();
    await page.waitForURL(`${baton.url}/?window=7d`);
    await page.getByRole("img", { name: "Runs by state, last 7 days" }).waitFor();
    expect(await page.getByRole("navigation", { name: "Time window" }).getByRole("link", { name: "Last 7 days" }).getAttribute("aria-current")).toBe("true");
    expect(await page.getByTestId("runs-chart-table").locator("tbody tr").count()).toBe(28);

    await page.goto(`${baton.url}/?window=1y`);
    expect(await page.getByTestId("window-unknown").textContent()).toContain("Unknown window “1y”");
    await page.getByRole("img", { name: "Runs by state, last 24 hours" }).waitFor();

    await main().getByRole("link", { name: "Flow runs" }).click();
    await page.waitForURL(`${baton.url}/runs`);
    await page.getByRole("heading", { level: 1, name: "Flow runs" }).waitFor();
    await main().getByRole("link", { name: "Dashboard" }).click();
    await page.waitForURL(`${baton.url}/`);
  });
});
