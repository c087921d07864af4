/**
 * Helpers for the browser-runtime e2e tests: Chromium with WebGPU switched on (headless Chromium
 * then offers SwiftShader, a software adapter: a correctness check, not a speed), and driving
 * the workbench's "Run in this tab" panel.
 */
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "./browser";

export function launchChromiumWithWebGpu(): Promise<Browser> {
  return launchChromium(["--enable-unsafe-webgpu"]);
}

/** Opens the workbench and waits until its task Web Worker has reported what it runs on. */
export async function openWorkbench(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/workbench`);
  await page.getByTestId("runtime-info").waitFor({ timeout: 60_000 });
}

export interface PanelRun {
  result: unknown;
  device: string | null;
}

/** Runs the selected kind from the panel on a device and returns the result JSON the page shows. */
export async function runInPanel(
  page: Page,
  opts: { kind?: string; device: "auto" | "webgpu" | "wasm"; texts?: string[]; model?: string },
): Promise<PanelRun> {
  if (opts.kind) await page.getByTestId("kind-select").selectOption(opts.kind);
  // The panel leaves the model empty (the offline lexical encoder); these tests name the tiny model.
  if ((await page.getByTestId("model-input").count()) > 0) await page.getByTestId("model-input").fill(opts.model ?? "tiny-bert");
  await page.getByTestId("device-select").selectOption(opts.device);
  if (opts.texts) await page.getByTestId("texts-input").fill(opts.texts.join("\n"));
  await page.getByTestId("run-task").click();
  // The result or an error, whichever comes first.
  await page.locator('[data-testid="result-json"], [data-testid="task-error"]').first().waitFor({ state: "attached", timeout: 90_000 });
  const error = page.getByTestId("task-error");
  if (await error.count()) throw new Error(`The task failed in the tab: ${await error.textContent()}`);
  const result = JSON.parse((await page.getByTestId("result-json").textContent()) ?? "null");
  const device = (await page.getByTestId("task-device").count()) ? await page.getByTestId("task-device").textContent() : null;
  return { result, device };
}
