/**
 * A browser tab as a Baton worker: the protocol session (workers/protocol/session.ts), as a Node
 * worker runs it, with the tab's parts plugged in — the executor is the task Web Worker (runs
 * whose deployment entrypoint is `kind:<name>`), the outbox is IndexedDB, and requests carry the
 * tab's session cookie and the workspace it joined with. When the lease is lost (the run was
 * crashed, reclaimed or finished elsewhere) the session drops the run at once and reports
 * nothing more about it.
 *
 * Runs that require what a tab lacks (a GPU for training: `requirements: {gpu: true}`) are never
 * handed to it: the claim matches requirements against the capabilities registered here.
 */
import { createTRPCClient, httpLink } from "@trpc/client";
import { fitsInline, INLINE_RESULT_MAX_BYTES } from "@/common/inline-result";
import { LOG_LEVELS, type LogLevel } from "@/common/log-levels";
import type { AppRouter } from "@/server/api/root";
import { WorkerSession, type RunHandle, type RunOutcome } from "@/workers/protocol/session";
import type { TaskEvent, TaskRuntime } from "./client";
import { tabOutboxStore } from "./outbox-store";

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
  /** The workspace (slug) the tab works for: pinned at start, whatever the switcher does later. */
  workspace: string;
  capabilities: Record<string, unknown>;
  onStatus(status: TabWorkerStatus): void;
}

const CLAIM_WAIT_MS = 20_000;
export const KIND_PREFIX = "kind:";
/** Retries of a result upload the server did not answer: with the backoff, about ten minutes. */
const UPLOAD_RETRIES = 66;
/** The same header as server/api/trpc.ts. */
const WORKSPACE_HEADER = "x-baton-workspace";

export class TabWorker {
  private readonly headers: Record<string, string>;
  private readonly api: ReturnType<typeof createTRPCClient<AppRouter>>;
  private session?: WorkerSession;
  private completed = 0;
  private loop?: Promise<void>;
  /** What the server keeps inline, as its registration says (the shared figure until then). */
  private inlineResultMaxBytes = INLINE_RESULT_MAX_BYTES;

  constructor(private readonly opts: TabWorkerOptions) {
    this.headers = { [WORKSPACE_HEADER]: opts.workspace };
    // No batching: the long-polling claim must not hold heartbeats and log uploads back.
    this.api = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${location.origin}/api/trpc`, headers: this.headers })] });
  }

  start(): void {
    this.opts.onStatus({ phase: "starting" });
    this.loop = this.run().catch((err: Error) => this.opts.onStatus({ phase: "stopped", error: err.message }));
  }

  private async run(): Promise<void> {
    const session = new WorkerSession({
      api: this.api,
      pool: this.opts.pool,
      name: this.opts.name,
      capabilities: this.opts.capabilities,
      slots: 1,
      claimWaitMs: CLAIM_WAIT_MS,
      outbox: await tabOutboxStore(`${this.opts.workspace}/${this.opts.pool}`),
      // A task in the Web Worker is told to stop and may take a moment; the slot is freed at once.
      executorStops: false,
      execute: (handle) => this.execute(handle),
      log: (line) => console.info(`Baton tab worker: ${line}`),
      onRegistered: (reg) => {
        if (reg.workPoolType !== "browser") throw new Error(`Work pool "${this.opts.pool}" is a ${reg.workPoolType} pool; a tab joins browser pools`);
        this.inlineResultMaxBytes = reg.inlineResultMaxBytes;
      },
      onIdle: () => this.opts.onStatus({ phase: "idle", workerId: session.workerId!, completed: this.completed }),
      onRunEnd: (_run, report, delivery) => {
        if (report?.type === "COMPLETED" && delivery?.delivered) this.completed++;
      },
    });
    this.session = session;
    await session.start();
    await session.run();
  }

  /** Leaves the pool: a run in flight is stopped and reported CRASHED (its retry policy decides), then goodbye. */
  async stop(): Promise<void> {
    this.opts.onStatus({ phase: "stopping" });
    this.session?.shutdown({ force: true, detail: "The browser tab left the work pool mid-run" });
    await this.loop;
    this.opts.onStatus({ phase: "stopped" });
  }

  /** For `pagehide`: a closing tab cannot await; keepalive lets the goodbye outlive the page. */
  goodbyeOnUnload(): void {
    const workerId = this.session?.workerId;
    if (!workerId) return;
    void fetch("/api/trpc/workers.goodbye", {
      method: "POST",
      keepalive: true,
      headers: { "content-type": "application/json", ...this.headers },
      body: JSON.stringify({ workerId }),
    }).catch(() => {});
  }

  private async execute({ run, signal, logs }: RunHandle): Promise<RunOutcome> {
    const line = (level: LogLevel, message: string) => logs.log({ flowRunId: run.id, level: LOG_LEVELS[level], message });
    const kind = run.entrypoint?.startsWith(KIND_PREFIX) ? run.entrypoint.slice(KIND_PREFIX.length) : undefined;
    const status = { phase: "running" as const, workerId: this.session!.workerId!, completed: this.completed, runId: run.id, runName: run.name, kind: kind ?? "?", progress: 0, device: undefined as string | undefined };
    this.opts.onStatus(status);
    if (!kind) throw new Error(`A browser tab runs task kinds: the deployment's entrypoint must be "kind:<name>", not "${run.entrypoint ?? ""}"`);
    line("info", `Running ${kind} in browser tab ${this.opts.name}`);
    const onEvent = (e: TaskEvent) => {
      if (e.type === "log") line(e.level, e.message);
      else if (e.type === "device") this.opts.onStatus({ ...status, device: (status.device = e.device) });
      else if (e.type === "progress") this.opts.onStatus({ ...status, progress: (status.progress = e.fraction) });
      else if (e.type === "metric") logs.metric({ flowRunId: run.id, name: e.name, value: e.value, step: e.step });
    };
    const value = await this.opts.runtime.run(kind, run.parameters, { signal, onEvent });
    line("info", `${kind} completed in the tab${status.device ? ` on ${status.device}` : ""}`);
    if (value === undefined) return {};
    const json = JSON.stringify(value);
    // Small results ride inline with the report: one call, kept with it in the outbox.
    if (fitsInline(json, this.inlineResultMaxBytes)) return { result: { value } };
    return { resultId: await this.uploadResult(json, run.id, run.leaseToken, signal) };
  }

  /** Larger results (embeddings of many texts) stream as a JSON blob to the blob store, with this tab's session. */
  private async uploadResult(json: string, flowRunId: string, leaseToken: string, signal: AbortSignal): Promise<string> {
    const bytes = new TextEncoder().encode(json);
    let res: Response;
    // A server that is down or restarting: keep trying (fetch fails with a TypeError when
    // nothing answered), as a Node worker retries a refused connection.
    for (let attempt = 0; ; attempt++) {
      try {
        res = await fetch(`${location.origin}/api/results/upload?mediaType=application/json&flowRunId=${flowRunId}&leaseToken=${leaseToken}`, {
          method: "POST",
          headers: { "content-type": "application/octet-stream", ...this.headers },
          body: bytes,
          signal,
        });
        break;
      } catch (err) {
        if (signal.aborted || !(err instanceof TypeError) || attempt >= UPLOAD_RETRIES) throw err;
        await new Promise((r) => setTimeout(r, Math.min(10_000, 250 * 2 ** attempt)));
      }
    }
    const body = (await res.json().catch(() => undefined)) as { result?: { data: { id: string } }; error?: { message: string } } | undefined;
    if (!res.ok || !body?.result) throw new Error(`uploading the result failed: ${body?.error?.message ?? `HTTP ${res.status}`}`);
    return body.result.data.id;
  }
}
