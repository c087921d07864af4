/**
 * A run of a deployed notebook (`pipeline:<notebook>@<version>`) on a Node worker, with no
 * browser open: the version's cells, from `notebooks.pipeline`, run in DAG order in this process,
 * each kind as a task run of the flow run (upstream links from its inputs, its own logs, its
 * result stored as the cell's output), each cell's parameters filled from its inputs' outputs
 * exactly as the tab does it (common/notebook.ts). An upload cell's file comes with the
 * pipeline. A code cell runs in a child process apart from this worker (code-cell.ts), and only
 * on a pool that opted in (the server refuses the pipeline otherwise). A cell that names a pool
 * of its own (train on a GPU pool) runs there: the server makes it a child run of this run and of
 * the cell's task run (notebooks.runCell), a worker of that pool claims it, and this worker
 * waits on it and takes its result as the cell's output. The flow run's result names each
 * cell's task run (and the child run of each cell that ran apart).
 */
import { LOG_LEVELS } from "../../common/log-levels";
import { CODE_DEFAULT_TIMEOUT_S, type CodeParameters } from "../../common/code-cell";
import { CODE_STEP, cellRunsApart, dagOrder, inputValue, onnxBytes, UPLOAD_STEP, withParameter, type Cell } from "../../common/notebook";
import { runCodeCellInChild } from "./code-cell";
import { resultRef } from "../../sdk/results";
import { createKindContext } from "../kinds/context";
import { errorMessage } from "../../sdk/policy";
import { loadKind } from "./entrypoints";
import { clientResultReader } from "./result-reader";
import type { ClaimedRun, WorkerRuntime } from "./types";

export async function runPipeline(run: ClaimedRun, signal: AbortSignal, rt: WorkerRuntime): Promise<{ result: { value: unknown } }> {
  const pipeline = await rt.client.notebooks.pipeline.query({ flowRunId: run.id });
  const order = dagOrder(pipeline.cells) ?? [];
  const log = (message: string, taskRunId?: string, level: number = LOG_LEVELS.info) => rt.shipper.log({ flowRunId: run.id, taskRunId, level, message });
  log(`Running notebook "${pipeline.name}" version ${pipeline.version}: ${order.join(" → ")}`);
  /** Each cell's output and its task run (an upload's: its file and result id). */
  const done = new Map<string, { output: unknown; taskRunId?: string; resultId?: string; childRunId?: string }>();
  for (const id of order) {
    signal.throwIfAborted();
    const cell = pipeline.cells.find((c) => c.id === id)!;
    if (cell.kind === UPLOAD_STEP) {
      const file = pipeline.files.find((f) => f.resultId === cell.outputResultId);
      if (!file) throw new Error(`cell "${cell.id}": its file is missing from the pipeline`);
      done.set(id, { output: new Uint8Array(Buffer.from(file.base64, "base64")), resultId: file.resultId });
      continue;
    }
    let params: Record<string, unknown> = { ...cell.parameters };
    for (const [param, src] of Object.entries(cell.inputs)) {
      const source = pipeline.cells.find((c) => c.id === src)!;
      const from = done.get(src)!;
      // On a worker the trained model travels as its bytes (the tab reads it by result id).
      // (A train cell that ran on another pool hands back its result as JSON: the bytes again.)
      if (source.kind === "train" && param === "modelResultId") params = withParameter(params, "model", onnxBytes((from.output as { onnx?: unknown }).onnx));
      else params = withParameter(params, param, inputValue(source.kind, param, from.output, from.resultId, cell.kind));
      if (cell.kind === "pdf" && source.kind === UPLOAD_STEP && params.name === undefined) params.name = (source.parameters.file as { name?: string } | undefined)?.name;
    }
    const upstreamTaskRunIds = Object.values(cell.inputs)
      .map((src) => done.get(src)?.taskRunId)
      .filter((t): t is string => !!t);
    const taskRun = await rt.client.taskRuns.create.mutate({
      flowRunId: run.id,
      taskKey: cell.id,
      dynamicKey: "0",
      name: cell.id,
      kind: cell.kind,
      parameters: { ...cell.parameters, ...(Object.keys(cell.inputs).length ? { inputs: cell.inputs } : {}) },
      upstreamTaskRunIds,
      flowRunLeaseToken: run.leaseToken,
      start: true,
    });
    const report = (state: { type: "COMPLETED" | "FAILED" | "CRASHED"; message?: string }, extra: { resultId?: string; result?: { value: unknown } } = {}) =>
      rt.client.taskRuns.setState.mutate({ id: taskRun.id, state, flowRunLeaseToken: run.leaseToken, ...extra });
    if (cellRunsApart(cell, pipeline.workPoolName ?? "")) {
      const child = await runApart(cell, params, taskRun.id, run, signal, rt, (message, level) => log(message, taskRun.id, level)).catch(async (err: unknown) => {
        await report({ type: signal.aborted ? "CRASHED" : "FAILED", message: errorMessage(err) }).catch(() => {});
        throw new Error(`cell "${cell.id}" (${cell.kind}) failed: ${errorMessage(err)}`);
      });
      // The child's result is the cell's: the task run points at the same stored result.
      await report({ type: "COMPLETED" }, child.resultId ? { resultId: child.resultId } : await resultRef(rt.client, child.output, run.id, run.leaseToken, rt.inlineResultMaxBytes));
      done.set(id, { output: child.output, taskRunId: taskRun.id, childRunId: child.id });
      log(`cell "${cell.id}" (${cell.kind}) completed on pool ${cell.target.pool} by worker ${child.workerName ?? "?"} (run ${child.name})`, taskRun.id);
      continue;
    }
    let output: unknown;
    try {
      if (cell.kind === CODE_STEP) {
        // Someone's code: in a child process that cannot act as this worker (code-cell.ts says how).
        const { source, timeoutSeconds, ...inputs } = params as CodeParameters & Record<string, unknown>;
        output = await runCodeCellInChild({ source, inputs, timeoutMs: (timeoutSeconds ?? CODE_DEFAULT_TIMEOUT_S) * 1000, signal, log: (level, message) => log(message, taskRun.id, LOG_LEVELS[level]) });
      } else {
        const kind = await loadKind(cell.kind);
        const ctx = createKindContext({
          log: (level, message) => log(message, taskRun.id, LOG_LEVELS[level]),
          metric: (name, value, step) => rt.shipper.metric({ flowRunId: run.id, taskRunId: taskRun.id, name, value, step }),
          signal,
          device: rt.capabilities.gpu ? "cuda" : "cpu",
          // As for a kind run on its own (execute.ts): infer's `{ runId }` model comes through the API, under this worker's key.
          results: clientResultReader(rt.client),
        });
        output = await kind(params, ctx);
      }
    } catch (err) {
      await report({ type: signal.aborted ? "CRASHED" : "FAILED", message: errorMessage(err) }).catch(() => {});
      throw new Error(`cell "${cell.id}" (${cell.kind}) failed: ${errorMessage(err)}`);
    }
    const ref = await resultRef(rt.client, output, run.id, run.leaseToken, rt.inlineResultMaxBytes);
    await report({ type: "COMPLETED" }, ref);
    done.set(id, { output, taskRunId: taskRun.id });
    log(`cell "${cell.id}" (${cell.kind}) completed`, taskRun.id);
  }
  const cells = Object.fromEntries(
    order.map((id) => {
      const cell = pipeline.cells.find((c) => c.id === id)!;
      const ran = done.get(id);
      return [id, { kind: cell.kind, taskRunId: ran?.taskRunId ?? null, ...(ran?.childRunId ? { childRunId: ran.childRunId, workPool: (cell.target as { pool: string }).pool } : {}) }];
    }),
  );
  return { result: { value: { notebook: pipeline.name, version: pipeline.version, cells } } };
}

const TERMINAL = new Set(["COMPLETED", "FAILED", "CRASHED", "CANCELLED"]);
/** How often the pipeline asks after a cell running on another pool (a cell there takes seconds at least). */
const CHILD_POLL_MS = 500;

/**
 * A cell on its own pool: the server starts its child run there (or finds the one it started, if
 * this is asked again); this worker waits for it to end and reads its result. A stopped pipeline
 * stops waiting and asks the server to cancel the child (notebooks.cancelCell).
 */
async function runApart(
  cell: Cell & { target: { pool: string } },
  params: Record<string, unknown>,
  taskRunId: string,
  run: ClaimedRun,
  signal: AbortSignal,
  rt: WorkerRuntime,
  log: (message: string, level?: number) => void,
): Promise<{ id: string; name: string; workerName: string | null; resultId: string | null; output: unknown }> {
  const bytes = Object.entries(params).find(([, v]) => v instanceof Uint8Array || v instanceof ArrayBuffer);
  if (bytes) throw new Error(`${bytes[0]} is bytes, which a run on pool ${cell.target.pool} cannot receive: run the cell on the deployment's pool`);
  const child = await rt.client.notebooks.runCell.mutate({ flowRunId: run.id, leaseToken: run.leaseToken, cellId: cell.id, taskRunId, parameters: params });
  log(`cell "${cell.id}" (${cell.kind}) sent to pool ${child.workPoolName} as run ${child.name} (${child.id})`);
  // Stopped while it runs there: it is stopped too (best effort; the run page can cancel it as well).
  const cancelChild = () =>
    void rt.client.notebooks.cancelCell
      .mutate({ flowRunId: run.id, leaseToken: run.leaseToken, childRunId: child.id })
      .then((c) => log(`run ${child.name} on pool ${child.workPoolName}: ${c.stateType} with the pipeline`), (err: unknown) => log(`run ${child.name} on pool ${child.workPoolName} could not be cancelled: ${errorMessage(err)}`, LOG_LEVELS.warn));
  if (signal.aborted) cancelChild();
  else signal.addEventListener("abort", cancelChild, { once: true });
  try {
    return await waitForChild(cell, child, run, signal, rt, log);
  } finally {
    signal.removeEventListener("abort", cancelChild);
  }
}

async function waitForChild(
  cell: Cell & { target: { pool: string } },
  child: { id: string; name: string },
  run: ClaimedRun,
  signal: AbortSignal,
  rt: WorkerRuntime,
  log: (message: string, level?: number) => void,
): Promise<{ id: string; name: string; workerName: string | null; resultId: string | null; output: unknown }> {
  let seen = "";
  for (;;) {
    signal.throwIfAborted();
    const now = await rt.client.notebooks.cellRun.query({ flowRunId: run.id, childRunId: child.id });
    const state = `${now.stateName}${now.workerName ? ` on worker ${now.workerName}` : ""}`;
    if (state !== seen) log(`run ${now.name}: ${(seen = state)}`, LOG_LEVELS.debug);
    if (TERMINAL.has(now.stateType)) {
      if (now.stateType !== "COMPLETED") throw new Error(`its run ${now.name} on pool ${cell.target.pool} ended ${now.stateType}${now.stateMessage ? `: ${now.stateMessage}` : ""}`);
      return { id: now.id, name: now.name, workerName: now.workerName, resultId: now.resultId ?? null, output: now.result };
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, CHILD_POLL_MS);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
