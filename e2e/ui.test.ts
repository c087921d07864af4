/**
 * The web UI end to end: a real Baton server process on a fresh embedded database, seeded
 * through the HTTP API with the typed client, driven in headless Chromium.
 *
 * The tests share one server and run in order: the first sees the fresh database's empty
 * states, the next seeds a pool and a deployment and runs it from the UI.
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
});

afterAll(async () => {
  await browser?.close();
  await baton?.stop();
});

/** On failure: a screenshot of the page and the server's output, next to the error. */
function onFailure(name: string, onTestFailed: (fn: () => Promise<void>) => void) {
  onTestFailed(async () => {
    const file = await saveScreenshot(page, name);
    if (file) console.error(`Screenshot: ${file}`);
    console.error(`--- Baton server output ---\n${baton.output()}`);
  });
}

describe("web UI", () => {
  test("a fresh database shows what to do next", async ({ onTestFailed }) => {
    onFailure("empty-states", onTestFailed);

    // The home page is the dashboard (e2e/dashboard.test.ts); the run list is a click away.
    await page.goto(baton.url);
    await page.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Flow runs" }).click();
    await page.waitForURL(/\/runs$/);
    await page.getByRole("heading", { level: 1, name: "Flow runs" }).waitFor();
    const noRuns = page.getByTestId("runs-empty");
    await noRuns.waitFor();
    expect(await noRuns.textContent()).toContain("baton deployment run");

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Deployments" }).click();
    await page.getByRole("heading", { level: 1, name: "Deployments" }).waitFor();
    const noDeployments = page.getByTestId("deployments-empty");
    await noDeployments.waitFor();
    const text = await noDeployments.textContent();
    expect(text).toContain("baton work-pool create my-pool --type node");
    expect(text).toContain(`${baton.url}/api/trpc/deployments.create`);
  });

  test("a deployment created through the API can be run from the UI", async ({ onTestFailed }) => {
    onFailure("run-deployment", onTestFailed);

    await client.workPools.create.mutate({ name: "e2e-pool", type: "node", concurrencyLimit: 3 });
    const deployment = await client.deployments.create.mutate({
      flow: "e2e-flow",
      name: "nightly",
      workPool: "e2e-pool",
      tags: ["e2e"],
      parameters: { greeting: "hello" },
      schedules: [{ cron: "0 8 * * *", timezone: "Asia/Phnom_Penh" }],
    });
    expect(deployment.workPoolName).toBe("e2e-pool");

    // Work pools: the new pool with its type and limit.
    await page.goto(`${baton.url}/work-pools`);
    const poolRow = page.getByRole("table", { name: "Work pools" }).getByRole("row", { name: /e2e-pool/ });
    await poolRow.waitFor();
    expect(await poolRow.textContent()).toMatch(/node.*3/s);

    // Deployments: the schedule in words, then Run.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Deployments" }).click();
    const row = page.getByRole("table", { name: "Deployments" }).getByRole("row", { name: /nightly/ });
    await row.waitFor();
    const rowText = await row.textContent();
    expect(rowText).toContain("e2e-pool");
    expect(rowText).toContain("At 08:00 (Asia/Phnom_Penh)");

    await row.getByRole("button", { name: "Run e2e-flow/nightly" }).click();
    const created = row.getByRole("status").getByRole("link");
    await created.waitFor();
    const runName = (await created.textContent())?.trim();
    expect(runName).toBeTruthy();

    // Flow runs: the new run, waiting for a worker. With no worker about, the late marker may
    // already have renamed it Late, which is still a Scheduled state.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Flow runs" }).click();
    await page.waitForURL(/\/runs$/);
    const runRow = page.getByRole("table", { name: "Flow runs" }).getByRole("row", { name: new RegExp(runName!) });
    await runRow.waitFor();
    const badge = runRow.getByTestId("state-badge");
    expect(await badge.getAttribute("data-state-type")).toBe("SCHEDULED");
    expect(["Scheduled", "Late"]).toContain(await badge.textContent());
    expect(await runRow.textContent()).toContain("e2e-flow");

    // Its page: parameters from the deployment, and how it got to Scheduled.
    await runRow.getByRole("link", { name: runName! }).click();
    await page.getByRole("heading", { level: 1, name: new RegExp(runName!) }).waitFor();
    expect(await page.getByTestId("run-parameters").textContent()).toContain('"greeting": "hello"');
    expect(await page.getByTestId("state-history").textContent()).toContain("Scheduled");

    // The state filter keeps it under Scheduled and not under Completed.
    await page.goto(`${baton.url}/runs?state=COMPLETED`);
    await page.getByTestId("runs-empty-filtered").waitFor();
    await page.goto(`${baton.url}/runs?state=scheduled`);
    await page.getByRole("row", { name: new RegExp(runName!) }).waitFor();
  });
});
