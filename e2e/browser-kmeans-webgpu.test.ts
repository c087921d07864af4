/**
 * k-means with its assignment step on WebGPU in a browser tab gives the CPU path's clusters.
 * A tab joins a browser pool and runs `kind:cluster` deployment runs twice on the same vectors,
 * once with `device: "webgpu"` and once with `device: "cpu"`: the same k and labels, centroids
 * within 1e-4, and the runs report where they ran. Node's cluster kind is the third witness.
 *
 * Headless Chromium's adapter is SwiftShader (software): a correctness check, not a timing. The
 * data sets include uniform noise, where many points lie near a boundary between clusters — the
 * case where f32 distances alone could order two centroids differently from the CPU's Float64 ones.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createBatonClient, type BatonClient } from "../server/client";
import { cluster, type ClusterResult } from "../workers/kinds/cluster";
import { encode } from "../workers/kinds/encode";
import { createRng } from "../workers/kinds/random";
import type { TaskContext } from "../workers/kinds/types";
import { ensureProductionBuild, startBaton, type BatonProcess } from "./helpers/baton-process";
import { saveScreenshot } from "./helpers/browser";
import { launchChromiumWithWebGpu, openWorkbench } from "./helpers/workbench";

const POOL = "kmeans-tabs";
let baton: BatonProcess;
let client: BatonClient;
let browser: Browser;
let page: Page;

const nodeContext = (): TaskContext => ({ log: () => {}, metric: () => {}, progress: () => {}, signal: new AbortController().signal });

/** Gaussian blobs around `centers` random centres; values rounded to keep the JSON small. */
function blobs(seed: number, n: number, dim: number, centers: number, spread: number): number[][] {
  const r = createRng(seed);
  const mids = Array.from({ length: centers }, () => Array.from({ length: dim }, () => (r.next() - 0.5) * 10));
  return Array.from({ length: n }, (_, i) => mids[i % centers]!.map((m) => Math.round((m + r.normal() * spread) * 1e6) / 1e6));
}

function uniform(seed: number, n: number, dim: number): number[][] {
  const r = createRng(seed);
  return Array.from({ length: n }, () => Array.from({ length: dim }, () => Math.round(r.next() * 1e6) / 1e6));
}

beforeAll(async () => {
  ensureProductionBuild();
  baton = await startBaton();
  client = createBatonClient({ apiUrl: baton.apiUrl });
  browser = await launchChromiumWithWebGpu();
  await client.workPools.create.mutate({ name: POOL, type: "browser" });
  await client.deployments.create.mutate({ flow: "cluster", name: "in-a-tab", workPool: POOL, entrypoint: "kind:cluster", parameters: {} });
  page = await browser.newPage();
  page.on("pageerror", (err) => console.error(`tab page error: ${err.message}`));
  await openWorkbench(page, baton.url);
  await page.getByTestId("tab-worker-pool").fill(POOL);
  await page.getByTestId("tab-worker-toggle").check();
  await page.locator('[data-testid="tab-worker-status"][data-phase="idle"]').waitFor({ timeout: 30_000 });
});

afterAll(async () => {
  await browser?.close();
  await baton?.stop();
});

/** Runs `kind:cluster` in the tab on a device; returns the result and the run's log lines. */
async function clusterInTab(params: Record<string, unknown>, device: "webgpu" | "cpu"): Promise<{ result: ClusterResult; logs: string }> {
  const run = await client.deployments.run.mutate({ deployment: "cluster/in-a-tab", parameters: { ...params, device } });
  const deadline = Date.now() + 110_000;
  for (;;) {
    const state = await client.flowRuns.get.query({ id: run.id });
    if (state.stateType === "COMPLETED") break;
    if (["FAILED", "CRASHED", "CANCELLED"].includes(state.stateType)) throw new Error(`cluster on ${device}: ${state.stateType} ${state.stateMessage ?? ""}`);
    if (Date.now() > deadline) throw new Error(`cluster on ${device} still ${state.stateType} after 110 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const result = (await client.results.ofRun.query({ flowRunId: run.id }))?.value as ClusterResult;
  const logs = (await client.logs.list.query({ flowRunId: run.id })).items.map((l) => l.message).join("\n");
  return { result, logs };
}

/** Both devices' clusters must match; `maxSettled` bounds the share of ties handed to the CPU. */
async function expectSameClusters(params: { vectors: number[][] } & Record<string, unknown>, maxSettled = 0.01) {
  const gpu = await clusterInTab(params, "webgpu");
  const cpu = await clusterInTab(params, "cpu");
  // Where it ran, as the run itself reports it.
  expect(gpu.logs).toMatch(/k-means assignment on webgpu/);
  expect(gpu.logs).toMatch(/cluster completed in the tab on webgpu/);
  expect(gpu.logs).not.toMatch(/WebGPU k-means failed/);
  expect(cpu.logs).toMatch(/k-means assignment on cpu/);
  // The kernel did the work: on dense vectors the (near) ties it hands to the CPU are rare.
  const [, assigned, settled] = /(\d+) point assignments, (\d+) near ties settled on the CPU/.exec(gpu.logs) ?? [];
  console.log(`${params.vectors.length} vectors: ${assigned} assignments on WebGPU, ${settled} settled on the CPU`);
  expect(Number(assigned)).toBeGreaterThan(0);
  expect(Number(settled)).toBeLessThan(Number(assigned) * maxSettled);

  expect(gpu.result.k).toBe(cpu.result.k);
  expect(gpu.result.labels).toEqual(cpu.result.labels);
  gpu.result.centroids.forEach((row, c) => row.forEach((x, j) => expect(Math.abs(x - cpu.result.centroids[c]![j]!)).toBeLessThan(1e-4)));
  const { vectors, ...rest } = params;
  const inNode = await cluster({ vectors, ...rest }, nodeContext());
  expect(gpu.result.labels).toEqual(inNode.labels);
  return { result: gpu.result, settled: Number(settled) };
}

describe("k-means with a WebGPU assignment step in a tab", () => {
  test("seeded blobs in 32 dimensions, k chosen by silhouette: the CPU's clusters", async ({ onTestFailed }) => {
    onTestFailed(async () => void (await saveScreenshot(page, "kmeans-webgpu-blobs")));
    const { result } = await expectSameClusters({ vectors: blobs(1, 300, 32, 5, 1.0), seed: 7 });
    expect(result.kChosenBy).toBe("silhouette");
    expect(result.k).toBe(5);
  });

  test("blobs in 64 dimensions that overlap, k given", async () => {
    await expectSameClusters({ vectors: blobs(2, 240, 64, 4, 6.0), k: 4, seed: 3 });
  });

  test("uniform noise in 16 dimensions, many points near a boundary, k given", async () => {
    await expectSameClusters({ vectors: uniform(3, 400, 16), k: 7, seed: 11 });
  });

  test("the lexical vectors of the workbench cluster test, with terms: exact ties too", async () => {
    const texts = [
      ...["cats purr and sleep", "a cat chased the mouse", "kittens and cats play", "the cat drank milk", "my cat sleeps all day"],
      ...["the engine needs oil", "car engines burn fuel", "an engine and a gearbox", "fuel for the car engine", "the mechanic fixed the engine"],
      ...["bake bread with flour", "flour, water and yeast make bread", "fresh bread from the oven", "the baker kneads bread dough", "bread needs yeast and flour"],
    ];
    const { vectors } = await encode({ texts, encoder: "lexical" }, nodeContext());
    // Sparse vectors of a few shared words: many points are exactly as far from two centroids,
    // so here the tie path (settled on the CPU, lower index wins) is exercised for real.
    const { result, settled } = await expectSameClusters({ vectors, terms: { texts } }, 0.5);
    expect(settled).toBeGreaterThan(0);
    expect(result.k).toBe(3);
  });
});
