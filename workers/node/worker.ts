/**
 * The Node worker: register, then two loops that never overlap themselves — claim (a long poll
 * for as many runs as there are free slots, started at once) and heartbeat (the dead-man's
 * switch, whose reply says which held runs to cancel or drop). Each run executes in a slot;
 * its final state is reported with the lease token, and a refused lease stops it at once.
 * Shutdown in two stages: the first signal stops claiming and drains, the second forces.
 */
import { createBatonClient, describeClientError, redactSecrets, resolveApiKey, resolveClientSettings } from "../../server/client";
import { LogShipper } from "../../sdk/log-shipper";
import { detectCapabilities } from "./capabilities";
import { executeRun } from "./execute";
import { finalReport, isLeaseLost, reasonOf, RunStopped, type StopReason } from "./outcome";
import { ReportOutbox, type PendingReport } from "./outbox";
import path from "node:path";
import type { WorkerSettings } from "./settings";
import type { ClaimedRun, WorkerRuntime } from "./types";

interface HeldRun {
  run: ClaimedRun;
  controller: AbortController;
  stop?: StopReason;
  done: Promise<void>;
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

export class NodeWorker {
  private held = new Map<string, HeldRun>();
  private draining = false;
  private forced = false;
  private claimAbort = new AbortController();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private slotFreed: (() => void) | undefined;
  private workerId = "";
  private heartbeatMs = 10_000;
  private rt!: WorkerRuntime;
  private outbox!: ReportOutbox;
  private capabilities: Record<string, unknown> = {};
  private registering: Promise<void> | undefined;
  /** Reports an earlier worker left in the outbox, being sent. */
  private leftovers: Promise<void> = Promise.resolve();

  constructor(
    private readonly settings: WorkerSettings,
    /** `apiKey` defaults to BATON_API_KEY; it is sent, and handed to process jobs, never logged. */
    private readonly opts: { apiUrl?: string; workspace?: string; apiKey?: string; log?: (line: string) => void } = {},
  ) {}

  private log(line: string): void {
    (this.opts.log ?? ((l: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${l}\n`)))(redactSecrets(line));
  }

  async start(): Promise<void> {
    const { apiUrl, workspace } = resolveClientSettings({ apiUrl: this.opts.apiUrl, workspace: this.opts.workspace });
    // Plain requests: a long-polling claim must not hold up heartbeats and reports batched with it.
    const apiKey = resolveApiKey(this.opts.apiKey);
    // A refused connection (the server restarting) is retried, so runs carry on through it.
    const client = createBatonClient({
      apiUrl,
      workspace,
      apiKey,
      batch: false,
      retryRefusedMs: this.settings.retryRefusedSeconds * 1000,
      onRetry: (reason) => this.log(`the server is not answering (${reason}); retrying for up to ${this.settings.retryRefusedSeconds} s`),
    });
    const capabilities = await detectCapabilities(this.settings.capabilities);
    this.capabilities = capabilities;
    const reg = await client.workers.register.mutate({ workPool: this.settings.pool, name: this.settings.name, capabilities });
    const pool = await client.workPools.get.query({ workPool: reg.workPoolId });
    this.workerId = reg.workerId;
    this.heartbeatMs = reg.heartbeatIntervalSeconds * 1000;
    this.rt = {
      client,
      shipper: new LogShipper(client, {
        leaseOf: (flowRunId) => this.held.get(flowRunId)?.run.leaseToken,
        onLeaseLost: (ids) => {
          for (const id of ids) {
            const held = this.held.get(id);
            if (held) this.stopRun(held, { kind: "lease-lost", detail: "the server refused its logs: the run is not ours any more" });
          }
        },
      }),
      settings: this.settings,
      apiUrl,
      workspace,
      apiKey,
      poolType: reg.workPoolType,
      baseJobTemplate: (pool.baseJobTemplate ?? {}) as Record<string, unknown>,
      capabilities,
      log: (m) => this.log(m),
    };
    const gpu = capabilities.gpu ? `, GPU ${JSON.stringify(capabilities.gpuList ?? capabilities.gpus)}` : "";
    this.log(`worker ${this.settings.name} polling pool "${this.settings.pool}" (${reg.workPoolType}) at ${apiUrl}${apiKey ? " with an API key" : ""}: ${this.settings.limit} slots, ${capabilities.cores} cores, ${capabilities.memoryGb} GB${gpu}`);
    this.outbox = new ReportOutbox(
      path.resolve(this.settings.dataDir, "outbox", this.settings.pool.replace(/[^\w.-]/g, "_")),
      (r) => this.sendReport(r),
      (m) => this.log(m),
    );
    const left = await this.outbox.leftovers();
    if (left.length) {
      this.log(`outbox: sending ${left.length} report(s) an earlier worker could not deliver`);
      this.leftovers = Promise.all(left.map((r) => this.outbox.deliver(r, { persisted: true }).then((d) => this.logDelivery(r, d)))).then(() => {});
    }
    this.scheduleHeartbeat();
  }

  private async sendReport(r: PendingReport): Promise<void> {
    await this.rt.client.flowRuns.setState.mutate({ id: r.runId, state: r.state, leaseToken: r.leaseToken, resultId: r.resultId, result: r.result });
  }

  private logDelivery(r: PendingReport, d: Awaited<ReturnType<ReportOutbox["deliver"]>>): void {
    if (d.delivered) this.log(`${r.state.type.toLowerCase()} ${r.runName}${r.state.message && r.state.type !== "COMPLETED" ? `: ${r.state.message}` : ""}`);
    else if ("refused" in d) this.log(`report for ${r.runName} refused by the server: ${d.refused}`);
    else this.log(`report for ${r.runName} kept in the outbox for the next start`);
  }

  /** Claims and runs until shutdown; resolves once every run has finished and the worker said goodbye. */
  async run(): Promise<void> {
    while (!this.draining) {
      const free = this.settings.limit - this.held.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      try {
        const runs = await this.rt.client.workers.claim.mutate(
          { workerId: this.workerId, workQueues: this.settings.queues.length ? this.settings.queues : undefined, max: free, waitMs: this.settings.claimWaitMs, start: true },
          { signal: this.claimAbort.signal },
        );
        for (const run of runs) this.startRun(run);
      } catch (err) {
        if (this.draining) break;
        if (reasonOf(err) === "WORKER_UNKNOWN") await this.reregister();
        else this.log(`claim failed: ${describeClientError(err)}; retrying in 2 s`);
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    await Promise.all([...this.held.values()].map((h) => h.done));
    await this.leftovers;
    clearTimeout(this.heartbeatTimer);
    await this.rt.shipper.flush();
    await this.rt.client.workers.goodbye.mutate({ workerId: this.workerId }).catch(() => {});
    this.log(`worker ${this.settings.name} stopped`);
  }

  /** First call: stop claiming and let runs finish. Second call: stop the runs too. */
  shutdown(): void {
    if (!this.draining) {
      this.draining = true;
      this.claimAbort.abort();
      this.slotFreed?.();
      this.log(`draining: waiting for ${this.held.size} run(s) to finish (signal again to force)`);
      return;
    }
    if (this.forced) return;
    this.forced = true;
    this.log(`forcing: stopping ${this.held.size} run(s)`);
    for (const held of this.held.values()) this.stopRun(held, { kind: "shutdown" });
    // Reports still waiting for the server stay on disk; the next start sends them.
    this.outbox.stop();
  }

  private startRun(run: ClaimedRun): void {
    const controller = new AbortController();
    const held: HeldRun = { run, controller, done: Promise.resolve() };
    this.held.set(run.id, held);
    this.log(`running ${run.name} (${run.id}) ${run.entrypoint ?? ""}`.trim());
    const timer = run.timeoutSeconds
      ? setTimeout(() => this.stopRun(held, { kind: "timeout", seconds: run.timeoutSeconds! }), run.timeoutSeconds * 1000)
      : undefined;
    held.done = this.execute(held).finally(() => {
      clearTimeout(timer);
      this.held.delete(run.id);
      this.slotFreed?.();
      this.slotFreed = undefined;
    });
  }

  private stopRun(held: HeldRun, reason: StopReason): void {
    if (held.stop) return;
    held.stop = reason;
    held.controller.abort(new RunStopped(reason));
  }

  private async execute(held: HeldRun): Promise<void> {
    const { run } = held;
    let outcome: Parameters<typeof finalReport>[1];
    try {
      const work = executeRun(run, held.controller.signal, this.rt);
      // A process job ends when its process does (after SIGTERM/SIGKILL); code in this process
      // cannot be pre-empted, so a stopped flow is let go at once and its late reports are refused.
      outcome = { ok: true, ...(await (this.rt.poolType === "process" ? work : Promise.race([work, aborted(held.controller.signal)]))) };
    } catch (error) {
      if (isLeaseLost(error)) this.stopRun(held, { kind: "lease-lost", detail: describeClientError(error) });
      outcome = { ok: false, error };
      if (!held.stop) this.rt.shipper.log({ flowRunId: run.id, level: 40, message: `flow run failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}` });
    }
    await this.rt.shipper.flush();
    const report = finalReport(held.stop, outcome);
    if (!report) {
      this.log(`dropped ${run.name}: ${held.stop?.kind === "lease-lost" ? held.stop.detail : "stopped"}`);
      return;
    }
    // Kept on disk and re-sent until the server answers; the run stays held (and heartbeated)
    // meanwhile, so the server does not take it back for the worker's silence.
    const pending: PendingReport = {
      runId: run.id,
      runName: run.name,
      leaseToken: run.leaseToken,
      state: { type: report.type, message: report.message },
      resultId: report.type === "COMPLETED" ? report.resultId : undefined,
      result: report.type === "COMPLETED" ? report.result : undefined,
      createdAt: new Date().toISOString(),
    };
    this.logDelivery(pending, await this.outbox.deliver(pending));
  }

  private scheduleHeartbeat(): void {
    this.heartbeatTimer = setTimeout(() => void this.heartbeat().finally(() => this.scheduleHeartbeat()), this.heartbeatMs);
  }

  private async heartbeat(): Promise<void> {
    try {
      const runs = [...this.held.values()].map((h) => ({ id: h.run.id, leaseToken: h.run.leaseToken }));
      const reply = await this.rt.client.workers.heartbeat.mutate({ workerId: this.workerId, runs });
      for (const id of reply.stop) {
        const held = this.held.get(id);
        if (held) this.stopRun(held, { kind: "lease-lost", detail: "the server took the run back (heartbeat)" });
      }
      for (const id of reply.cancel) {
        const held = this.held.get(id);
        if (held) {
          this.log(`cancelling ${held.run.name}`);
          this.stopRun(held, { kind: "cancel" });
        }
      }
    } catch (err) {
      if (reasonOf(err) === "WORKER_UNKNOWN") await this.reregister();
      else this.log(`heartbeat failed: ${describeClientError(err)}`);
    }
  }

  /**
   * The server no longer knows this worker (its registration was removed, say with its pool, or
   * the database was restored): register again under the same name and carry on. Held runs keep
   * their leases; the server decides on each report whether they still stand.
   */
  private reregister(): Promise<void> {
    this.registering ??= (async () => {
      try {
        const reg = await this.rt.client.workers.register.mutate({ workPool: this.settings.pool, name: this.settings.name, capabilities: this.capabilities });
        this.workerId = reg.workerId;
        this.log(`registered again with the server as ${this.settings.name} (${reg.workerId})`);
      } catch (err) {
        this.log(`registering again failed: ${describeClientError(err)}`);
      } finally {
        this.registering = undefined;
      }
    })();
    return this.registering;
  }
}
