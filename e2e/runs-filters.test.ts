/**
 * The run list's filter bar in headless Chromium: runs of two flows, two deployments and two
 * pools, with tags, in every finished state and created over twenty days, written into the
 * embedded database before Baton opens it (the API stamps a run with the time it was made, and
 * the time range needs older ones). Each field is used through the form as a person would —
 * name, state, flow, deployment, pool, tags, a quick range and a custom one — and the list pages
 * with its cursor while filtered; nothing matching says which filters to loosen; Clear filters
 * and a bad date in the URL.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { flowRuns } from "../drizzle/schema";
import { openDatabase } from "../server/db/client";
import { createDeployment } from "../server/domain/deployments";
import { seedFlow, seedPool, WS } from "../test/helpers/seed";
import { ensureProductionBuild, startBaton, type BatonProcess } from "./helpers/baton-process";
import { launchChromium, saveScreenshot } from "./helpers/browser";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The etl/nightly batch: more than a page (50) on their own. */
const BATCH = 55;

let baton: BatonProcess;
let browser: Browser;
let page: Page;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-e2e-filters-"));

async function seed(): Promise<void> {
  const database = await openDatabase({ driver: "pglite", dataDir: path.join(dataDir, "db") });
  try {
    await database.migrate();
    const { db } = database;
    const cpu = await seedPool(db, "cpu");
    const gpu = await seedPool(db, "gpu");
    const etl = await seedFlow(db, "etl");
    const train = await seedFlow(db, "train");
    const nightly = await createDeployment({ db, workspaceId: WS, flow: "etl", name: "nightly", workPool: "cpu" });
    const weekly = await createDeployment({ db, workspaceId: WS, flow: "train", name: "weekly", workPool: "gpu" });
    const now = Date.now();
    const run = (name: string, ageMs: number, o: { flow: typeof etl; deployment?: typeof nightly; pool?: typeof cpu; state?: "COMPLETED" | "FAILED" | "CRASHED"; tags?: string[] }) => {
      const created = new Date(now - ageMs);
      const state = o.state ?? "COMPLETED";
      return {
        workspaceId: WS,
        flowId: o.flow.id,
        deploymentId: o.deployment?.id ?? null,
        workPoolId: o.pool?.pool.id ?? null,
        workQueueId: o.pool?.defaultQueue.id ?? null,
        name,
        stateType: state,
        stateName: state[0] + state.slice(1).toLowerCase(),
        tags: o.tags ?? [],
        scheduledTime: created,
        startTime: created,
        endTime: new Date(created.getTime() + 5_000),
        runCount: 1,
        createdAt: created,
        updatedAt: created,
      };
    };
    await db.insert(flowRuns).values([
      ...Array.from({ length: BATCH }, (_, i) => run(`etl-batch-${i + 1}`, (i + 1) * MINUTE, { flow: etl, deployment: nightly, pool: cpu })),
      run("train-run-1", 3 * HOUR, { flow: train, deployment: weekly, pool: gpu, state: "FAILED", tags: ["ml", "gpu"] }),
      run("train-run-2", 2 * DAY, { flow: train, deployment: weekly, pool: gpu, tags: ["ml"] }),
      run("crimson-fox", 10 * DAY, { flow: etl, deployment: nightly, pool: cpu, state: "CRASHED" }),
      run("old-report", 20 * DAY, { flow: etl, tags: ["adhoc"] }),
    ]);
  } finally {
    await database.close();
  }
}

beforeAll(async () => {
  ensureProductionBuild();
  await seed();
  baton = await startBaton({ dataDir });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await baton?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const bar = () => page.getByRole("search", { name: "Filter runs" });
const rowNames = async () => page.getByTestId("flow-run-row").locator(".cell-main").allTextContents();
/** The list as a fresh visit to /runs, `change` made in the filter bar, Apply pressed. */
async function filterBy(change: () => Promise<unknown>): Promise<URLSearchParams> {
  await page.goto(`${baton.url}/runs`);
  await change();
  await Promise.all([page.waitForURL(/\/runs\?/), bar().getByRole("button", { name: "Apply filters" }).click()]);
  await page.waitForLoadState("domcontentloaded");
  return new URL(page.url()).searchParams;
}
const utcField = (ms: number) => new Date(ms).toISOString().slice(0, 16);

describe("the run list's filters", () => {
  test("filter by each field through the form, and page with the cursor", async ({ onTestFailed }) => {
    onTestFailed(async () => {
      const file = await saveScreenshot(page, "runs-filters");
      if (file) console.error(`Screenshot: ${file}`);
      console.error(`--- Baton server output ---\n${baton.output()}`);
    });

    // Unfiltered: 59 runs, 50 on the first page, newest first; the cursor brings the other 9.
    await page.goto(`${baton.url}/runs`);
    expect(await rowNames()).toHaveLength(50);
    expect((await rowNames())[0]).toBe("etl-batch-1");
    expect(await page.getByTestId("runs-clear-filters").count()).toBe(0);
    await page.getByRole("link", { name: "Older runs →" }).click();
    await page.waitForURL(/cursor=/);
    expect(await rowNames()).toEqual(["etl-batch-51", "etl-batch-52", "etl-batch-53", "etl-batch-54", "etl-batch-55", "train-run-1", "train-run-2", "crimson-fox", "old-report"]);

    // Name: a part of it, any case.
    let q = await filterBy(() => bar().getByLabel("Name contains").fill("CRIMSON"));
    expect(q.get("q")).toBe("CRIMSON");
    expect(await rowNames()).toEqual(["crimson-fox"]);
    expect(await bar().getByLabel("Name contains").inputValue()).toBe("CRIMSON");
    expect(await page.getByTestId("runs-clear-filters").count()).toBe(1);

    // State: Failed means FAILED or CRASHED.
    q = await filterBy(() => bar().getByLabel("State").selectOption({ label: "Failed" }));
    expect(q.get("state")).toBe("FAILED,CRASHED");
    expect(await rowNames()).toEqual(["train-run-1", "crimson-fox"]);
    // A set no choice names (the dashboard's Failed total links FAILED alone) reads in words.
    const filtered = page.url();
    await page.goto(`${baton.url}/runs?state=FAILED`);
    expect(await bar().getByLabel("State").locator("option:checked").textContent()).toBe("Failed only");
    expect(await rowNames()).toEqual(["train-run-1"]);
    await page.goto(filtered);

    // Flow, deployment and pool: selects filled from the API.
    q = await filterBy(() => bar().getByLabel("Flow").selectOption("train"));
    expect(q.get("flow")).toBe("train");
    expect(await rowNames()).toEqual(["train-run-1", "train-run-2"]);
    expect(await bar().getByLabel("Flow").locator("option").allTextContents()).toEqual(["Any flow", "etl", "train"]);

    q = await filterBy(() => bar().getByLabel("Deployment").selectOption({ label: "train/weekly" }));
    expect(q.get("deployment")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await rowNames()).toEqual(["train-run-1", "train-run-2"]);
    expect(await bar().getByLabel("Deployment").evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.textContent)).toBe("train/weekly");

    q = await filterBy(() => bar().getByLabel("Work pool").selectOption("gpu"));
    expect(q.get("pool")).toBe("gpu");
    expect(await rowNames()).toEqual(["train-run-1", "train-run-2"]);

    // Tags: comma-separated, all of them.
    q = await filterBy(() => bar().getByLabel("Tags").fill("ml, gpu"));
    expect(await rowNames()).toEqual(["train-run-1"]);
    q = await filterBy(() => bar().getByLabel("Tags").fill("ml"));
    expect(await rowNames()).toEqual(["train-run-1", "train-run-2"]);

    // A quick range: the last 24 hours are the batch and train-run-1 — 56 runs, two pages, the
    // range kept on the second.
    q = await filterBy(() => bar().getByLabel("Created").selectOption({ label: "Last 24 hours" }));
    expect(q.get("range")).toBe("24h");
    expect(await rowNames()).toHaveLength(50);
    await page.getByRole("link", { name: "Older runs →" }).click();
    await page.waitForURL(/cursor=/);
    const second = new URL(page.url()).searchParams;
    expect(second.get("range")).toBe("24h");
    expect(await rowNames()).toEqual(["etl-batch-51", "etl-batch-52", "etl-batch-53", "etl-batch-54", "etl-batch-55", "train-run-1"]);
    expect(await page.getByText("No older runs.").count()).toBe(1);
    await page.getByRole("link", { name: "← Newest runs" }).click();
    await page.waitForURL((u) => !u.searchParams.has("cursor") && u.searchParams.get("range") === "24h");
    expect(await rowNames()).toHaveLength(50);

    // A custom range, From and To in UTC: 25 to 5 days ago.
    const now = Date.now();
    q = await filterBy(async () => {
      await bar().getByLabel("From (UTC)").fill(utcField(now - 25 * DAY));
      await bar().getByLabel("To (UTC)").fill(utcField(now - 5 * DAY));
    });
    expect(q.get("from")).toBe(utcField(now - 25 * DAY));
    expect(await rowNames()).toEqual(["crimson-fox", "old-report"]);

    // Filters together, and paged: flow etl in pool cpu, Completed — the 55 of the batch.
    q = await filterBy(async () => {
      await bar().getByLabel("Flow").selectOption("etl");
      await bar().getByLabel("Work pool").selectOption("cpu");
      await bar().getByLabel("State").selectOption({ label: "Completed" });
    });
    expect(await rowNames()).toHaveLength(50);
    await page.getByRole("link", { name: "Older runs →" }).click();
    await page.waitForURL(/cursor=/);
    const kept = new URL(page.url()).searchParams;
    expect([kept.get("flow"), kept.get("pool"), kept.get("state")]).toEqual(["etl", "cpu", "COMPLETED"]);
    expect(await rowNames()).toEqual(["etl-batch-51", "etl-batch-52", "etl-batch-53", "etl-batch-54", "etl-batch-55"]);
    // The form shows the filters of the page it is on.
    expect(await bar().getByLabel("Flow").inputValue()).toBe("etl");
    expect(await bar().getByLabel("Work pool").inputValue()).toBe("cpu");
  });

  test("nothing matching says which filters to loosen; Clear filters; a bad date is named", async ({ onTestFailed }) => {
    onTestFailed(async () => {
      const file = await saveScreenshot(page, "runs-filters-empty");
      if (file) console.error(`Screenshot: ${file}`);
    });
    await filterBy(async () => {
      await bar().getByLabel("Name contains").fill("crimson");
      await bar().getByLabel("Flow").selectOption("train");
    });
    const empty = page.getByTestId("runs-empty-filtered");
    await empty.waitFor();
    const text = await empty.textContent();
    expect(text).toContain("name contains “crimson”");
    expect(text).toContain("flow train");
    // Each filter has a link that drops it: without the flow, the name finds crimson-fox.
    const loosen = page.getByTestId("runs-loosen");
    expect(await loosen.getByRole("link").allTextContents()).toEqual(["without name contains “crimson”", "without flow train"]);
    await loosen.getByRole("link", { name: "without flow train" }).click();
    await page.waitForURL((u) => u.searchParams.get("q") === "crimson" && !u.searchParams.has("flow"));
    expect(await rowNames()).toEqual(["crimson-fox"]);
    // Clear filters: back to every run.
    await page.getByTestId("runs-clear-filters").click();
    await page.waitForURL(/\/runs$/);
    expect(await rowNames()).toHaveLength(50);
    expect(await bar().getByLabel("Name contains").inputValue()).toBe("");

    // A hostile search is just text: LIKE wildcards find only names that hold them.
    await filterBy(() => bar().getByLabel("Name contains").fill("%_%"));
    await page.getByTestId("runs-empty-filtered").waitFor();

    // A hand-edited URL with a bad date says which field, and keeps the form to fix it.
    await page.goto(`${baton.url}/runs?from=yesterday`);
    const bad = page.getByTestId("runs-bad-query");
    await bad.waitFor();
    expect(await bad.textContent()).toContain("From:");
    expect(await bar().count()).toBe(1);
  });
});
