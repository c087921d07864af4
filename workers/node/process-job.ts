/**
 * A `process` pool's run: the pool's command (baseJobTemplate.command, e.g. ["python3",
 * "train.py"], with the deployment's jobVariables over the template) in its own process group, as Prefect's process worker does,
 * inside the directory deployed with the run's code version (code-directory.ts), a pull step's
 * tree, or else the worker's checkout (`workingDir` relative to it, and never outside delivered code). It gets the run's
 * parameters as JSON (BATON_PARAMETERS, and the file BATON_PARAMETERS_FILE) and BATON_FLOW_RUN_ID,
 * BATON_LEASE_TOKEN (the worker's lease on the run: what the job's own calls about it carry, as
 * the SDK's do), BATON_API_URL, BATON_API_KEY (the worker's key, when it has one), BATON_OUTPUT_DIR;
 * each output line becomes a log (stderr as warnings); a line
 * `BATON_METRIC {"name": "loss", "value": 0.3, "step": 1}` becomes a metric point; files left in
 * the output directory become artifacts (their bytes in the blob store), and the run's result
 * names them (`{ outputs: { "<path>": "<result id>" } }`); files it writes into
 * BATON_CHECKPOINT_DIR are saved as they appear, and a later attempt of the run gets the newest
 * back as BATON_RESUME_FROM (process-checkpoints.ts); a run that requires a GPU gets one of the
 * worker's GPUs to itself as CUDA_VISIBLE_DEVICES (gpu-slots.ts); exit code 0 is COMPLETED, anything else
 * FAILED. Stopping it sends SIGTERM to the group (a training job saves a last checkpoint), then
 * SIGKILL.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { z } from "zod";
import { restoreCheckpoints, watchCheckpoints } from "./process-checkpoints";
import { pinVersion, pruneCodeCache } from "./code-cache";
import { codeDirectory, DIRECTORY_CACHE } from "./code-directory";
import { gpuSlotsFor, requiresGpu } from "./gpu-slots";
import { checkoutOf } from "./pull";
import type { ClaimedRun, WorkerRuntime } from "./types";
import { uploadResult } from "../../server/client";

const zTemplate = z.object({
  command: z.array(z.string().min(1)).min(1, "must name a program"),
  env: z.record(z.string(), z.string()).default({}),
  workingDir: z.string().min(1).optional(),
  /** How often the worker looks for new checkpoint files. */
  checkpointIntervalSeconds: z.number().positive().max(3600).default(2),
});

const MAX_ARTIFACT_FILES = 100;

/**
 * The pool's template with the deployment's job variables over it: the deployment wins key by
 * key, and `env` is merged name by name so a deployment can add one variable without restating
 * the pool's.
 */
export function jobTemplateFor(base: Record<string, unknown>, jobVariables: Record<string, unknown> | undefined): Record<string, unknown> {
  const vars = jobVariables ?? {};
  const env = { ...(base.env as Record<string, unknown> | undefined), ...(vars.env as Record<string, unknown> | undefined) };
  return { ...base, ...vars, env };
}

export async function runProcessJob(run: ClaimedRun, signal: AbortSignal, rt: WorkerRuntime): Promise<{ message?: string; result?: { value: unknown } }> {
  // A deployed directory is pinned for the whole run, before it is looked up: pruning the cache
  // (code-cache.ts, after this run's version is in it) never removes it meanwhile.
  const pin = run.codeVersion ? pinVersion(DIRECTORY_CACHE, run.codeVersion, run.id) : undefined;
  try {
    return await runPinnedJob(run, signal, rt);
  } finally {
    pin?.release();
  }
}

async function runPinnedJob(run: ClaimedRun, signal: AbortSignal, rt: WorkerRuntime): Promise<{ message?: string; result?: { value: unknown } }> {
  const parsed = zTemplate.safeParse(jobTemplateFor(rt.baseJobTemplate, run.jobVariables));
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]!.path[0] ?? "command");
    // Say which layer to fix: the deployment when it set the key, else the pool.
    const where = field in (run.jobVariables ?? {}) ? "deployment's jobVariables" : "work pool's baseJobTemplate";
    throw new Error(`${where}.${field} ${parsed.error.issues[0]!.message} (e.g. {"command": ["python3", "train.py"]})`);
  }
  const template = parsed.data;
  const log = (level: number, message: string) => rt.shipper.log({ flowRunId: run.id, level, message });
  // Delivered code gives the job its working directory: the directory deployed with the run's
  // version (`baton deploy --dir`), or a pull step's tree at its ref — a training script and its
  // requirements travel with the deployment — and not the worker's own.
  let base = rt.settings.checkout;
  let delivered: string | undefined;
  if (run.codeVersion) {
    base = await codeDirectory(rt.client, rt.workerId(), { id: run.id, codeVersion: run.codeVersion });
    void pruneCodeCache(DIRECTORY_CACHE, rt.settings.codeCacheVersions).then((gone) => gone.length && rt.log(`directory cache: removed ${gone.length} version(s) not used lately (keeping ${rt.settings.codeCacheVersions})`));
    delivered = "the deployed directory";
    log(20, `code: the directory deployed as ${run.codeVersion.slice(0, 19)}`);
  } else if (run.pull) {
    const { dir, commit } = await checkoutOf(run.pull);
    base = dir;
    delivered = "the pulled repository";
    log(20, `code pulled from ${run.pull.git} at ${run.pull.ref}: commit ${commit.slice(0, 12)}`);
  }
  const cwd = path.resolve(base, template.workingDir ?? ".");
  if (delivered && cwd !== base && !cwd.startsWith(base + path.sep)) throw new Error(`workingDir ${template.workingDir} is outside ${delivered}`);
  // One directory per attempt: a retry of the run may start here while this one cleans up.
  await mkdir(path.join(os.tmpdir(), "baton-runs"), { recursive: true });
  const runDir = await mkdtemp(path.join(os.tmpdir(), "baton-runs", `${run.id}-`));
  const outputDir = path.join(runDir, "output");
  await mkdir(outputDir, { recursive: true });
  const checkpointDir = path.join(runDir, "checkpoints");
  await mkdir(checkpointDir, { recursive: true });
  const parametersFile = path.join(runDir, "parameters.json");
  const parameters = JSON.stringify(run.parameters);
  await writeFile(parametersFile, parameters);

  const [program, ...args] = template.command;
  const resumeFrom = await restoreCheckpoints(run, checkpointDir, rt);
  if (resumeFrom) log(20, `resuming from checkpoint ${path.relative(checkpointDir, resumeFrom)} of an earlier attempt`);
  const checkpoints = watchCheckpoints(run, checkpointDir, rt, template.checkpointIntervalSeconds * 1000);
  await checkpoints.start();
  // A GPU run gets one GPU of the worker's own (the claim gives a worker no more GPU runs than GPUs).
  const gpus = requiresGpu(run.requirements) ? gpuSlotsFor(rt.capabilities) : undefined;
  const gpu = gpus?.take(run.id);
  if (gpu !== undefined) log(20, `on GPU ${gpu} (CUDA_VISIBLE_DEVICES=${gpu})`);
  else if (gpus && gpus.devices.length) log(30, `no GPU of this worker's ${gpus.devices.length} is free: CUDA_VISIBLE_DEVICES not set`);
  const child = spawn(program!, args, {
    cwd,
    env: {
      ...process.env,
      ...template.env,
      BATON_FLOW_RUN_ID: run.id,
      // The job's reports about its run (logs, results, artifacts, subflows) carry the lease.
      BATON_LEASE_TOKEN: run.leaseToken,
      BATON_FLOW_RUN_NAME: run.name,
      BATON_API_URL: rt.apiUrl,
      BATON_WORKSPACE: rt.workspace,
      // The worker's own key (from --api-key or BATON_API_KEY), so the job can call back as it does.
      ...(rt.apiKey ? { BATON_API_KEY: rt.apiKey } : {}),
      BATON_PARAMETERS: parameters,
      BATON_PARAMETERS_FILE: parametersFile,
      BATON_OUTPUT_DIR: outputDir,
      BATON_CHECKPOINT_DIR: checkpointDir,
      ...(resumeFrom ? { BATON_RESUME_FROM: resumeFrom } : {}),
      ...(gpu !== undefined ? { CUDA_VISIBLE_DEVICES: gpu } : {}),
      PYTHONUNBUFFERED: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so stopping it reaches whatever it started.
    detached: true,
  });
  log(20, `started ${template.command.join(" ")} (pid ${child.pid})`);
  const lines = (stream: NodeJS.ReadableStream, level: number) =>
    new Promise<void>((resolve) => {
      const rl = createInterface({ input: stream });
      rl.on("line", (line) => {
        if (line.startsWith("BATON_METRIC ")) {
          try {
            const m = JSON.parse(line.slice("BATON_METRIC ".length)) as { name: string; value: number; step?: number };
            rt.shipper.metric({ flowRunId: run.id, name: String(m.name), value: Number(m.value), step: m.step });
            return;
          } catch {
            /* not a metric after all: keep it as a log line */
          }
        }
        log(level, line);
      });
      rl.on("close", resolve);
    });
  const output = Promise.all([lines(child.stdout!, 20), lines(child.stderr!, 30)]);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, sig) => resolve({ code, signal: sig }));
  });

  let killTimer: NodeJS.Timeout | undefined;
  const stop = () => {
    killGroup(child.pid, "SIGTERM");
    log(30, `stopping: sent SIGTERM to process group ${child.pid}`);
    killTimer = setTimeout(() => {
      killGroup(child.pid, "SIGKILL");
      log(30, `still running after ${rt.settings.killGraceSeconds} s: sent SIGKILL`);
    }, rt.settings.killGraceSeconds * 1000);
  };
  if (signal.aborted) stop();
  else signal.addEventListener("abort", stop, { once: true });
  try {
    const { code, signal: sig } = await exited;
    // Once the leader exits, anything it left in its group goes too.
    killGroup(child.pid, "SIGKILL");
    await output;
    await checkpoints.finish();
    const outputs = await uploadOutputs(run, outputDir, rt);
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error("stopped");
    if (code !== 0) throw new Error(`${path.basename(program!)} exited with ${sig ? `signal ${sig}` : `code ${code}`}`);
    return { message: `${path.basename(program!)} exited with code 0`, ...(Object.keys(outputs).length ? { result: { value: { outputs } } } : {}) };
  } finally {
    gpus?.release(run.id);
    if (killTimer) clearTimeout(killTimer);
    await checkpoints.finish().catch(() => {});
    signal.removeEventListener("abort", stop);
    await rm(runDir, { recursive: true, force: true }).catch(() => {});
  }
}

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {
    /* already gone */
  }
}

/** Each file in the output directory → a blob result and an artifact of type `file` on the run; returns path → result id. */
async function uploadOutputs(run: ClaimedRun, outputDir: string, rt: WorkerRuntime): Promise<Record<string, string>> {
  const outputs: Record<string, string> = {};
  const entries = (await readdir(outputDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).slice(0, MAX_ARTIFACT_FILES);
  for (const entry of entries) {
    const file = path.join(entry.parentPath, entry.name);
    const rel = path.relative(outputDir, file);
    try {
      const bytes = await readFile(file);
      const result = await uploadResult(rt.client, bytes, { flowRunId: run.id, leaseToken: run.leaseToken, mediaType: mediaTypeOf(rel) });
      await rt.client.artifacts.create.mutate({
        flowRunId: run.id,
        leaseToken: run.leaseToken,
        type: "file",
        description: rel,
        data: { path: rel, resultId: result.id, sizeBytes: bytes.byteLength, mediaType: result.mediaType, sha256: result.sha256 },
      });
      outputs[rel.split(path.sep).join("/")] = result.id;
    } catch (err) {
      rt.shipper.log({ flowRunId: run.id, level: 40, message: `could not upload output file ${rel}: ${(err as Error).message}` });
    }
  }
  return outputs;
}

function mediaTypeOf(file: string): string {
  const types: Record<string, string> = { ".json": "application/json", ".txt": "text/plain", ".csv": "text/csv", ".onnx": "application/onnx", ".png": "image/png", ".pt": "application/octet-stream" };
  return types[path.extname(file).toLowerCase()] ?? "application/octet-stream";
}
