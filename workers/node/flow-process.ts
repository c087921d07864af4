/**
 * TypeScript flow runs in their own process: a child of the worker (flow-child.ts) runs one run
 * at a time, so cancel, timeout, lease loss and a forced shutdown stop the code for real (a
 * `while (true) {}` included), and a fixed flow file is loaded by a fresh process.
 *
 * Starting such a process (node, tsx, the SDK, the API client, a first request) costs ~0.4–0.6 s
 * of wall time and about as much CPU here: ten times the click → COMPLETED target, and on 2
 * cores a cap of a few runs per second if every run paid it (measured: 2.2 runs/s against 28.9
 * in-process, BENCHMARKS.md). So the worker starts `warmProcesses` ahead (default: its slot
 * count), and a process that finished a run cleanly goes back to the pool (up to one per slot)
 * for up to `flowProcessRuns` runs, but only while every file it loaded is unchanged on disk
 * (size and mtime, checked when it is handed out; node_modules is not watched).
 * `flowProcessRuns: 1` gives every run a process of its own. A stop asks the child to abort (its
 * SDK signal fires, task runs are reported CRASHED) and exit; one whose event loop does not
 * answer is SIGKILLed with its process group after BATON_WORKER_KILL_GRACE_S. The run's promise
 * settles only once a stopped process is gone, so a slot is never freed while its code still runs.
 *
 * A run that requires a GPU (on a worker with GPU slots, gpu-slots.ts) gets one GPU of its own as
 * CUDA_VISIBLE_DEVICES, as a process-pool job does. A process is started before its run arrives,
 * so the GPU cannot be in its environment at spawn: it comes in the run message, and the child
 * sets process.env.CUDA_VISIBLE_DEVICES before it loads the flow module (what the flow imports
 * and the processes it spawns see it). A CUDA library reads that variable once, when it
 * initialises, and keeps its devices for the life of the process; so a GPU run is handed only a
 * process that has served no run yet (one warmed ahead, which loaded no flow code, or a new one),
 * and that process is retired after it, never reused. A GPU run costs a process start at most;
 * no run ever sees a GPU another run's code chose.
 */
import { fork, type ChildProcess } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { CODE_CACHE, codeFile, codeFileFromTree } from "./code";
import { pinVersion, pruneCodeCache } from "./code-cache";
import { gpuSlotsFor, requiresGpu } from "./gpu-slots";
import { checkoutOf } from "./pull";
import { FlowProcessError, type RunMessage, type ToChild, type ToParent } from "./flow-ipc";
import type { ClaimedRun, WorkerRuntime } from "./types";

const BOOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "flow-child.mjs");
/** At most this many flow processes start at once, so refilling does not swamp the runs' CPU. */
const MAX_STARTING = 2;

export type RunOutcome = { resultId?: string; result?: { value: unknown }; message?: string };

/** One started child: idle in the pool, or running one run. */
class FlowProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<boolean>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private isReady = false;
  /** Runs it finished; stopped or dead, it is never handed another. */
  private served = 0;
  private broken = false;
  /** It ran a GPU run: whatever CUDA state that left is not another run's to inherit. */
  private ranOnGpu = false;
  /** The files it loaded, as they were then: it serves another run only while all are unchanged. */
  private readonly loaded = new Map<string, { mtimeMs: number; size: number }>();
  /** Where its output goes: the worker's log until it has a run, then the run's log. */
  private out: (level: number, line: string) => void;

  constructor(private readonly rt: WorkerRuntime) {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      BATON_API_URL: rt.apiUrl,
      BATON_WORKSPACE: rt.workspace,
      BATON_FLOW_RETRY_REFUSED_MS: String(rt.settings.retryRefusedSeconds * 1000),
    };
    // The worker's key (from --api-key or BATON_API_KEY), so the flow's client calls as it does.
    if (rt.apiKey) env.BATON_API_KEY = rt.apiKey;
    else delete env.BATON_API_KEY;
    this.child = fork(BOOT, [], {
      env,
      // A debugger flag of the worker's would make every child fight for its port.
      execArgv: process.execArgv.filter((a) => !a.startsWith("--inspect")),
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      // Its own process group: a Ctrl-C to the worker (which drains) does not kill the runs, and a
      // stop reaches whatever the flow started.
      detached: true,
    });
    this.out = () => {};
    this.idle();
    createInterface({ input: this.child.stdout! }).on("line", (l) => this.out(20, l));
    createInterface({ input: this.child.stderr! }).on("line", (l) => this.out(30, l));
    this.exited = new Promise((resolve) => this.child.once("exit", (code, signal) => resolve({ code, signal })));
    this.child.on("message", (m: ToParent) => {
      if (m.type === "loaded" && !this.loaded.has(m.file)) this.loaded.set(m.file, { mtimeMs: m.mtimeMs, size: m.size });
    });
    this.ready = new Promise<boolean>((resolve) => {
      const onMessage = (m: ToParent) => {
        if (m.type !== "ready") return;
        this.isReady = true;
        this.child.off("message", onMessage);
        resolve(true);
      };
      this.child.on("message", onMessage);
      void this.exited.then(() => resolve(false));
      this.child.once("error", () => resolve(false));
    });
    void this.exited.then(() => killGroup(this.child.pid, "SIGKILL"));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get readyNow(): boolean {
    return this.isReady && this.alive;
  }

  /** Whether it may serve another run: alive, not stopped, under `maxRuns`. */
  reusable(maxRuns: number): boolean {
    return this.alive && !this.broken && !this.ranOnGpu && this.served < maxRuns;
  }

  /** It has served no run: no flow code (and so no CUDA library) loaded in it yet. */
  get unused(): boolean {
    return this.served === 0 && !this.broken && !this.ranOnGpu;
  }

  /** Whether any file it loaded has changed (or gone) since: then its code is not the code on disk. */
  stale(): boolean {
    for (const [file, was] of this.loaded) {
      try {
        const now = statSync(file);
        if (now.mtimeMs !== was.mtimeMs || now.size !== was.size) return true;
      } catch {
        return true;
      }
    }
    return false;
  }

  /** Back in the pool: its output goes to the worker's log again, and it no longer keeps the worker up. */
  idle(): void {
    this.out = (level, line) => this.rt.log(`flow process ${this.child.pid}${level >= 30 ? " (stderr)" : ""}: ${line}`);
    this.child.unref();
    this.child.channel?.unref();
  }

  /** Ends an idle process: it exits on its own; one that does not is killed. */
  retire(): void {
    if (this.child.connected) this.child.send({ type: "exit" } satisfies ToChild, () => {});
    const timer = setTimeout(() => this.kill(), 2_000);
    timer.unref();
    void this.exited.then(() => clearTimeout(timer));
  }

  /** Runs `run` in this process; settles once it has ended and, if stopped, the process is gone. */
  async execute(run: ClaimedRun & { entrypoint: string }, signal: AbortSignal, codeFile?: string, gpu?: string): Promise<RunOutcome> {
    const { rt, child } = this;
    if (gpu !== undefined) this.ranOnGpu = true;
    this.child.ref();
    this.child.channel?.ref();
    this.out = (level, line) => {
      rt.shipper.log({ flowRunId: run.id, level, message: line });
      if (level >= 30) rt.log(`${run.name} (stderr): ${line}`);
    };
    const graceMs = rt.settings.killGraceSeconds * 1000;
    return new Promise<RunOutcome>((resolve, reject) => {
      let stopped: unknown;
      let killTimer: NodeJS.Timeout | undefined;
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(killTimer);
        signal.removeEventListener("abort", onAbort);
        child.off("message", onMessage);
        fn();
      };
      const stop = (reason: unknown) => {
        if (stopped !== undefined) return;
        stopped = reason;
        this.broken = true;
        sendTo(child, { type: "stop", message: reason instanceof Error ? reason.message : String(reason) });
        killTimer = setTimeout(() => {
          const message = `still running ${rt.settings.killGraceSeconds} s after it was told to stop: killed (SIGKILL)`;
          rt.shipper.log({ flowRunId: run.id, level: 30, message });
          rt.log(`${run.name}: ${message}`);
          killGroup(child.pid, "SIGKILL");
        }, graceMs);
      };
      const onAbort = () => stop(signal.reason);
      const onMessage = (m: ToParent) => {
        switch (m.type) {
          case "log":
            rt.shipper.log(m.entry);
            return;
          case "metric":
            rt.shipper.metric(m.entry);
            return;
          case "task":
            // Code an earlier run left running in this process journals under that run, whose lease is gone.
            if (m.flowRunId === run.id) rt.shipper.taskRun({ flowRunId: run.id, leaseToken: run.leaseToken, event: m.event });
            return;
          case "sync":
            void rt.shipper.deliverJournal(run.id, signal).then(() => sendTo(child, { type: "synced", n: m.n }));
            return;
          case "lease-lost":
            stop(new FlowProcessError({ name: "LeaseLost", message: `lease lost: ${m.detail}`, reason: "LEASE_LOST", code: "CONFLICT" }));
            return;
          case "done":
            if (stopped !== undefined) return;
            this.served++;
            if (m.ok) settle(() => resolve(m.outcome));
            else settle(() => reject(new FlowProcessError(m.error)));
            return;
        }
      };
      child.on("message", onMessage);
      void this.exited.then(({ code, signal: sig }) => {
        this.broken = true;
        if (stopped !== undefined) settle(() => reject(stopped));
        else settle(() => reject(new Error(`the flow process (pid ${child.pid}) exited with ${sig ? `signal ${sig}` : `code ${code}`} before the run finished`)));
      });
      if (signal.aborted) return stop(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      const message: RunMessage = {
        type: "run",
        run: { id: run.id, entrypoint: run.entrypoint, parameters: (run.parameters ?? {}) as Record<string, unknown>, leaseToken: run.leaseToken },
        journal: rt.taskRunJournal === true && run.runCount <= 1,
        checkout: rt.settings.checkout,
        codeFile,
        capabilities: rt.capabilities,
        ...(gpu !== undefined ? { gpu } : {}),
      };
      sendTo(child, message);
    });
  }

  private kill(): void {
    killGroup(this.child.pid, "SIGKILL");
  }
}

function sendTo(child: ChildProcess, message: ToChild): void {
  if (child.connected) child.send(message, (err) => void err /* gone: its exit settles the run */);
}

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {
    /* already gone */
  }
}

/** Flow processes started ahead of runs, and those back from a run, each handed out to one run at a time. */
export class FlowProcessPool {
  private warm: FlowProcess[] = [];
  private starting = 0;
  /** Handed out and not yet released. */
  private busy = 0;
  private closed = false;

  constructor(
    private readonly rt: WorkerRuntime,
    private readonly opts: {
      /** How many processes to keep, idle and busy together: the worker's slots. */
      keep: number;
      /** How many to start ahead of runs (within `keep`). */
      warm: number;
      /** How many runs one process may serve, one after another. */
      maxRuns: number;
    },
  ) {}

  /**
   * A process for one run: an idle one whose code is still the code on disk (a ready one first),
   * else the one closest to ready, else a new one. A stale one met on the way is retired.
   * `unused`: only a process that has served no run (for a GPU run: see the top of this file).
   */
  take(opts: { unused?: boolean } = {}): FlowProcess {
    const fits = (w: FlowProcess) => !opts.unused || w.unused;
    let taken: FlowProcess | undefined;
    for (let p = this.warm.find((w) => w.readyNow && fits(w)); p && !taken; p = this.warm.find((w) => w.readyNow && fits(w))) {
      this.remove(p);
      if (p.stale()) p.retire();
      else taken = p;
    }
    const starting = this.warm.find(fits);
    taken ??= starting ? this.remove(starting) : new FlowProcess(this.rt);
    this.busy++;
    this.refill();
    return taken;
  }

  /** After its run: back to the pool if it may serve another and the pool has room, else retired. */
  release(p: FlowProcess): void {
    this.busy--;
    if (!this.closed && p.reusable(this.opts.maxRuns) && this.warm.length + this.busy < this.opts.keep) {
      p.idle();
      this.warm.unshift(p);
      return;
    }
    if (p.alive) p.retire();
    this.refill();
  }

  /** Starts processes until `warm` are idle or starting (and `keep` exist), at most MAX_STARTING at once. */
  refill(): void {
    const { warm, keep } = this.opts;
    while (!this.closed && this.warm.length < warm && this.warm.length + this.busy < keep && this.starting < MAX_STARTING) {
      const p = new FlowProcess(this.rt);
      this.warm.push(p);
      this.starting++;
      void p.ready.then((ok) => {
        this.starting--;
        if (!ok) {
          this.remove(p);
          this.rt.log(`a flow process (pid ${p.child.pid}) exited while starting; runs will start one each`);
          return; // not refilled at once: a child that cannot start would loop
        }
        this.refill();
      });
      void p.exited.then(() => this.remove(p));
    }
  }

  private remove(p: FlowProcess): FlowProcess {
    this.warm = this.warm.filter((w) => w !== p);
    return p;
  }

  close(): void {
    this.closed = true;
    for (const p of this.warm) p.retire();
    this.warm = [];
  }
}

const pools = new WeakMap<WorkerRuntime, FlowProcessPool>();

/** The worker's pool of flow processes, started (and warming) on first use. */
export function flowProcesses(rt: WorkerRuntime): FlowProcessPool {
  let pool = pools.get(rt);
  if (!pool) {
    const { limit, warmProcesses, flowProcessRuns } = rt.settings;
    pool = new FlowProcessPool(rt, { keep: limit, warm: Math.min(limit, warmProcesses ?? limit), maxRuns: flowProcessRuns });
    pools.set(rt, pool);
    pool.refill();
  }
  return pool;
}

/** Stops the warm processes of a worker that is shutting down (running ones finish or are stopped by their runs). */
export function closeFlowProcesses(rt: WorkerRuntime): void {
  pools.get(rt)?.close();
  pools.delete(rt);
}

/** Runs a TypeScript flow run in a process of its own. */
export async function runFlowInProcess(run: ClaimedRun & { entrypoint: string }, signal: AbortSignal, rt: WorkerRuntime): Promise<RunOutcome> {
  // Delivered code: fetched (once per version) before a process is taken for it; or pulled from
  // git at the deployment's ref, and bundled here the same way.
  // Pinned for the whole run (before it is looked up), so pruning the cache never removes it meanwhile.
  let pin = run.codeVersion ? pinVersion(CODE_CACHE, run.codeVersion, run.id) : undefined;
  try {
    let file: string | undefined;
    if (run.codeVersion) file = await codeFile(rt.client, rt.workerId(), { id: run.id, codeVersion: run.codeVersion });
    else if (run.pull) {
      const { dir, commit } = await checkoutOf(run.pull);
      const bundled = await codeFileFromTree(dir, run.entrypoint);
      file = bundled.file;
      pin = pinVersion(CODE_CACHE, bundled.version, run.id);
      if (!existsSync(file)) file = (await codeFileFromTree(dir, run.entrypoint)).file;
      rt.shipper.log({ flowRunId: run.id, level: 20, message: `code pulled from ${run.pull.git} at ${run.pull.ref}: commit ${commit.slice(0, 12)} (${bundled.version.slice(0, 19)})` });
    }
    if (file) void pruneCodeCache(CODE_CACHE, rt.settings.codeCacheVersions).then((gone) => gone.length && rt.log(`code cache: removed ${gone.length} version(s) not used lately (keeping ${rt.settings.codeCacheVersions})`));
    return await runFlowFile(run, signal, rt, file);
  } finally {
    pin?.release();
  }
}

async function runFlowFile(run: ClaimedRun & { entrypoint: string }, signal: AbortSignal, rt: WorkerRuntime, file: string | undefined): Promise<RunOutcome> {
  // A GPU run gets one GPU of the worker's own (the claim gives a worker no more GPU runs than GPUs).
  const gpus = requiresGpu(run.requirements) ? gpuSlotsFor(rt.capabilities) : undefined;
  const gpu = gpus?.take(run.id);
  if (gpu !== undefined) rt.shipper.log({ flowRunId: run.id, level: 20, message: `on GPU ${gpu} (CUDA_VISIBLE_DEVICES=${gpu}), in a flow process that ran no other run` });
  else if (gpus && gpus.devices.length) rt.shipper.log({ flowRunId: run.id, level: 30, message: `no GPU of this worker's ${gpus.devices.length} is free: CUDA_VISIBLE_DEVICES not set` });
  const pool = flowProcesses(rt);
  try {
    const proc = pool.take({ unused: gpu !== undefined });
    try {
      if (!(await proc.ready) && !signal.aborted) {
        const { code, signal: sig } = await proc.exited;
        throw new Error(`the flow process could not start (exited with ${sig ? `signal ${sig}` : `code ${code}`}); see the worker's log for its output`);
      }
      return await proc.execute(run, signal, file, gpu);
    } finally {
      pool.release(proc);
    }
  } finally {
    gpus?.release(run.id);
  }
}
