/**
 * One flow process: started by the worker (flow-process.ts, through flow-child.mjs) before it has
 * a run, so tsx, the SDK and the API client are loaded and a connection to the API is open when
 * the run arrives. It runs one run at a time, loading the flow module then; the worker hands it
 * another only while no file it loaded has changed on disk (flow-loaded-hook.mjs tells which),
 * so a fixed flow file is loaded by a fresh process. A stopped run ends the process. Logs and
 * metrics go to the worker over IPC (the worker's shipper batches them with the lease), the
 * outcome too — and, on a run's first attempt, its task runs' journal (sdk/task.ts): before any
 * call of its own this process makes, the worker is asked to have stored the journal sent so
 * far, so the server never hears of a task run after something that names it.
 *
 * Environment (set by the worker; the key is never on argv nor in a message): BATON_API_URL,
 * BATON_WORKSPACE, BATON_API_KEY, BATON_FLOW_RETRY_REFUSED_MS; a GPU run's CUDA_VISIBLE_DEVICES
 * comes in its run message (flow-process.ts says why) and is set here before the flow loads.
 */
import { setMaxListeners } from "node:events";
import { createBatonClient } from "../../server/client";
import type { RunContext, RunSink } from "../../sdk/context";
// The SDK's index, as flow files import it: all of it is loaded before the run arrives.
import { executeFlow, FLOW } from "../../sdk";
import { EntrypointError, loadBundledFlow, loadFlow } from "./entrypoints";
import { serializeError, type RunMessage, type ToChild, type ToParent } from "./flow-ipc";

/** After a stop, how long the run's own code gets to settle (task runs reported CRASHED) before exit. */
const STOP_SETTLE_MS = 250;

function send(message: ToParent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(message, undefined, {}, () => resolve());
  });
}

/** The run in progress, if any: one at a time. */
let current: { controller: AbortController; leaseToken: string; running: Promise<void>; leaseLostSent: boolean } | undefined;

/**
 * The global fetch, watching for LEASE_LOST: a write carrying the current run's lease that is
 * refused for it ends the run, even when flow code catches the error and carries on. Only 409
 * answers are read twice.
 */
const leaseWatchingFetch: typeof fetch = async (input, init) => {
  await journalStored();
  const res = await fetch(input, init);
  const run = current;
  if (res.status === 409 && run && !run.leaseLostSent && typeof init?.body === "string" && init.body.includes(run.leaseToken)) {
    const body = await res.clone().text().catch(() => "");
    if (body.includes('"LEASE_LOST"')) {
      run.leaseLostSent = true;
      await send({ type: "lease-lost", detail: "the server refused a write of the run: its lease is gone" });
    }
  }
  return res;
};

/** Journal events sent since the worker last said they are stored, and the syncs awaited. */
let journalUnsynced = 0;
let syncs = 0;
const syncWaiters = new Map<number, () => void>();

/** The newest sync asked for: it covers every event sent before it. */
let lastSync: Promise<void> = Promise.resolve();

function journalStored(): Promise<void> {
  if (!journalUnsynced) return lastSync;
  journalUnsynced = 0;
  const n = ++syncs;
  lastSync = new Promise<void>((resolve) => {
    syncWaiters.set(n, resolve);
    void send({ type: "sync", n });
  });
  return lastSync;
}

const retry = Number(process.env.BATON_FLOW_RETRY_REFUSED_MS ?? 0);
const client = createBatonClient({ batch: false, fetch: leaseWatchingFetch, retryRefusedMs: Number.isFinite(retry) ? retry : 0 });

const sink: RunSink = {
  log: (entry) => void send({ type: "log", entry }),
  metric: (entry) => void send({ type: "metric", entry }),
  taskRun: (entry) => {
    journalUnsynced++;
    void send({ type: "task", flowRunId: entry.flowRunId, event: entry.event });
  },
};

/** Aborts the run and ends the process: a stopped process is never handed another run. */
function stop(message: string): void {
  const run = current;
  if (!run) process.exit(0);
  if (run.controller.signal.aborted) return;
  const reason = new Error(message);
  reason.name = "RunStopped";
  run.controller.abort(reason);
  // The body may ignore the signal (a timer of its own): it gets a moment, then the process ends.
  setTimeout(() => process.exit(0), STOP_SETTLE_MS);
  void run.running.finally(() => process.exit(0));
}

async function execute(msg: RunMessage, controller: AbortController): Promise<void> {
  const { run } = msg;
  const ctx: RunContext = {
    client,
    sink,
    flowRunId: run.id,
    leaseToken: run.leaseToken,
    signal: controller.signal,
    taskCounters: new Map(),
    capabilities: msg.capabilities,
    journalRunId: msg.journal ? run.id : undefined,
  };
  // Its GPU, before the flow module (and any CUDA library it imports) loads: flow-process.ts hands a
  // GPU run only a process that ran nothing before, and never reuses it.
  if (msg.gpu !== undefined) process.env.CUDA_VISIBLE_DEVICES = msg.gpu;
  let reply: ToParent;
  try {
    if (run.entrypoint.startsWith("kind:")) throw new EntrypointError("task kinds run in the worker process, not in a flow process");
    const definition = msg.codeFile ? await loadBundledFlow(msg.codeFile, run.entrypoint) : await loadFlow(run.entrypoint, msg.checkout);
    const { value: _value, ...ref } = await executeFlow(definition, ctx, run.parameters);
    reply = { type: "done", ok: true, outcome: ref };
  } catch (err) {
    reply = { type: "done", ok: false, error: serializeError(err) };
  }
  if (controller.signal.aborted) return;
  // Free for the next run before the worker hears this one is done (it may send one at once).
  current = undefined;
  await send(reply);
}

process.on("message", (msg: ToChild) => {
  if (msg.type === "synced") {
    syncWaiters.get(msg.n)?.();
    syncWaiters.delete(msg.n);
  } else if (msg.type === "stop") stop(msg.message);
  else if (msg.type === "exit") process.exit(0);
  else if (msg.type === "run" && !current) {
    // A sync asked after the last run ended (code it left running) has no one to answer it: it
    // must not hold up this run's calls.
    for (const resolve of syncWaiters.values()) resolve();
    syncWaiters.clear();
    lastSync = Promise.resolve();
    journalUnsynced = 0;
    const controller = new AbortController();
    // Every task running at once waits on the run's signal (withTimeout): a flow may run
    // thousands side by side, so the default warning at 11 listeners does not apply to it.
    setMaxListeners(100_000, controller.signal);
    current = { controller, leaseToken: msg.run.leaseToken, leaseLostSent: false, running: Promise.resolve() };
    current.running = execute(msg, controller);
  }
});
// The worker is gone (exited, killed): its run is not ours to finish.
process.on("disconnect", () => process.exit(0));
process.on("SIGTERM", () => stop("the flow process was sent SIGTERM"));

/**
 * Warms the path a run takes: a flow module imported through tsx and run by executeFlow (its
 * logs dropped), the HTTP client's first request and an open connection to the API.
 */
async function warmUp(): Promise<void> {
  const { warmup } = await import("./flow-warmup");
  const quiet: RunSink = { log: () => {}, metric: () => {} };
  const ctx: RunContext = { client, sink: quiet, flowRunId: "warmup", signal: new AbortController().signal, taskCounters: new Map() };
  await executeFlow(warmup[FLOW], ctx, {});
  await client.auth.status.query().catch(() => {});
}

await warmUp();
await send({ type: "ready" });
