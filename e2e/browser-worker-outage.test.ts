/**
 * A tab's report outlives a server outage and the tab itself. The server is SIGKILLed while a
 * tab encodes; the tab finishes, cannot report, and keeps the outcome (with the log lines the
 * server never got) in IndexedDB; the tab is closed. The server comes back on the same database,
 * another tab of the same browser joins the pool, finds the report and delivers it with the
 * run's lease: the run is COMPLETED once (run count 1), with its result and its last logs.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createBatonClient, type BatonClient } from "../server/client";
import { ensureProductionBuild, freePort, startBaton, type BatonProcess } from "./helpers/baton-process";
import { saveScreenshot } from "./helpers/browser";
import { launchChromiumWithWebGpu, openWorkbench } from "./helpers/workbench";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-e2e-outage-"));
let port: number;
let baton: BatonProcess;
let client: BatonClient;
let browser: Browser;
let context: BrowserContext;

// A long worker timeout: the zombie killer must not take the run back while the second tab
// starts up after the restart (it waits a worker timeout after the server is back anyway).
const env = { BATON_HEARTBEAT_INTERVAL_S: "1", BATON_WORKER_TIMEOUT_S: "60", BATON_SERVICES_INTERVAL_S: "0.5" };

beforeAll(async () => {
  ensureProductionBuild();
  port = await freePort();
  baton = await startBaton({ port, dataDir, env });
  client = createBatonClient({ apiUrl: baton.apiUrl });
  browser = await launchChromiumWithWebGpu();
  // One context for both tabs: they share this browser's IndexedDB, as two tabs of one browser do.
  context = await browser.newContext();
  await client.workPools.create.mutate({ name: "tabs", type: "browser" });
});

afterAll(async () => {
  await browser?.close();
  await baton?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function workerTab(): Promise<Page> {
  const page = await context.newPage();
  page.on("pageerror", (err) => console.error(`page error: ${err.message}`));
  await openWorkbench(page, baton.url);
  await page.getByTestId("tab-worker-pool").fill("tabs");
  await page.getByTestId("tab-worker-toggle").check();
  return page;
}

/** The reports waiting in this browser's outbox (IndexedDB `baton-outbox`), as the page sees them. */
function pendingReports(page: Page): Promise<{ runId: string; state: { type: string; message?: string }; logs?: unknown[] }[]> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("baton-outbox");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains("reports")) return resolve([]);
          const all = db.transaction("reports").objectStore("reports").getAll();
          all.onsuccess = () => resolve(all.result);
          all.onerror = () => reject(all.error);
        };
      }),
  );
}

describe("a tab's report through a server outage", () => {
  test("kept in IndexedDB, delivered by the next tab when the server is back: COMPLETED once", async ({ onTestFailed }) => {
    let page: Page | undefined;
    onTestFailed(async () => {
      if (page && !page.isClosed()) console.error(`Screenshot: ${await saveScreenshot(page, "tab-outage")}`);
      console.error(`--- Baton server output ---\n${baton.output().slice(-5000)}`);
    });
    // Long enough to be mid-run when the server goes, short enough to finish soon after; its
    // vectors (400 × 32) stay under the inline limit, so the result rides with the report.
    const texts = Array.from({ length: 400 }, (_, i) => `sentence ${i} about rivers, maps and neural networks`);
    await client.deployments.create.mutate({ flow: "embed", name: "outage", workPool: "tabs", entrypoint: "kind:encode", parameters: { texts, model: "tiny-bert", device: "wasm", batchSize: 1 } });
    page = await workerTab();
    await page.locator('[data-testid="tab-worker-status"][data-phase="idle"]').waitFor({ timeout: 30_000 });
    const run = await client.deployments.run.mutate({ deployment: "embed/outage" });
    await page.locator('[data-testid="tab-worker-status"][data-phase="running"]').waitFor({ timeout: 30_000 });
    // Once the model is loaded (its files come from the server) and encoding has begun.
    for (const until = Date.now() + 60_000; ; ) {
      const lines = (await client.logs.list.query({ flowRunId: run.id })).items.map((l) => l.message).join("\n");
      if (/with tiny-bert on wasm/.test(lines)) break;
      if (Date.now() > until) throw new Error(`the encoding did not start: ${lines}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    await baton.kill();
    // The tab finishes the encoding with no server and keeps the outcome.
    const deadline = Date.now() + 120_000;
    let pending: Awaited<ReturnType<typeof pendingReports>> = [];
    while (Date.now() < deadline) {
      pending = await pendingReports(page);
      if (pending.length) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(pending.map((p) => [p.runId, p.state.type]), pending[0]?.state.message).toEqual([[run.id, "COMPLETED"]]);
    // The tab goes away with the report undelivered.
    await page.close();

    baton = await startBaton({ port, dataDir, env });
    page = await workerTab();
    const until = Date.now() + 60_000;
    let done = await client.flowRuns.get.query({ id: run.id });
    while (done.stateType === "RUNNING" && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      done = await client.flowRuns.get.query({ id: run.id });
    }
    expect(done.stateType, done.stateMessage ?? "").toBe("COMPLETED");
    expect(done.runCount).toBe(1);
    const result = (await client.results.ofRun.query({ flowRunId: run.id }))?.value as { vectors?: number[][] } | undefined;
    expect(result?.vectors).toHaveLength(texts.length);
    const logs = (await client.logs.list.query({ flowRunId: run.id, limit: 1000 })).items.map((l) => l.message).join("\n");
    // Written while the server was down: they reached it with the report.
    expect(logs).toMatch(/completed in the tab on wasm/);
    expect(await pendingReports(page)).toEqual([]);
  });
});
