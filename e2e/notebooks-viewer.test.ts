/**
 * A viewer opens a notebook an editor saved, with auth on: the cells, what they read, their
 * parameters and their outputs are there, and not one control that edits, runs, saves or
 * deploys. The owner and the viewer are made through the API (sign-up with the setup token, an
 * invitation as viewer); the viewer's session cookie goes into Chromium.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cellSignature, type Cell } from "../common/notebook";
import { ensureProductionBuild, startBaton, type BatonProcess } from "./helpers/baton-process";
import { launchChromium, saveScreenshot } from "./helpers/browser";
import { ownerAndMember } from "./helpers/members";

const SECRET = "e2e-secret-that-is-long-enough-for-better-auth";
let baton: BatonProcess;
let browser: Browser;
let page: Page;


beforeAll(async () => {
  ensureProductionBuild();
  baton = await startBaton({ env: { BATON_AUTH: "on", BATON_AUTH_SECRET: SECRET } });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await baton?.stop();
});

describe("a notebook for a viewer", () => {
  test("shows cells and outputs, and no control that changes or runs anything", async ({ onTestFailed }) => {
    onTestFailed(async () => void (page && (await saveScreenshot(page, "notebooks-viewer"))));
    const { owner, memberCookie: veraCookie } = await ownerAndMember(baton, SECRET, { name: "Vera", email: "vera@example.com", role: "viewer" });

    // An encode cell the owner ran: its output stored as a result, its signature current.
    const output = await owner.results.create.mutate({ value: { encoder: "lexical-tfidf-lsa", dimensions: 2, vectors: [[0, 1], [1, 0], [1, 1]], model: null } });
    const cell: Cell = { id: "vectors", kind: "encode", parameters: { texts: ["a cat", "a dog", "a car"], encoder: "lexical", dimensions: 2 }, inputs: {}, target: "tab", outputResultId: output.id };
    const nb = await owner.notebooks.create.mutate({ name: "shared", cells: [{ ...cell, outputSignature: cellSignature(cell, [cell]) }] });

    const context = await browser.newContext();
    const [name, ...value] = veraCookie.split("=");
    await context.addCookies([{ name: name!, value: value.join("="), url: baton.url }]);
    page = await context.newPage();

    await page.goto(`${baton.url}/notebooks`);
    expect(await page.getByTestId("notebook-row").textContent()).toMatch(/shared/);
    expect(await page.getByTestId("create-notebook").count()).toBe(0);

    await page.goto(`${baton.url}/notebooks/${nb.id}`);
    const shown = page.locator('[data-testid="notebook-cell"][data-cell="vectors"]');
    await shown.getByTestId("result-summary").waitFor({ timeout: 30_000 });
    expect(await shown.getAttribute("data-state")).toBe("fresh");
    expect(await shown.getByTestId("result-summary").textContent()).toMatch(/3 vectors of 2 dimensions/);
    expect(await shown.locator("pre").first().textContent()).toMatch(/"dimensions": 2/);
    // Nothing that edits, runs, saves or deploys.
    for (const id of ["run-all", "save-notebook", "run-cell", "add-upload", "add-pdf", "add-encode", "add-cluster", "deploy-notebook", "upload-input"]) {
      expect(await page.getByTestId(id).count(), id).toBe(0);
    }
    expect(await page.getByRole("button", { name: /Apply|Remove|Run|Save|Deploy|Add/ }).count()).toBe(0);
    expect(await page.locator("main select, main input, main textarea").count()).toBe(0);
    await context.close();
  });
});
