/**
 * pdf and cluster in a browser tab, from the workbench, against the same kinds in Node:
 * - pdf: pdf.js's modern build in Baton's Web Worker vs its legacy build in Node, on real Debian
 *   PDFs (German and the shared-mime-info spec): the same pages and chunks, text for text; a
 *   truncated PDF and an image-only one fail with a message that says so.
 * - cluster: lexical encoding + k-means + PCA in the tab vs Node on the same texts: the same
 *   labels, and projections within 1e-6 (both run the same Float64 code in a fixed order;
 *   the tolerance only allows for Math.* differences between V8 builds).
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cluster } from "../workers/kinds/cluster";
import { encode } from "../workers/kinds/encode";
import { pdf } from "../workers/kinds/node/pdf";
import type { TaskContext } from "../workers/kinds/types";
import { ensureProductionBuild, ROOT, startBaton, type BatonProcess } from "./helpers/baton-process";
import { saveScreenshot } from "./helpers/browser";
import { launchChromiumWithWebGpu, openWorkbench } from "./helpers/workbench";

const FIXTURES = path.join(ROOT, "test/fixtures/pdfs");
let baton: BatonProcess;
let browser: Browser;
let page: Page;

function nodeContext(): TaskContext {
  return { log: () => {}, metric: () => {}, progress: () => {}, signal: new AbortController().signal };
}

beforeAll(async () => {
  ensureProductionBuild();
  baton = await startBaton();
  browser = await launchChromiumWithWebGpu();
  page = await browser.newPage();
  await openWorkbench(page, baton.url);
});

afterAll(async () => {
  await browser?.close();
  await baton?.stop();
});

/** Runs the panel's current form and returns the result JSON, or the error message. */
async function runPanel(): Promise<{ result?: any; error?: string }> {
  await page.getByTestId("run-task").click();
  await page.locator('[data-testid="result-json"], [data-testid="task-error"]').first().waitFor({ state: "attached", timeout: 90_000 });
  const error = page.getByTestId("task-error");
  if (await error.count()) return { error: (await error.textContent()) ?? "" };
  return { result: JSON.parse((await page.getByTestId("result-json").textContent()) ?? "null") };
}

describe("pdf and cluster in the browser", () => {
  test("pdf: the same pages and chunks as in Node, on real PDFs", async ({ onTestFailed }) => {
    onTestFailed(async () => void (await saveScreenshot(page, "browser-pdf")));
    await page.getByTestId("kind-select").selectOption("pdf");
    for (const name of ["debian-faq.de.p9-12.pdf", "shared-mime-info-spec.pdf"]) {
      const file = path.join(FIXTURES, name);
      await page.getByTestId("pdf-input").setInputFiles(file);
      const { result, error } = await runPanel();
      expect(error).toBeUndefined();
      const inNode = await pdf({ data: fs.readFileSync(file), name }, nodeContext());
      expect(result.metadata).toEqual(inNode.metadata);
      expect(result.pages).toEqual(inNode.pages);
      expect(result.chunks).toEqual(inNode.chunks);
    }
  });

  test("pdf: a truncated and an image-only PDF fail saying so", async () => {
    await page.getByTestId("pdf-input").setInputFiles(path.join(FIXTURES, "truncated.pdf"));
    expect((await runPanel()).error).toMatch(/corrupt|damaged|invalid/i);
    await page.getByTestId("pdf-input").setInputFiles(path.join(FIXTURES, "image-only.pdf"));
    expect((await runPanel()).error).toMatch(/image|scanned|OCR/i);
  });

  test("cluster: the same clusters and projection as in Node, and a plot", async ({ onTestFailed }) => {
    onTestFailed(async () => void (await saveScreenshot(page, "browser-cluster")));
    const texts = [
      ...["cats purr and sleep", "a cat chased the mouse", "kittens and cats play", "the cat drank milk", "my cat sleeps all day"],
      ...["the engine needs oil", "car engines burn fuel", "an engine and a gearbox", "fuel for the car engine", "the mechanic fixed the engine"],
      ...["bake bread with flour", "flour, water and yeast make bread", "fresh bread from the oven", "the baker kneads bread dough", "bread needs yeast and flour"],
    ];
    await page.getByTestId("kind-select").selectOption("cluster");
    await page.getByTestId("encoder-select").selectOption("lexical");
    await page.getByTestId("texts-input").fill(texts.join("\n"));
    const { result, error } = await runPanel();
    expect(error).toBeUndefined();
    await page.getByTestId("cluster-plot").waitFor();

    const encoded = await encode({ texts, encoder: "lexical" }, nodeContext());
    const inNode = await cluster({ vectors: encoded.vectors, terms: { texts } }, nodeContext());
    expect(result.k).toBe(inNode.k);
    expect(result.labels).toEqual(inNode.labels);
    result.projection.points.forEach(([x, y]: [number, number], i: number) => {
      expect(Math.abs(x - inNode.projection.points[i]![0])).toBeLessThan(1e-6);
      expect(Math.abs(y - inNode.projection.points[i]![1])).toBeLessThan(1e-6);
    });
    expect(result.k).toBe(3);
  });
});
