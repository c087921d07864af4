/**
 * A model fine-tuned on a process pool, then used in a tab by its id (issue 15): a real server, a
 * real `baton worker start` on a `process` pool running examples/train-pytorch/train.py with
 * Debian's python3-torch (CPU, the project's tiny model, a few steps), which exports ONNX in the
 * Transformers.js layout; then a browser tab, as a worker of a `browser` pool, claims a
 * `kind:infer` run whose pipeline names the training run (`model: { runId }`), fetches the model
 * through Baton's API and classifies texts on onnxruntime-web. Its probabilities equal
 * onnxruntime-node's on the same exported files, and PyTorch's, within 1e-4. An unknown run id fails the tab's
 * run, saying so.
 *
 * .ci/run installs python3-torch; outside CI, without it, the file is skipped with a message.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createBatonClient, type BatonClient } from "../server/client";
import { isTerminalState } from "../server/engine/state-types";
import { ensureProductionBuild, ROOT, startBaton, type BatonProcess } from "./helpers/baton-process";
import { saveScreenshot } from "./helpers/browser";
import { launchChromiumWithWebGpu, openWorkbench } from "./helpers/workbench";

const PYTHON = "/usr/bin/python3";
const hasTorch = spawnSync(PYTHON, ["-c", "import torch"]).status === 0;
if (!hasTorch) {
  if (process.env.CI) throw new Error(`${PYTHON} cannot import torch: .ci/run should have installed Debian's python3-torch`);
  console.warn(`SKIPPED e2e/infer-exported-model.test.ts: ${PYTHON} cannot import torch (apt-get install -y python3-torch)`);
}

/** Two topics in the tiny model's vocabulary (as test/worker/train-pytorch.test.ts). */
function dataset(n: number) {
  const pets = "cat cats dog dogs food water happy love house home".split(" ");
  const compute = "gpu cpu memory data model network server worker queue pool".split(" ");
  let seed = 11;
  const pick = (words: string[]) => words[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % words.length]!;
  const texts: string[] = [];
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    texts.push(Array.from({ length: 6 }, () => pick(i % 2 ? pets : compute)).join(" "));
    labels.push(i % 2 ? "pets" : "compute");
  }
  return { texts, labels };
}

const softmax = (l: number[]) => {
  const z = l.map((v) => Math.exp(v - Math.max(...l)));
  const sum = z.reduce((a, b) => a + b, 0);
  return z.map((v) => v / sum);
};

let baton: BatonProcess;
let client: BatonClient;
let browser: Browser;
let page: Page | undefined;
let worker: { child: ChildProcess; output(): string } | undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "baton-e2e-exported-"));

beforeAll(async () => {
  if (!hasTorch) return;
  ensureProductionBuild();
  baton = await startBaton();
  client = createBatonClient({ apiUrl: baton.apiUrl, batch: false });
  browser = await launchChromiumWithWebGpu();
}, 120_000);

afterAll(async () => {
  worker?.child.kill("SIGTERM");
  await browser?.close();
  await baton?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** `baton worker start` on a pool from Baton's checkout (where the pool's command finds train.py). */
async function startWorker(pool: string) {
  let out = "";
  const child = spawn(process.execPath, [path.join(ROOT, "bin/baton.mjs"), "worker", "start", "-p", pool, "--name", `e2e-${pool}`], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", BATON_API_URL: baton.apiUrl, BATON_WORKER_CLAIM_WAIT_MS: "3000", BATON_WORKER_DATA_DIR: path.join(tmp, "worker") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const deadline = Date.now() + 60_000;
  while (!/polling pool/.test(out)) {
    if (child.exitCode !== null) throw new Error(`the worker exited (${child.exitCode}):\n${out}`);
    if (Date.now() > deadline) throw new Error(`the worker did not start polling:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: () => out };
}

async function finished(id: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await client.flowRuns.get.query({ id });
    if (isTerminalState(run.stateType)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} still ${run.stateType} after ${timeoutMs} ms\n${worker?.output().slice(-3000) ?? ""}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** onnxruntime-node's logits on the exported files, fed by the exported tokenizer: what the tab must match. */
async function ortNodeLogits(modelDir: string, texts: string[]): Promise<number[][]> {
  const { AutoTokenizer } = await import("@huggingface/transformers");
  const { InferenceSession, Tensor } = await import("onnxruntime-node");
  const tokenizer = await AutoTokenizer.from_pretrained(modelDir, { local_files_only: true });
  const session = await InferenceSession.create(path.join(modelDir, "onnx", "model.onnx"));
  try {
    const out: number[][] = [];
    for (const text of texts) {
      const enc = tokenizer(text) as Record<string, { data: BigInt64Array; dims: number[] }>;
      const feeds = Object.fromEntries(["input_ids", "attention_mask", "token_type_ids"].map((n) => [n, new Tensor("int64", enc[n]!.data, enc[n]!.dims)]));
      out.push(Array.from((await session.run(feeds)).logits!.data as Float32Array));
    }
    return out;
  } finally {
    await session.release();
  }
}

describe.skipIf(!hasTorch)("a model fine-tuned on a process pool, inferred in a tab by its id", () => {
  test("the tab's predictions equal onnxruntime-node's on the exported model (within 1e-4); an unknown id fails saying so", async ({ onTestFailed }) => {
    onTestFailed(async () => {
      if (page && !page.isClosed()) console.error(`Screenshot: ${await saveScreenshot(page, "infer-exported-model")}`);
      console.error(`--- worker ---\n${worker?.output().slice(-4000)}\n--- server ---\n${baton.output().slice(-4000)}`);
    });
    // 1. Fine-tune on the CPU through a process pool; the script exports model/ (ONNX + config + tokenizer).
    await client.workPools.create.mutate({ name: "trainers", type: "process", baseJobTemplate: { command: [PYTHON, "examples/train-pytorch/train.py"], checkpointIntervalSeconds: 1 } });
    await client.deployments.create.mutate({ flow: "fine-tune", name: "tiny", workPool: "trainers" });
    worker = await startWorker("trainers");
    const probe = ["cat dog food happy", "gpu memory server queue", "love house home water", "data model worker pool network", "happy dogs cats love"];
    const training = await client.deployments.run.mutate({ deployment: "fine-tune/tiny", parameters: { ...dataset(48), steps: 30, batch_size: 16, log_every: 10, checkpoint_every: 0, predict: probe } });
    const trained = await finished(training.id, 180_000);
    expect(trained.stateType, trained.stateMessage ?? "").toBe("COMPLETED");

    // What onnxruntime-node says on the same files, read back through the API.
    const outputs = ((await client.results.ofRun.query({ flowRunId: training.id }))!.value as { outputs: Record<string, string> }).outputs;
    const modelDir = path.join(tmp, "model");
    for (const [rel, id] of Object.entries(outputs)) {
      if (!rel.startsWith("model/")) continue;
      const file = path.join(modelDir, rel.slice("model/".length));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, Buffer.from((await client.results.get.query({ id, includeData: true })).base64!, "base64"));
    }
    const expected = (await ortNodeLogits(modelDir, probe)).map(softmax);
    const config = JSON.parse(fs.readFileSync(path.join(modelDir, "config.json"), "utf8")) as { id2label: Record<string, string> };
    const classes = Object.keys(config.id2label).sort((a, b) => Number(a) - Number(b)).map((k) => config.id2label[k]!);

    // 2. A tab of a browser pool claims kind:infer naming the training run, and classifies on onnxruntime-web.
    await client.workPools.create.mutate({ name: "tabs", type: "browser" });
    await client.deployments.create.mutate({ flow: "classify", name: "in-a-tab", workPool: "tabs", entrypoint: "kind:infer" });
    const inferParams = (model: unknown) => ({ pipeline: { task: "text-classification", model, options: { device: "wasm" } }, inputs: probe, options: { top_k: null } });
    const run = await client.deployments.run.mutate({ deployment: "classify/in-a-tab", parameters: inferParams({ runId: training.id }) });
    page = await browser.newPage();
    page.on("pageerror", (err) => console.error(`tab page error: ${err.message}`));
    await openWorkbench(page, baton.url);
    await page.getByTestId("tab-worker-pool").fill("tabs");
    await page.getByTestId("tab-worker-toggle").check();
    const done = await finished(run.id, 120_000);
    expect(done.stateType, done.stateMessage ?? "").toBe("COMPLETED");
    const rows = ((await client.results.ofRun.query({ flowRunId: run.id }))!.value as { outputs: { label: string; score: number }[][] }).outputs;
    expect(rows).toHaveLength(probe.length);
    for (const [i, row] of rows.entries()) {
      expect(row.map((r) => r.label).sort()).toEqual([...classes].sort());
      for (const { label, score } of row) expect(Math.abs(score - expected[i]![classes.indexOf(label)]!), `${probe[i]}: ${label}`).toBeLessThan(1e-4);
    }
    // And they are PyTorch's own, from the training script (its predictions.json for the probe).
    const torch = JSON.parse(Buffer.from((await client.results.get.query({ id: outputs["predictions.json"]!, includeData: true })).base64!, "base64").toString("utf8")) as { classes: string[]; logits: number[][] };
    expect(torch.classes).toEqual(classes);
    for (const [i, row] of rows.entries()) {
      const probs = softmax(torch.logits[i]!);
      for (const { label, score } of row) expect(Math.abs(score - probs[classes.indexOf(label)]!), `${probe[i]}: ${label} against PyTorch`).toBeLessThan(1e-4);
    }
    const logs = (await client.logs.list.query({ flowRunId: run.id, limit: 1000 })).items.map((l) => l.message);
    expect(logs.some((m) => m.startsWith(`infer: fetched the model run ${training.id} exported (result `))).toBe(true);

    // 3. An unknown run id: the tab's run fails, naming it.
    const unknown = "00000000-0000-4000-8000-000000000000";
    const bad = await client.deployments.run.mutate({ deployment: "classify/in-a-tab", parameters: inferParams({ runId: unknown }) });
    const failed = await finished(bad.id, 60_000);
    expect(failed.stateType).toBe("FAILED");
    expect(failed.stateMessage).toContain(`infer: there is no run ${unknown} in this workspace`);
  }, 420_000);
});
