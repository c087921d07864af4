/**
 * Live updates as a user sees them: a run's page open in headless Chromium against a real Baton
 * hears a state change and new log lines pushed over Server-Sent Events (live.run), with no
 * polling requests while nothing changes. The time from the API call's answer to the page's DOM
 * showing the change is printed (a figure, not a bound: bench/ owns timings).
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
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await client.workPools.create.mutate({ name: "live-pool", type: "node" });
  await client.flows.create.mutate({ name: "live-flow" });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await baton?.stop();
});

describe("the run page, pushed", () => {
  test("sees a state change and new log lines without polling", async ({ onTestFailed }) => {
    onTestFailed(async () => {
      const file = await saveScreenshot(page, "live-updates");
      if (file) console.error(`Screenshot: ${file}`);
      console.error(`--- Baton server output ---\n${baton.output()}`);
    });
    const { workerId } = await client.workers.register.mutate({ workPool: "live-pool", name: "live-worker", capabilities: {} });
    const run = await client.flowRuns.create.mutate({ flow: "live-flow", workPool: "live-pool", name: "pushed" });
    const [claimed] = await client.workers.claim.mutate({ workerId, max: 1 });
    expect(claimed?.id).toBe(run.id);

    const requests: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/api/trpc/")) requests.push(r.url());
    });
    await page.goto(`${baton.url}/runs/${run.id}`);
    await page.waitForFunction(() => document.querySelector('[data-testid="state-badge"]')?.getAttribute("data-state-type") === "PENDING");
    // The page opened its stream (an EventSource on live.run)...
    await expect.poll(() => requests.some((u) => u.includes("live.run")), { timeout: 10_000 }).toBe(true);
    // ...and asks for nothing while nothing changes.
    const settled = requests.length;
    await page.waitForTimeout(3_000);
    expect(requests.slice(settled)).toEqual([]);

    // A state change: in the header's badge, from the push itself.
    const seen = page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const check = () => document.querySelector('[data-testid="run-state"] [data-testid="state-badge"]')?.getAttribute("data-state-type") === "RUNNING";
          new MutationObserver(() => check() && resolve(Date.now())).observe(document.body, { subtree: true, childList: true, attributes: true });
        }),
    );
    await client.flowRuns.setState.mutate({ id: run.id, state: { type: "RUNNING" }, leaseToken: claimed!.leaseToken });
    const answered = Date.now();
    const stateAt = await seen;

    // A log line: appended to the log table.
    const line = `pushed line ${Date.now()}`;
    const shown = page.evaluate(
      (text) =>
        new Promise<number>((resolve) => {
          const check = () => document.querySelector('[data-testid="run-logs"]')?.textContent?.includes(text);
          if (check()) return resolve(Date.now());
          new MutationObserver(() => check() && resolve(Date.now())).observe(document.body, { subtree: true, childList: true, characterData: true });
        }),
      line,
    );
    await client.logs.create.mutate({ logs: [{ flowRunId: run.id, level: 20, message: line }] });
    const logged = Date.now();
    const lineAt = await shown;
    console.log(`live updates: state change on the page ${stateAt - answered} ms after the API answered; log line ${lineAt - logged} ms`);
    // Neither came from a poll: the only API requests since are the page's own re-render of
    // its server parts (an RSC request, not /api/trpc) and no list or get of the run.
    expect(requests.slice(settled).filter((u) => /flowRuns\.get|logs\.list/.test(u))).toEqual([]);

    // A hidden tab gives its connection back (a browser has six per server over HTTP/1.1)...
    const ended: string[] = [];
    page.on("requestfailed", (r) => void (r.url().includes("live.run") && ended.push(r.url())));
    page.on("requestfinished", (r) => void (r.url().includes("live.run") && ended.push(r.url())));
    const setVisibility = (state: "hidden" | "visible") =>
      page.evaluate((s) => {
        Object.defineProperty(document, "visibilityState", { configurable: true, get: () => s });
        document.dispatchEvent(new Event("visibilitychange"));
      }, state);
    await setVisibility("hidden");
    await expect.poll(() => ended.length, { timeout: 10_000 }).toBeGreaterThan(0);
    // ...and shown again, reopens its stream from its last line: what was written meanwhile arrives.
    const away = `written while hidden ${Date.now()}`;
    await client.logs.create.mutate({ logs: [{ flowRunId: run.id, level: 20, message: away }] });
    const opened = requests.filter((u) => u.includes("live.run")).length;
    await setVisibility("visible");
    await expect.poll(() => requests.filter((u) => u.includes("live.run")).length, { timeout: 10_000 }).toBeGreaterThan(opened);
    await page.getByTestId("run-logs").getByText(away).waitFor({ timeout: 10_000 });
  }, 120_000);
});
