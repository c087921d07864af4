/**
 * The PyTorch fine-tuning example (examples/train-pytorch/train.py) through a real server, a real
 * `process` pool worker and Debian's python3-torch on the CPU: metrics arrive, a training process
 * killed mid-run resumes from its last checkpoint on the retry (the script's own journal says at
 * which step it started), and the exported ONNX model gives PyTorch's logits in onnxruntime-node
 * and in the `infer` kind's Transformers.js pipeline.
 *
 * .ci/run installs python3-torch; outside CI, without it, the file is skipped with a message.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useWorkerHarness, waitFor } from "./harness";
import { isTerminalState } from "../../server/engine/state-types";
import { nodeInfer } from "../../workers/kinds/node/infer";
import { createBatonClient } from "../../server/client";

const PYTHON = "/usr/bin/python3";
const hasTorch = spawnSync(PYTHON, ["-c", "import torch"]).status === 0;
if (!hasTorch) {
  if (process.env.CI) throw new Error(`${PYTHON} cannot import torch: .ci/run should have installed Debian's python3-torch`);
  console.warn(`SKIPPED test/worker/train-pytorch.test.ts: ${PYTHON} cannot import torch (apt-get install -y python3-torch)`);
}

/** Two topics in the tiny model's vocabulary: sentences of pet words against compute words. */
function dataset(n: number) {
  const pets = "cat cats dog dogs food water happy love house home".split(" ");
  const compute = "gpu cpu memory data model network server worker queue pool".split(" ");
  let seed = 7;
  const pick = (words: string[]) => words[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % words.length]!;
  const texts: string[] = [];
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    const words = i % 2 ? pets : compute;
    texts.push(Array.from({ length: 6 }, () => pick(words)).join(" "));
    labels.push(i % 2 ? "pets" : "compute");
  }
  return { texts, labels };
}

interface JournalEntry {
  event: "start" | "checkpoint" | "stopped" | "end";
  step: number;
  pid: number;
}

describe.skipIf(!hasTorch)("PyTorch fine-tuning on a process pool", () => {
  const h = useWorkerHarness();
  const tmp = mkdtempSync(path.join(os.tmpdir(), "baton-train-pytorch-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const finished = (id: string) => async () => {
    const r = await h.client.flowRuns.get.query({ id });
    return isTerminalState(r.stateType) ? r : undefined;
  };
  const journalOf = (file: string): JournalEntry[] => {
    try {
      return readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as JournalEntry);
    } catch {
      return [];
    }
  };
  const blob = async (resultId: string) => Buffer.from((await h.client.results.get.query({ id: resultId, includeData: true })).base64!, "base64");
  let worker: ReturnType<typeof h.startWorker>;
  /** The first test's training run, and PyTorch's logits for `probe` there: what the infer-by-id test loads. */
  let trained: { runId: string; resultId: string; probe: string[]; classes: string[]; logits: number[][] } | undefined;
  beforeAll(async () => {
    await h.client.workPools.create.mutate({
      name: "gpu-train",
      type: "process",
      baseJobTemplate: { command: [PYTHON, "examples/train-pytorch/train.py"], checkpointIntervalSeconds: 0.2 },
    });
    await h.client.deployments.create.mutate({ flow: "fine-tune", name: "tiny", workPool: "gpu-train", policy: { maxRetries: 1, retryDelaySeconds: 0 } });
    worker = h.startWorker(["-p", "gpu-train", "--name", "trainer-1"]);
    await h.waitForWorker(worker);
  }, 60_000);

  it("streams loss, accuracy and throughput, and exports an ONNX model that gives PyTorch's logits in onnxruntime-node and in infer", async () => {
    const probe = ["cat dog food happy", "gpu memory server queue", "love the house", "data model worker pool network"];
    const run = await h.client.deployments.run.mutate({
      deployment: "fine-tune/tiny",
      parameters: { ...dataset(64), steps: 40, batch_size: 16, log_every: 10, checkpoint_every: 20, predict: probe },
    });
    const done = await waitFor(finished(run.id), 120_000, () => worker.output());
    expect(done.stateType, done.stateMessage ?? "").toBe("COMPLETED");

    const artifacts = await h.client.artifacts.list.query({ flowRunId: run.id });
    const points = artifacts.filter((a) => a.type === "metrics").flatMap((a) => (a.data as { points: { name: string; value: number; step?: number }[] }).points);
    const loss = points.filter((p) => p.name === "loss");
    expect(loss.map((p) => p.step).sort((a, b) => a! - b!)).toEqual([10, 20, 30, 40]);
    expect(points.filter((p) => p.name === "accuracy")).toHaveLength(4);
    expect(points.filter((p) => p.name === "samples_per_s").every((p) => p.value > 0)).toBe(true);
    expect(artifacts.filter((a) => a.type === "checkpoint").map((a) => a.description)).toContain("checkpoint.pt");

    // The run's result names its outputs; the model directory is what Transformers.js loads.
    const result = await h.client.results.ofRun.query({ flowRunId: run.id, includeData: true });
    const outputs = (result!.value as { outputs: Record<string, string> }).outputs;
    expect(Object.keys(outputs).sort()).toEqual(["model/config.json", "model/onnx/model.onnx", "model/tokenizer.json", "model/tokenizer_config.json", "predictions.json"]);
    const models = path.join(tmp, "models");
    for (const [rel, id] of Object.entries(outputs)) {
      const file = path.join(models, "fine-tuned", rel.replace(/^model\//, ""));
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, await blob(id));
    }
    const torch = JSON.parse(readFileSync(path.join(models, "fine-tuned", "predictions.json"), "utf8")) as { classes: string[]; texts: string[]; logits: number[][] };
    expect(torch.texts).toEqual(probe);
    trained = { runId: run.id, resultId: result!.id, probe, classes: torch.classes, logits: torch.logits };

    // onnxruntime-node on the exported graph, fed by the exported tokenizer.
    const { AutoTokenizer } = await import("@huggingface/transformers");
    const { InferenceSession, Tensor } = await import("onnxruntime-node");
    const tokenizer = await AutoTokenizer.from_pretrained(path.join(models, "fine-tuned"), { local_files_only: true });
    const session = await InferenceSession.create(path.join(models, "fine-tuned", "onnx", "model.onnx"));
    for (const [i, text] of probe.entries()) {
      const enc = tokenizer(text) as Record<string, { data: BigInt64Array; dims: number[] }>;
      const feeds = Object.fromEntries(["input_ids", "attention_mask", "token_type_ids"].map((n) => [n, new Tensor("int64", enc[n]!.data, enc[n]!.dims)]));
      const logits = Array.from((await session.run(feeds)).logits!.data as Float32Array);
      logits.forEach((v, c) => expect(Math.abs(v - torch.logits[i]![c]!), `${text}: class ${c}`).toBeLessThan(1e-4));
    }
    await session.release();

    // The infer kind's text-classification pipeline over the same model directory.
    const infer = nodeInfer({ localModelPath: models + path.sep });
    const ctx = { log() {}, metric() {}, progress() {}, signal: new AbortController().signal };
    const out = await infer({ pipeline: { task: "text-classification", model: "fine-tuned" }, inputs: probe, options: { top_k: null } }, ctx);
    const rows = (out as { outputs: { label: string; score: number }[][] }).outputs;
    expect(rows).toHaveLength(probe.length);
    for (const [i, row] of rows.entries()) {
      const l = torch.logits[i]!;
      const z = l.map((v) => Math.exp(v - Math.max(...l)));
      const probs = z.map((v) => v / z.reduce((a, b) => a + b, 0));
      expect(row.map((r) => r.label).sort()).toEqual(["compute", "pets"]);
      for (const { label, score } of row) expect(Math.abs(score - probs[torch.classes.indexOf(label)]!), `${probe[i]}: ${label}`).toBeLessThan(1e-4);
    }
  }, 180_000);

  it("infer loads the exported model by the training run's id (or its result's) through the API, on a Node worker: PyTorch's probabilities within 1e-4; clear errors for an unknown id, a result that is not a model, another workspace", async () => {
    expect(trained, "the export test ran first").toBeDefined();
    const { runId, resultId, probe, classes, logits } = trained!;
    await h.client.workPools.create.mutate({ name: "cpu-infer", type: "node" });
    await h.client.deployments.create.mutate({ flow: "infer", name: "exported", workPool: "cpu-infer", entrypoint: "kind:infer" });
    const inferWorker = h.startWorker(["-p", "cpu-infer", "--name", "inferrer-1"]);
    await h.waitForWorker(inferWorker);
    const inferRun = async (model: unknown) => {
      const run = await h.client.deployments.run.mutate({ deployment: "infer/exported", parameters: { pipeline: { task: "text-classification", model }, inputs: probe, options: { top_k: null } } });
      return { id: run.id, done: await waitFor(finished(run.id), 120_000, () => inferWorker.output()) };
    };
    const softmax = (l: number[]) => {
      const z = l.map((v) => Math.exp(v - Math.max(...l)));
      return z.map((v) => v / z.reduce((a, b) => a + b, 0));
    };
    let byRun = "";
    for (const model of [{ runId }, { resultId }]) {
      const { id, done } = await inferRun(model);
      expect(done.stateType, done.stateMessage ?? "").toBe("COMPLETED");
      const rows = ((await h.client.results.ofRun.query({ flowRunId: id }))!.value as { outputs: { label: string; score: number }[][] }).outputs;
      expect(rows).toHaveLength(probe.length);
      for (const [i, row] of rows.entries()) {
        const probs = softmax(logits[i]!);
        expect(row.map((r) => r.label).sort()).toEqual([...classes].sort());
        for (const { label, score } of row) expect(Math.abs(score - probs[classes.indexOf(label)]!), `${probe[i]}: ${label}`).toBeLessThan(1e-4);
      }
      const messages = (await h.client.logs.list.query({ flowRunId: id, minLevel: 20, limit: 1000 })).items.map((l) => l.message);
      expect(messages.some((m) => m.startsWith(`infer: fetched ${"runId" in model ? `the model run ${runId} exported` : `the model of result ${resultId}`} (result ${resultId}: 4 files,`))).toBe(true);
      byRun ||= id;
    }

    const unknown = "00000000-0000-4000-8000-000000000000";
    const failed = async (model: unknown) => {
      const { done } = await inferRun(model);
      expect(done.stateType).toBe("FAILED");
      return done.stateMessage ?? "";
    };
    expect(await failed({ runId: unknown })).toContain(`infer: there is no run ${unknown} in this workspace (an unknown id, or one of another workspace)`);
    expect(await failed({ resultId: unknown })).toContain(`infer: there is no result ${unknown} in this workspace`);
    // An infer run's result is JSON with no model files; a model file's own result is bytes.
    expect(await failed({ runId: byRun })).toMatch(new RegExp(`infer: run ${byRun}'s result [0-9a-f-]+ is not an exported model: it has no model/ files`));
    const onnxId = ((await h.client.results.ofRun.query({ flowRunId: runId }))!.value as { outputs: Record<string, string> }).outputs["model/onnx/model.onnx"]!;
    expect(await failed({ resultId: onnxId })).toContain(`infer: result ${onnxId} is not an exported model: it has bytes`);
    // A malformed id is refused when the run is asked for, by the kind's parameter schema.
    await expect(h.client.deployments.run.mutate({ deployment: "infer/exported", parameters: { pipeline: { task: "text-classification", model: { runId: "run-1" } }, inputs: probe } })).rejects.toThrow(
      /parameters\.pipeline\.model\.runId: must match pattern/,
    );

    // A worker of another workspace does not find this workspace's run.
    await h.client.workspaces.create.mutate({ slug: "elsewhere", name: "Elsewhere" });
    const elsewhere = createBatonClient({ apiUrl: h.apiUrl, workspace: "elsewhere", batch: false });
    await elsewhere.workPools.create.mutate({ name: "cpu-infer", type: "node" });
    await elsewhere.deployments.create.mutate({ flow: "infer", name: "exported", workPool: "cpu-infer", entrypoint: "kind:infer" });
    const outsider = h.startWorker(["-p", "cpu-infer", "--name", "inferrer-elsewhere"], { BATON_WORKSPACE: "elsewhere" });
    await h.waitForWorker(outsider);
    const run = await elsewhere.deployments.run.mutate({ deployment: "infer/exported", parameters: { pipeline: { task: "text-classification", model: { runId } }, inputs: probe } });
    const done = await waitFor(async () => {
      const r = await elsewhere.flowRuns.get.query({ id: run.id });
      return isTerminalState(r.stateType) ? r : undefined;
    }, 120_000, () => outsider.output());
    expect(done.stateType).toBe("FAILED");
    expect(done.stateMessage).toContain(`infer: there is no run ${runId} in this workspace (an unknown id, or one of another workspace)`);
  }, 300_000);

  it("a training process killed mid-run is retried and resumes from its last saved checkpoint, not from step 0", async () => {
    const journal = path.join(tmp, "journal.jsonl");
    const run = await h.client.deployments.run.mutate({
      deployment: "fine-tune/tiny",
      parameters: { ...dataset(64), steps: 400, batch_size: 8, log_every: 10, checkpoint_every: 10, export: false, journal },
    });
    // Kill it once the worker has saved a checkpoint on the server.
    const saved = await waitFor(async () => (await h.client.artifacts.list.query({ flowRunId: run.id })).find((a) => a.type === "checkpoint"), 120_000, () => worker.output());
    expect(saved.description).toBe("checkpoint.pt");
    const first = journalOf(journal);
    expect(first[0]).toMatchObject({ event: "start", step: 0 });
    process.kill(first[0]!.pid, "SIGKILL");

    const done = await waitFor(finished(run.id), 120_000, () => worker.output());
    expect(done.stateType, done.stateMessage ?? "").toBe("COMPLETED");
    const entries = journalOf(journal);
    const starts = entries.filter((e) => e.event === "start");
    expect(starts).toHaveLength(2);
    expect(starts[1]!.pid).not.toBe(first[0]!.pid);
    // It started at a checkpoint of the killed attempt: the newest the worker uploaded (the kill
    // may land between the file's rename and its journal line, hence the one step past the last).
    const checkpointed = entries.filter((e) => e.event === "checkpoint" && e.pid === first[0]!.pid).map((e) => e.step);
    expect(starts[1]!.step).toBeGreaterThan(0);
    expect([...checkpointed, Math.max(...checkpointed) + 10]).toContain(starts[1]!.step);
    expect(starts[1]!.step).toBeGreaterThanOrEqual(Math.max(...checkpointed));
    expect(entries.at(-1)).toMatchObject({ event: "end", step: 400 });
    expect(entries.filter((e) => e.event === "checkpoint" && e.pid === starts[1]!.pid)[0]!.step).toBe(starts[1]!.step + 10);
    const messages = (await h.client.logs.list.query({ flowRunId: run.id, minLevel: 20, limit: 1000 })).items.map((l) => l.message);
    expect(messages).toEqual(expect.arrayContaining(["resuming from checkpoint checkpoint.pt of an earlier attempt", `start step=${starts[1]!.step} of 400 on cpu (weights initialised here, 64 examples, 2 classes)`]));
  }, 240_000);

  it("cancelling a training run stops it cleanly: SIGTERM, a last checkpoint saved, the run CANCELLED", async () => {
    const journal = path.join(tmp, "journal-cancel.jsonl");
    // No checkpoints at intervals: the only one is what the script saves on SIGTERM.
    const run = await h.client.deployments.run.mutate({
      deployment: "fine-tune/tiny",
      parameters: { ...dataset(64), steps: 100_000, batch_size: 8, log_every: 10, checkpoint_every: 0, export: false, journal },
    });
    await waitFor(async () => (await h.client.artifacts.list.query({ flowRunId: run.id })).some((a) => a.type === "metrics"), 120_000, () => worker.output());
    await h.client.flowRuns.cancel.mutate({ id: run.id });
    const done = await waitFor(finished(run.id), 60_000, () => worker.output());
    expect(done.stateType).toBe("CANCELLED");
    const stopped = journalOf(journal).find((e) => e.event === "stopped");
    expect(stopped?.step).toBeGreaterThanOrEqual(10);
    const checkpoints = (await h.client.artifacts.list.query({ flowRunId: run.id })).filter((a) => a.type === "checkpoint");
    expect(checkpoints.map((a) => a.description)).toEqual(["checkpoint.pt"]);
    const messages = (await h.client.logs.list.query({ flowRunId: run.id, minLevel: 20, limit: 1000 })).items.map((l) => l.message);
    expect(messages).toContain(`SIGTERM: saved a last checkpoint at step ${stopped!.step}`);
    expect(messages.some((m) => /sent SIGKILL/.test(m))).toBe(false);
  }, 180_000);
});
