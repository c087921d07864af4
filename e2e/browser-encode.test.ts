/**
 * encode in a browser tab: the workbench runs the tiny BERT model (models/tiny-bert, served by
 * Baton at /models/) through Transformers.js in Baton's task Web Worker, once on WebGPU
 * (SwiftShader in headless Chromium) and once on WASM; the vectors must agree.
 *
 * Tolerance: 1e-4 per component. Both paths compute in fp32 but WebGPU's kernels order sums
 * differently (and SwiftShader's erf/exp differ in the last bits); on these unit vectors the
 * differences seen are around 1e-6, so 1e-4 catches any real mismatch.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureProductionBuild, startBaton, type BatonProcess } from "./helpers/baton-process";
import { saveScreenshot } from "./helpers/browser";
import { launchChromiumWithWebGpu, openWorkbench, runInPanel } from "./helpers/workbench";

const TOLERANCE = 1e-4;
const TEXTS = [
  "The cat sat on the mat.",
  "Neural networks learn from data.",
  "Embeddings turn text into vectors, in a browser tab.",
  "xyzzy plugh: words the vocabulary has never seen",
  "short",
];

let baton: BatonProcess;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  ensureProductionBuild();
  baton = await startBaton();
  browser = await launchChromiumWithWebGpu();
  page = await browser.newPage();
  page.on("pageerror", (err) => console.error(`page error: ${err.message}`));
});

afterAll(async () => {
  await browser?.close();
  await baton?.stop();
});

interface Encoded {
  vectors: number[][];
  dimensions: number;
  device: string;
  encoder: string;
}

describe("encode in the browser", () => {
  test("the tiny model encodes on WebGPU and on WASM, with the same vectors", async ({ onTestFailed }) => {
    onTestFailed(async () => {
      const file = await saveScreenshot(page, "browser-encode");
      if (file) console.error(`Screenshot: ${file}`);
    });
    await openWorkbench(page, baton.url);
    // COOP/COEP on the workbench: multithreaded WASM is possible.
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    expect(await page.getByTestId("runtime-webgpu").textContent()).toMatch(/^yes/);

    const gpu = await runInPanel(page, { device: "webgpu", texts: TEXTS });
    const wasm = await runInPanel(page, { device: "wasm", texts: TEXTS });
    const onGpu = gpu.result as Encoded;
    const onWasm = wasm.result as Encoded;

    expect(onGpu.device).toBe("webgpu");
    expect(gpu.device).toContain("webgpu");
    expect(onWasm.device).toBe("wasm");
    expect(wasm.device).toContain("wasm");
    expect(onGpu.encoder).toBe("transformer");
    expect(onWasm.vectors).toHaveLength(TEXTS.length);
    expect(onWasm.dimensions).toBe(32);

    let worst = 0;
    onWasm.vectors.forEach((v, i) => {
      // Mean-pooled and normalised: unit length.
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
      v.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - onGpu.vectors[i]![j]!))));
    });
    console.log(`encode WebGPU vs WASM: largest component difference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(TOLERANCE);
    // Different texts, different vectors: the model is not constant.
    expect(Math.abs(onWasm.vectors[0]![0]! - onWasm.vectors[1]![0]!)).toBeGreaterThan(1e-3);
  });
});
