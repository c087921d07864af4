/**
 * `npm run bench:train [-- --rounds 3 --steps 200 --batch 16 --hidden 64 --layers 2]`: what running the PyTorch fine-tuning example
 * (examples/train-pytorch/train.py) through Baton costs, against the bare script with the same
 * settings, in the same run.
 *
 * Baton: the API over HTTP in this process (the same fetch handler the server mounts; PGlite in
 * a fresh folder, blobs on disk), one real `baton worker start` process on a `process` pool whose
 * command is the script; each run made with `deployments.run`, its metrics streamed (BATON_METRIC
 * lines → metric artifacts) and its checkpoints uploaded as they are written. Bare: the same
 * interpreter on the same script with the same parameters, checkpoints written to a folder,
 * stdout read by this process. Rounds alternate bare and Baton, so drift in the machine's load
 * falls on both. The figure compared is the script's own `train_samples_per_s` (samples over the
 * training loop's time), plus each run's wall time from start to exit / COMPLETED.
 *
 * Prints a Markdown table; BENCHMARKS.md's section quotes it with the machine and its load.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fmt, load, pct } from "./common";
import { handleTrpcRequest } from "../server/api/http";
import { RESULT_UPLOAD_PATH, handleResultUpload } from "../server/api/result-upload";
import { FilesystemBlobStore, setBlobStore } from "../server/blobs";
import { createBatonClient } from "../server/client";
import { openDatabase } from "../server/db/client";
import { RunSignals } from "../server/engine/signals";
import { loadEngineSettings } from "../server/engine/settings";
import { isTerminalState } from "../server/engine/state-types";
import { serveNodeRequest } from "../server/node-request";

// Overridable for the bundled copy bench/gpu-device.sh carries to a GPU machine (no node_modules there).
const ROOT = process.env.BATON_ROOT ?? path.resolve(import.meta.dirname, "..");
const WORKER_BIN = process.env.BATON_BENCH_WORKER_BIN ?? path.join(ROOT, "bin/baton.mjs");
const PYTHON = process.env.BATON_PYTHON ?? "/usr/bin/python3";
const SCRIPT = path.join(ROOT, "examples/train-pytorch/train.py");
const arg = (name: string, fallback: number) => (process.argv.includes(`--${name}`) ? Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) : fallback);
const ROUNDS = arg("rounds", 3);
const STEPS = arg("steps", 100);
const BATCH = arg("batch", 16);
const CHECKPOINT_EVERY = arg("checkpoint-every", 20);
/** The model's width and depth: the CPU default is small; on a GPU give it a real size (e.g. --hidden 384 --layers 6). */
const HIDDEN = arg("hidden", 64);
const LAYERS = arg("layers", 2);

/**
 * A small BERT (2 layers, 64 wide) over the tiny model's tokenizer: twice the test model's width,
 * so the step, not Python, is the cost. (Debian's torch links the reference BLAS: a 256-wide,
 * 4-layer one trains at ~2 samples/s on this CPU, too slow to repeat.)
 */
function modelDir(tmp: string): string {
  const dir = path.join(tmp, "small-bert");
  cpSync(path.join(ROOT, "models/tiny-bert"), dir, { recursive: true });
  const base = { model_type: "bert", vocab_size: 303, max_position_embeddings: 128, type_vocab_size: 2, layer_norm_eps: 1e-12, pad_token_id: 0, hidden_act: "gelu" };
  writeFileSync(path.join(dir, "config.json"), JSON.stringify({ ...base, hidden_size: HIDDEN, num_attention_heads: Math.max(2, HIDDEN / 64), num_hidden_layers: LAYERS, intermediate_size: HIDDEN * 4 }));
  return dir;
}

function dataset(n: number) {
  const topics = ["cat dog food water happy love house home", "gpu cpu memory data model network server worker", "city music book fire earth light dark night"].map((t) => t.split(" "));
  const texts: string[] = [];
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    const words = topics[i % 3]!;
    texts.push(Array.from({ length: 24 }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(" "));
    labels.push(`topic-${i % 3}`);
  }
  return { texts, labels };
}

interface Figures {
  samplesPerS: number;
  samplesPerCpuS: number;
  wallS: number;
}

/** The script's end-of-loop throughput metrics. */
function throughput(points: { name: string; value: number }[]): Omit<Figures, "wallS"> {
  const get = (name: string) => {
    const p = points.find((m) => m.name === name);
    if (!p) throw new Error(`the script reported no ${name}`);
    return p.value;
  };
  return { samplesPerS: get("train_samples_per_s"), samplesPerCpuS: get("train_samples_per_cpu_s") };
}

async function bare(parameters: Record<string, unknown>, tmp: string): Promise<Figures> {
  const checkpoints = mkdtempSync(path.join(tmp, "bare-ck-"));
  const output = mkdtempSync(path.join(tmp, "bare-out-"));
  const t0 = performance.now();
  const child = spawn(PYTHON, [SCRIPT], {
    env: { ...process.env, BATON_PARAMETERS: JSON.stringify(parameters), BATON_CHECKPOINT_DIR: checkpoints, BATON_OUTPUT_DIR: output, PYTHONUNBUFFERED: "1" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const wallS = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`the bare script exited with ${code}:\n${out.slice(-2000)}`);
  return { ...throughput(out.split("\n").filter((l) => l.startsWith("BATON_METRIC ")).map((l) => JSON.parse(l.slice(13)) as { name: string; value: number })), wallS };
}

async function main() {
  if (spawnSync(PYTHON, ["-c", "import torch"]).status !== 0) throw new Error(`${PYTHON} cannot import torch: apt-get install -y python3-torch`);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "baton-bench-train-"));
  const parameters = { ...dataset(96), model_dir: modelDir(tmp), steps: STEPS, batch_size: BATCH, max_length: 32, log_every: 10, checkpoint_every: CHECKPOINT_EVERY, export: false };

  setBlobStore(new FilesystemBlobStore(path.join(tmp, "blobs")));
  const database = await openDatabase({ driver: "pglite", dataDir: path.join(tmp, "pglite") });
  await database.migrate();
  const signals = new RunSignals();
  await signals.start(database);
  const engine = { settings: loadEngineSettings(), signals };
  const dispatch = (req: Request) =>
    new URL(req.url).pathname.startsWith(RESULT_UPLOAD_PATH) ? handleResultUpload(req, database.db, { enabled: false }) : handleTrpcRequest(req, () => database.db, () => engine);
  const server = http.createServer((req, res) => void serveNodeRequest(dispatch, req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  const client = createBatonClient({ apiUrl, batch: false });
  await client.workPools.create.mutate({ name: "train", type: "process", baseJobTemplate: { command: [PYTHON, SCRIPT] } });
  await client.deployments.create.mutate({ flow: "fine-tune", name: "bench", workPool: "train" });
  const env: NodeJS.ProcessEnv = { ...process.env, BATON_API_URL: apiUrl, NO_COLOR: "1", BATON_WORKER_DATA_DIR: path.join(tmp, "worker") };
  for (const k of ["DATABASE_URL", "BATON_API_KEY", "BATON_WORKSPACE"]) delete env[k];
  const worker = spawn(process.execPath, [WORKER_BIN, "worker", "start", "-p", "train", "--name", "bench-trainer"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let workerOut = "";
  worker.stdout!.setEncoding("utf8").on("data", (d: string) => (workerOut += d));
  worker.stderr!.setEncoding("utf8").on("data", (d: string) => (workerOut += d));

  const viaBaton = async (): Promise<Figures & { checkpoints: number; points: number }> => {
    const t0 = performance.now();
    const run = await client.deployments.run.mutate({ deployment: "fine-tune/bench", parameters });
    for (;;) {
      const r = await client.flowRuns.get.query({ id: run.id });
      if (isTerminalState(r.stateType)) {
        if (r.stateType !== "COMPLETED") throw new Error(`run ${run.id} ended ${r.stateType}: ${r.stateMessage}\n${workerOut.slice(-2000)}`);
        break;
      }
      if (worker.exitCode !== null) throw new Error(`the worker exited (${worker.exitCode}) before run ${run.id} ended:\n${workerOut.slice(-2000)}`);
      await new Promise((res) => setTimeout(res, 250));
    }
    const wallS = (performance.now() - t0) / 1000;
    const artifacts = await client.artifacts.list.query({ flowRunId: run.id, limit: 1000 });
    const points = artifacts.filter((a) => a.type === "metrics").flatMap((a) => (a.data as { points: { name: string; value: number }[] }).points);
    return { ...throughput(points), wallS, checkpoints: artifacts.filter((a) => a.type === "checkpoint").length, points: points.length };
  };

  const rows: { mode: string; round: number; f: Figures; extra?: string }[] = [];
  try {
    // Warm-up, not counted: the interpreter and torch come into the page cache, the worker connects.
    await bare({ ...parameters, steps: 10 }, tmp);
    for (let round = 1; round <= ROUNDS; round++) {
      rows.push({ mode: "bare", round, f: await bare(parameters, tmp) });
      const b = await viaBaton();
      rows.push({ mode: "baton", round, f: b, extra: `${b.points} metric points, ${b.checkpoints} checkpoints uploaded` });
      console.error(`round ${round}: bare ${fmt(rows.at(-2)!.f.samplesPerS, 1)} samples/s, baton ${fmt(b.samplesPerS, 1)} samples/s`);
    }
  } finally {
    worker.kill("SIGTERM");
    await new Promise((r) => worker.once("close", r));
    server.close();
    await signals.stop();
    await database.close();
    setBlobStore(undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
  const med = (mode: string, key: keyof Figures) => pct(rows.filter((r) => r.mode === mode).map((r) => r.f[key]), 50);
  const overhead = (key: keyof Figures) => fmt((1 - med("baton", key) / med("bare", key)) * 100, 1);
  const torchInfo = spawnSync(PYTHON, ["-c", "import torch;print(torch.__version__, torch.cuda.get_device_name(0) if torch.cuda.is_available() else '', sep='|')"], { encoding: "utf8" }).stdout.trim().split("|");
  const where = torchInfo[1] ? `on CUDA (${torchInfo[1]}, bf16 autocast, TF32)` : "on the CPU";
  console.log(`\nPyTorch ${torchInfo[0]} ${where}, ${os.cpus().length} × ${os.cpus()[0]?.model}, load ${load()}; a ${LAYERS}-layer ${HIDDEN}-wide BERT, ${STEPS} steps of batch ${BATCH}, checkpoint every ${CHECKPOINT_EVERY} steps, ${ROUNDS} rounds\n`);
  console.log("| round | bare: samples/s | Baton: samples/s | bare: samples/CPU-s | Baton: samples/CPU-s | bare: wall s | Baton: wall s | Baton run |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (let round = 1; round <= ROUNDS; round++) {
    const [b, t] = [rows.find((r) => r.mode === "bare" && r.round === round)!, rows.find((r) => r.mode === "baton" && r.round === round)!];
    console.log(`| ${round} | ${fmt(b.f.samplesPerS, 1)} | ${fmt(t.f.samplesPerS, 1)} | ${fmt(b.f.samplesPerCpuS, 1)} | ${fmt(t.f.samplesPerCpuS, 1)} | ${fmt(b.f.wallS, 2)} | ${fmt(t.f.wallS, 2)} | ${t.extra} |`);
  }
  console.log(`| median | ${fmt(med("bare", "samplesPerS"), 1)} | ${fmt(med("baton", "samplesPerS"), 1)} | ${fmt(med("bare", "samplesPerCpuS"), 1)} | ${fmt(med("baton", "samplesPerCpuS"), 1)} | ${fmt(med("bare", "wallS"), 2)} | ${fmt(med("baton", "wallS"), 2)} | overhead: ${overhead("samplesPerS")} % on samples/s, ${overhead("samplesPerCpuS")} % on samples/CPU-s |`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
