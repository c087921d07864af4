/**
 * The /kinds page, reached from the sidebar as a new user would: every kind of the registry with
 * where it runs, its parameters (required ones marked, defaults shown) and an example.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { KIND_NAMES } from "../workers/kinds/registry";
import { ensureProductionBuild, startBaton, type BatonProcess } from "./helpers/baton-process";
import { launchChromium, saveScreenshot } from "./helpers/browser";

let baton: BatonProcess;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  ensureProductionBuild();
  baton = await startBaton();
  browser = await launchChromium();
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  await baton?.stop();
});

describe("the task kinds page", () => {
  test("lists every kind with its parameters and an example, from the sidebar", async ({ onTestFailed }) => {
    onTestFailed(async () => {
      const file = await saveScreenshot(page, "kinds-page");
      if (file) console.error(`Screenshot: ${file}`);
      console.error(`--- Baton server output ---\n${baton.output().slice(-5000)}`);
    });
    await page.goto(`${baton.url}/runs`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Task kinds" }).click();
    await page.getByRole("heading", { level: 1, name: "Task kinds" }).waitFor();
    expect(await page.getByTestId("kind").count()).toBe(KIND_NAMES.length);

    const cluster = page.getByRole("region", { name: /^cluster kind:cluster/ });
    expect(await cluster.getByLabel("Runs on").textContent()).toBe("browser tabNode worker");
    const params = cluster.getByRole("table", { name: "Parameters of cluster" });
    const row = (name: string) => params.getByRole("row").filter({ has: page.locator("code", { hasText: new RegExp(`^${name}$`) }) });
    expect(await row("vectors").textContent()).toMatch(/^vectors requiredarray of arrays of numbers/);
    expect(await row("topTerms").textContent()).toMatch(/^topTermsinteger ≥ 18terms per cluster$/);
    expect(await page.getByRole("region", { name: /^train kind:train/ }).getByLabel("Runs on").textContent()).toBe("Node workerGPU worker");

    await cluster.getByText("Example and how to deploy it").click();
    expect(await cluster.locator("figure", { hasText: "Example parameters" }).textContent()).toContain('"vectors": [');
    expect(await cluster.locator("figure", { hasText: "From the command line" }).textContent()).toContain("baton deploy kind:cluster");
  });
});
