/**
 * A run of 10,000 task runs (in a hundred chains, some fanning in, some failed) and 3,000 log
 * lines, written straight into the embedded database before Baton opens it, then opened in
 * headless Chromium: the page must arrive in reasonable time and stay responsive, because the
 * graph and the timeline render only what is in view and the logs are windowed. Bounds are
 * generous (a loaded two-core machine); the timings are printed for the record.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { flowRuns, logs, taskRuns } from "../drizzle/schema";
import { openDatabase } from "../server/db/client";
import { seedFlow, WS } from "../test/helpers/seed";
import { ensureProductionBuild, startBaton, type BatonProcess } from "./helpers/baton-process";
import { launchChromium, saveScreenshot } from "./helpers/browser";

const TASKS = 10_000;
const CHAINS = 100;
const LOG_LINES = 3_000;

let baton: BatonProcess;
let browser: Browser;
let page: Page;
let runId: string;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-e2e-scale-"));

/** One flow run, COMPLETED, with TASKS task runs and LOG_LINES log lines, by bulk inserts. */
async function seed(): Promise<string> {
  const database = await openDatabase({ driver: "pglite", dataDir: path.join(dataDir, "db") });
  try {
    await database.migrate();
    const { db } = database;
    const flow = await seedFlow(db, "wide-flow");
    const start = Date.now() - 60 * 60_000;
    const at = (ms: number) => new Date(start + ms);
    const [run] = await db
      .insert(flowRuns)
      .values({ workspaceId: WS, flowId: flow.id, name: "ten-thousand-tasks", stateType: "COMPLETED", stateName: "Completed", startTime: at(0), endTime: at(50 * 60_000), runCount: 1 })
      .returning();
    const ids = Array.from({ length: TASKS }, () => randomUUID());
    const rows = ids.map((id, i) => {
      const failed = i > 0 && (i % 997 === 0 || i === TASKS - 3);
      // Chain c holds tasks c, c + 100, c + 200, …; every 50th task also waits on its neighbour chain.
      const upstream = i >= CHAINS ? [ids[i - CHAINS]!, ...(i % 50 === 0 ? [ids[i - CHAINS + 1]!] : [])] : [];
      return {
        id,
        workspaceId: WS,
        flowRunId: run!.id,
        name: `step-${i}`,
        taskKey: `step-${i % CHAINS}`,
        dynamicKey: String(Math.floor(i / CHAINS)),
        stateType: failed ? ("FAILED" as const) : ("COMPLETED" as const),
        stateName: failed ? "Failed" : "Completed",
        stateMessage: failed ? `ValueError: step ${i} had a bad batch` : null,
        startTime: at(i * 300),
        endTime: at(i * 300 + 250),
        runCount: 1,
        upstreamTaskRunIds: upstream,
        createdAt: at(i * 300),
      };
    });
    for (let i = 0; i < rows.length; i += 1000) await db.insert(taskRuns).values(rows.slice(i, i + 1000));
    const lines = Array.from({ length: LOG_LINES }, (_, i) => ({
      workspaceId: WS,
      flowRunId: run!.id,
      taskRunId: i % 3 === 0 ? null : ids[i * 3]!,
      level: [10, 20, 20, 30, 40][i % 5]!,
      message: i === 2_345 ? "needle: the one line to find" : `line ${i} of the wide run`,
      timestamp: at(i * 1000),
    }));
    for (let i = 0; i < lines.length; i += 1000) await db.insert(logs).values(lines.slice(i, i + 1000));
    return run!.id;
  } finally {
    await database.close();
  }
}

beforeAll(async () => {
  ensureProductionBuild();
  runId = await seed();
  baton = await startBaton({ dataDir });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await baton?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Time from an action in the page to the next painted frame after the DOM shows `done`. */
async function roundTrip(action: string, done: string): Promise<number> {
  return page.evaluate(
    async ({ action, done }) => {
      const started = performance.now();
      new Function(action)();
      const deadline = started + 20_000;
      while (!new Function(`return (${done})`)()) {
        if (performance.now() > deadline) throw new Error(`not done after 20 s: ${done}`);
        await new Promise((r) => requestAnimationFrame(() => r(null)));
      }
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      return performance.now() - started;
    },
    { action, done },
  );
}

describe("a run with 10,000 task runs", () => {
  test("opens in reasonable time, renders only what is in view, and stays responsive", async ({ onTestFailed }) => {
    onTestFailed(async () => {
      const file = await saveScreenshot(page, "run-page-scale");
      if (file) console.error(`Screenshot: ${file}`);
      console.error(`--- Baton server output ---\n${baton.output()}`);
    });
    const timings: Record<string, number> = {};

    let t = Date.now();
    await page.goto(`${baton.url}/runs/${runId}`, { timeout: 60_000 });
    timings.load = Date.now() - t;
    await page.locator('[data-testid="graph-node"]').first().waitFor({ timeout: 60_000 });
    timings.graph = Date.now() - t;
    const graph = page.getByTestId("task-graph");
    expect(await graph.getAttribute("data-nodes")).toBe(String(TASKS));
    expect(await graph.getAttribute("data-layout")).toBe("layers");
    expect(Number(await graph.getAttribute("data-edges"))).toBe(TASKS - CHAINS + (TASKS - CHAINS) / 50);
    // Only the nodes in view are in the DOM.
    const renderedNodes = await page.locator(".react-flow__node").count();
    expect(renderedNodes).toBeGreaterThan(5);
    expect(renderedNodes).toBeLessThan(1_000);
    expect(await page.getByTestId("task-runs-count").textContent()).toContain("10000 task runs");

    // Pan the graph with the mouse: the page answers and other nodes come into view.
    const box = (await graph.boundingBox())!;
    t = Date.now();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + 40, box.y + 40, { steps: 8 });
    await page.mouse.up();
    timings.pan = Date.now() - t;
    expect(await page.locator(".react-flow__node").count()).toBeLessThan(1_000);

    // A click on the Timeline tab, to the painted timeline: windowed to a screenful of rows.
    timings.timelineTab = await roundTrip(
      `[...document.querySelectorAll('[role="tab"]')].find((b) => b.textContent === "Timeline").click()`,
      `document.querySelector('[data-testid="task-timeline"]')`,
    );
    expect(await page.getByTestId("task-timeline").getAttribute("data-count")).toBe(String(TASKS));
    expect(await page.getByTestId("task-run").count()).toBeLessThan(200);

    // Scrolled to the end, the last task run is rendered (and still only a screenful).
    timings.timelineScroll = await roundTrip(
      `const el = document.querySelector('[data-testid="task-timeline-scroll"]'); el.scrollTop = el.scrollHeight;`,
      `document.querySelector('[data-testid="task-run"]:last-child')?.textContent.includes("step-${TASKS - 1}")`,
    );
    expect(await page.getByTestId("task-run").count()).toBeLessThan(200);
    expect(await page.getByTestId("task-run").filter({ hasText: `step-${TASKS - 3}` }).textContent()).toContain("bad batch");

    // The logs: the first page of lines, windowed; search finds the one line among them.
    const logRows = page.getByRole("table", { name: "Logs" }).locator("tbody tr:not(.log-spacer)");
    expect(await page.getByTestId("log-count").textContent()).toBe("500 lines");
    expect(await logRows.count()).toBeLessThan(150);
    await page.getByTestId("logs-load-more").click();
    await page.getByTestId("log-count").getByText("1,500 lines").waitFor();
    await page.getByTestId("logs-load-more").click();
    await page.getByTestId("log-count").getByText("2,500 lines").waitFor();
    await page.getByTestId("logs-load-more").click();
    await page.getByTestId("log-count").getByText("3,000 lines").waitFor();
    await page.getByTestId("logs-load-more").waitFor({ state: "detached" });
    expect(await logRows.count()).toBeLessThan(150);
    t = Date.now();
    await page.getByTestId("log-search").fill("needle");
    await page.getByTestId("log-count").getByText("1 of 3,000 lines").waitFor();
    timings.logSearch = Date.now() - t;
    expect(await logRows.allTextContents()).toEqual([expect.stringContaining("needle: the one line to find")]);
    await page.getByTestId("log-search").fill("");
    timings.logLevel = await roundTrip(
      `const s = document.querySelector('[data-testid="log-level-filter"]'); s.value = "40"; s.dispatchEvent(new Event("change", { bubbles: true }));`,
      `document.querySelector('[data-testid="log-count"]')?.textContent === "600 of 3,000 lines"`,
    );

    // And a task of the ten thousand opens its own page.
    await page.getByTestId("task-run").filter({ hasText: "step-9999" }).getByRole("link", { name: "step-9999" }).click();
    await page.getByRole("heading", { level: 1, name: /step-9999/ }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole("list", { name: "Upstream task runs" }).textContent()).toContain("step-9899");

    console.log(`10,000 task runs, timings (ms): ${JSON.stringify(timings)}`);
    // Generous bounds: about ten times what this machine takes when idle.
    expect(timings.load).toBeLessThan(30_000);
    expect(timings.graph).toBeLessThan(45_000);
    expect(timings.timelineTab).toBeLessThan(5_000);
    expect(timings.timelineScroll).toBeLessThan(3_000);
    expect(timings.logSearch).toBeLessThan(5_000);
    expect(timings.logLevel).toBeLessThan(3_000);
  }, 180_000);
});
