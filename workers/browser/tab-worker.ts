/**
 * A browser tab as a Baton worker: it registers in a `browser` work pool, long-polls for runs
 * whose deployment entrypoint is `kind:<name>`, runs them in the task Web Worker, heartbeats
 * while open and reports logs and states with the run's lease token — the same protocol as a
 * Node worker. When the lease is lost (the run was crashed, reclaimed or finished elsewhere) it
 * drops the run at once and reports nothing more about it.
 *
 * Runs that require what a tab lacks (a GPU for training: `requirements: {gpu: true}`) are never
 * handed to it: the claim matches requirements against the capabilities registered here.
 */
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import type { AppRouter } from "@/server/api/root";
import type { TaskEvent, TaskRuntime } from "./client";
import { LogShipper } from "./log-shipper";

export type TabWorkerStatus =
  | { phase: "stopped"; error?: string }
  | { phase: "starting" }
  | { phase: "stopping" }
  | { phase: "idle"; workerId: string; completed: number }
  | { phase: "running"; workerId: string; completed: number; runId: string; runName: string; kind: string; progress: number; device?: string };

export interface TabWorkerOptions {
  runtime: TaskRuntime;
  pool: string;
  name: string;
  capabilities: Record<string, unknown>;
  onStatus(status: TabWorkerStatus): void;
}

const CLAIM_WAIT_MS = 20_000;
const RETRY_AFTER_ERROR_MS = 2_000;
export const KIND_PREFIX = "kind:";
/** The server keeps results up to 1 MiB of JSON inline; leave room for multi-byte characters. */
const INLINE_RESULT_MAX = 512 * 1024;

type Api = ReturnType<typeof createTRPCClient<AppRouter>>;

function reasonOf(err: unknown): string | undefined {
  return err instanceof TRPCClientError ? (err.data as { reason?: string } | undefined)?.reason ?? undefined : undefined;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

export class TabWorker {
  private readonly api: Api;
  private readonly stopping = new AbortController();
  private workerId?: string;
  private heartbeatMs = 10_000;
  private completed = 0;
  private current?: { id: string; leaseToken: string; abort: AbortController; lost: boolean; cancelled: boolean; reporting?: boolean };
  private heartbeatTimer?: ReturnType<typeof setTimeout>;
  private loop?: Promise<void>;

  constructor(private readonly opts: TabWorkerOptions) {
    // No batching: the long-polling claim must not hold heartbeats and log uploads back.
    this.api = createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${location.origin}/api/trpc` })],
    });
  }

  start(): void {
    this.opts.onStatus({ phase: "starting" });
    this.loop = this.run().catch((err: Error) => this.opts.onStatus({ phase: "stopped", error: err.message }));
  }

  /** Leaves the pool: a run in flight is crashed (and retried by its policy), then goodbye. */
  async stop(): Promise<void> {
    this.opts.onStatus({ phase: "stopping" });
    this.stopping.abort();
    clearTimeout(this.heartbeatTimer);
    const held = this.current;
    if (held && !held.lost) {
      held.abort.abort();
      await this.report(held, { type: "CRASHED", message: "The browser tab left the work pool mid-run" }).catch(() => {});
    }
    await this.loop;
    if (this.workerId) await this.api.workers.goodbye.mutate({ workerId: this.workerId }).catch(() => {});
    this.opts.onStatus({ phase: "stopped" });
  }

  /** For `pagehide`: a closing tab cannot await; keepalive lets the goodbye outlive the page. */
  goodbyeOnUnload(): void {
    if (!this.workerId) return;
    void fetch("/api/trpc/workers.goodbye", {
      method: "POST",
      keepalive: true,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ workerId: this.workerId }),
    }).catch(() => {});
  }

  private async register(): Promise<void> {
    const reg = await this.api.workers.register.mutate({ workPool: this.opts.pool, name: this.opts.name, capabilities: this.opts.capabilities });
    if (reg.workPoolType !== "browser") throw new Error(`Work pool "${this.opts.pool}" is a ${reg.workPoolType} pool; a tab joins browser pools`);
    this.workerId = reg.workerId;
    this.heartbeatMs = reg.heartbeatIntervalSeconds * 1000;
    this.scheduleHeartbeat();
  }

  private async run(): Promise<void> {
    await this.register();
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      this.opts.onStatus({ phase: "idle", workerId: this.workerId!, completed: this.completed });
      try {
        const [claimed] = await this.api.workers.claim.mutate(
          { workerId: this.workerId!, max: 1, waitMs: CLAIM_WAIT_MS, start: true },
          { signal },
        );
        if (claimed) await this.execute(claimed);
      } catch (err) {
        if (signal.aborted) break;
        console.warn(`Baton tab worker: claim failed: ${(err as Error).message}`);
        if (reasonOf(err) === "WORKER_UNKNOWN") await this.register().catch(() => {});
        await sleep(RETRY_AFTER_ERROR_MS, signal);
      }
    }
  }

  private async execute(run: { id: string; name: string; entrypoint: string | null; leaseToken: string; parameters: Record<string, unknown> }) {
    const held = { id: run.id, leaseToken: run.leaseToken, abort: new AbortController(), lost: false, cancelled: false };
    this.current = held;
    const logs = new LogShipper(this.api, run.id, run.leaseToken, () => this.dropLostRun(held));
    const kind = run.entrypoint?.startsWith(KIND_PREFIX) ? run.entrypoint.slice(KIND_PREFIX.length) : undefined;
    const status = { phase: "running" as const, workerId: this.workerId!, completed: this.completed, runId: run.id, runName: run.name, kind: kind ?? "?", progress: 0, device: undefined as string | undefined };
    this.opts.onStatus(status);
    try {
      if (!kind) throw new Error(`A browser tab runs task kinds: the deployment's entrypoint must be "kind:<name>", not "${run.entrypoint ?? ""}"`);
      logs.add("info", `Running ${kind} in browser tab ${this.opts.name}`);
      const onEvent = (e: TaskEvent) => {
        if (e.type === "log") logs.add(e.level, e.message);
        else if (e.type === "device") this.opts.onStatus({ ...status, device: (status.device = e.device) });
        else if (e.type === "progress") this.opts.onStatus({ ...status, progress: (status.progress = e.fraction) });
      };
      const result = await this.opts.runtime.run(kind, run.parameters, { signal: held.abort.signal, onEvent });
      if (held.lost) return;
      logs.add("info", `${kind} completed in the tab${status.device ? ` on ${status.device}` : ""}`);
      await logs.flush();
      await this.report(held, { type: "COMPLETED" }, result);
      this.completed++;
    } catch (err) {
      if (held.lost) return;
      const message = (err as Error).message;
      logs.add(held.cancelled ? "info" : "error", held.cancelled ? "Cancelled in the tab" : message);
      await logs.flush();
      await this.report(held, held.cancelled ? { type: "CANCELLED", message: "Cancelled" } : { type: "FAILED", message }).catch(() => {});
    } finally {
      await logs.flush().catch(() => {});
      this.current = undefined;
    }
  }

  /** A state report with the lease; LEASE_LOST means the run is no longer ours: drop it. */
  private async report(held: NonNullable<TabWorker["current"]>, state: { type: "COMPLETED" | "FAILED" | "CRASHED" | "CANCELLED"; message?: string }, result?: unknown) {
    // From here the report itself learns whether the lease still holds; a heartbeat that crosses
    // it would see the lease already released and must not call that a loss.
    held.reporting = true;
    try {
      const resultId = result === undefined ? undefined : await this.uploadResult(result, held.id);
      await this.api.flowRuns.setState.mutate({ id: held.id, state, leaseToken: held.leaseToken, resultId });
    } catch (err) {
      if (reasonOf(err) === "LEASE_LOST") {
        held.lost = true;
        return;
      }
      throw err;
    }
  }

  /** Small results inline; larger ones (embeddings of many texts) as a JSON blob in the blob store. */
  private async uploadResult(result: unknown, flowRunId: string): Promise<string> {
    const json = JSON.stringify(result);
    if (json.length <= INLINE_RESULT_MAX) return (await this.api.results.create.mutate({ value: result, flowRunId })).id;
    // Streamed as bytes (no base64, no JSON body limit), with this tab's session.
    const res = await fetch(`${location.origin}/api/results/upload?mediaType=application/json&flowRunId=${flowRunId}`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: new TextEncoder().encode(json),
    });
    const body = (await res.json().catch(() => undefined)) as { result?: { data: { id: string } }; error?: { message: string } } | undefined;
    if (!res.ok || !body?.result) throw new Error(`uploading the result failed: ${body?.error?.message ?? `HTTP ${res.status}`}`);
    return body.result.data.id;
  }

  /** The lease is gone (crashed by the zombie killer, reclaimed): stop at once, report nothing more. */
  private dropLostRun(held: NonNullable<TabWorker["current"]>) {
    if (held.lost) return;
    console.warn(`Baton tab worker: lost the lease on run ${held.id}; stopping it`);
    held.lost = true;
    held.abort.abort();
  }

  private scheduleHeartbeat() {
    clearTimeout(this.heartbeatTimer);
    if (this.stopping.signal.aborted) return;
    this.heartbeatTimer = setTimeout(() => void this.heartbeat().finally(() => this.scheduleHeartbeat()), this.heartbeatMs);
  }

  private async heartbeat() {
    const held = this.current && !this.current.reporting ? this.current : undefined;
    const runs = held && !held.lost ? [{ id: held.id, leaseToken: held.leaseToken }] : [];
    try {
      const reply = await this.api.workers.heartbeat.mutate({ workerId: this.workerId!, runs });
      if (held?.reporting) return;
      if (held && reply.stop.includes(held.id)) {
        this.dropLostRun(held);
      } else if (held && reply.cancel.includes(held.id)) {
        held.cancelled = true;
        held.abort.abort();
      }
    } catch (err) {
      console.warn(`Baton tab worker: heartbeat failed: ${(err as Error).message}`);
      if (reasonOf(err) === "WORKER_UNKNOWN") await this.register().catch(() => {});
    }
  }
}
