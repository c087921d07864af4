/**
 * The worker protocol, client side: what every Baton worker does, whatever it runs code in. A
 * Node worker and a browser tab both build one WorkerSession and plug in only their executor
 * (how a claimed run's code is run) and their outbox store (where undelivered reports wait).
 *
 * Register, then two loops that never overlap themselves: claim (a long poll for as many runs as
 * there are free slots, started at once) and heartbeat (the dead-man's switch, whose reply says
 * which held runs to cancel and which the worker no longer holds). Each run executes in a slot;
 * its final state — with the result and the log lines not yet stored — goes through the outbox,
 * kept until the server answers, and the run stays held and heartbeated until then, so a server
 * outage neither loses the outcome nor makes the server take the run back for the worker's
 * silence. A refused lease stops the run at once and nothing more is reported about it.
 * Shutdown in two stages: the first stops claiming and drains, the second stops the runs too.
 *
 * Runtime-neutral: no Node modules, so the tab bundles the same code.
 */
import type { createTRPCClient } from "@trpc/client";
import type { AppRouter } from "../../server/api/root";
import { LogShipper } from "./log-shipper";
import { finalReport, isLeaseLost, reasonOf, RunStopped, type FinalReport, type StopReason } from "./outcome";
import { ReportOutbox, type Delivery, type OutboxStore, type PendingReport } from "./outbox";
import { ReportSender } from "./report-sender";

export type WorkerApi = ReturnType<typeof createTRPCClient<AppRouter>>;
/** A run as `workers.claim` hands it out. */
export type ClaimedRun = Awaited<ReturnType<WorkerApi["workers"]["claim"]["mutate"]>>[number];
export type Registration = Awaited<ReturnType<WorkerApi["workers"]["register"]["mutate"]>>;

/** What a run's code produced: a result (stored already, or small enough to send inline). */
export interface RunOutcome {
  resultId?: string;
  result?: { value: unknown };
  message?: string;
}

/** What an executor gets for one run. */
export interface RunHandle {
  run: ClaimedRun;
  /** Fires on cancel, timeout, lease loss or a forced shutdown; `reason` is a RunStopped. */
  signal: AbortSignal;
  /** The session's log shipper: lines for this run carry its lease. */
  logs: LogShipper;
}

export interface WorkerSessionOptions {
  api: WorkerApi;
  pool: string;
  name: string;
  capabilities: Record<string, unknown>;
  slots: number;
  /** Only these queues of the pool (names); all when empty. */
  queues?: string[];
  claimWaitMs: number;
  outbox: OutboxStore;
  /** Runs the code; resolves with its outcome, rejects when it failed. */
  execute(handle: RunHandle): Promise<RunOutcome>;
  /**
   * Whether `execute` stops the code when the signal fires and settles only once it has (a child
   * process that is killed). When false, an aborted run is let go at once: its code may go on
   * until it next awaits, but every write it makes is refused for want of the lease.
   */
  executorStops: boolean | (() => boolean);
  log(line: string): void;
  /** One line for a failed call (default: its message). */
  describeError?(err: unknown): string;
  /** For the shipper: a redaction of secrets, an echo to a console. */
  logShipper?: { redact?: (text: string) => string; echo?: (line: string) => void };
  /** After each registration; throwing refuses the pool (a tab offered a Node pool, say). */
  onRegistered?(reg: Registration): void | Promise<void>;
  onRunStart?(run: ClaimedRun): void;
  /** Once the run's report has been dealt with (`delivery` absent: nothing was to be reported). */
  onRunEnd?(run: ClaimedRun, report: FinalReport, delivery?: Delivery): void;
  /** The claim loop is waiting for work with every slot free. */
  onIdle?(): void;
  retryAfterErrorMs?: number;
}

interface HeldRun {
  run: ClaimedRun;
  controller: AbortController;
  stop?: StopReason;
  /** The final report is being delivered: the report, not a heartbeat, decides about the lease now. */
  reporting: boolean;
  done: Promise<void>;
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class WorkerSession {
  readonly logs: LogShipper;
  private readonly outbox: ReportOutbox;
  private readonly held = new Map<string, HeldRun>();
  private draining = false;
  private forced = false;
  private closed = false;
  private readonly claimAbort = new AbortController();
  private heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  private slotFreed: (() => void) | undefined;
  private registration: Registration | undefined;
  private registering: Promise<void> | undefined;
  /** Reports an earlier worker left in the outbox, being sent. */
  private leftovers: Promise<void> = Promise.resolve();

  constructor(private readonly opts: WorkerSessionOptions) {
    this.logs = new LogShipper(opts.api, {
      ...opts.logShipper,
      leaseOf: (flowRunId) => this.held.get(flowRunId)?.run.leaseToken,
      onLeaseLost: (ids) => {
        for (const id of ids) {
          const held = this.held.get(id);
          if (held) this.stopRun(held, { kind: "lease-lost", detail: "lease lost: the server refused its logs or task runs, the run is not ours any more" });
        }
      },
      onRefused: (flowRunId, message) => opts.log(`the server refused the task runs of ${this.held.get(flowRunId)?.run.name ?? flowRunId}: ${message}`),
    });
    const sender = new ReportSender(opts.api, opts.outbox, opts.log);
    this.outbox = new ReportOutbox(opts.outbox, (r) => sender.send(r), (m) => opts.log(m));
  }

  private describe(err: unknown): string {
    return this.opts.describeError ? this.opts.describeError(err) : err instanceof Error ? err.message : String(err);
  }

  get workerId(): string | undefined {
    return this.registration?.workerId;
  }

  /** How many runs are held (running, or waiting for their report to be taken). */
  get busy(): number {
    return this.held.size;
  }

  /** Registers, sends what an earlier worker left in the outbox, and starts heartbeating. */
  async start(): Promise<Registration> {
    const reg = await this.register();
    const left = await this.outbox.leftovers();
    if (left.length) {
      this.opts.log(`outbox: sending ${left.length} report(s) an earlier worker could not deliver`);
      this.leftovers = Promise.all(left.map((r) => this.outbox.deliver(r, { persisted: true }).then((d) => this.logDelivery(r, d)))).then(() => {});
    }
    this.scheduleHeartbeat();
    return reg;
  }

  private async register(): Promise<Registration> {
    const reg = await this.opts.api.workers.register.mutate({ workPool: this.opts.pool, name: this.opts.name, capabilities: this.opts.capabilities });
    await this.opts.onRegistered?.(reg);
    this.registration = reg;
    return reg;
  }

  /** Claims and runs until shutdown; resolves once every run has finished and the worker said goodbye. */
  async run(): Promise<void> {
    const reg = this.registration;
    if (!reg) throw new Error("WorkerSession.run() before start()");
    while (!this.draining) {
      const free = this.opts.slots - this.held.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      if (this.held.size === 0) this.opts.onIdle?.();
      try {
        const runs = await this.opts.api.workers.claim.mutate(
          { workerId: this.registration!.workerId, workQueues: this.opts.queues?.length ? this.opts.queues : undefined, max: free, waitMs: this.opts.claimWaitMs, start: true },
          { signal: this.claimAbort.signal },
        );
        for (const run of runs) this.startRun(run);
      } catch (err) {
        if (this.draining) break;
        if (reasonOf(err) === "WORKER_UNKNOWN") await this.reregister();
        else this.opts.log(`claim failed: ${this.describe(err)}; retrying in ${(this.opts.retryAfterErrorMs ?? 2000) / 1000} s`);
        await sleep(this.opts.retryAfterErrorMs ?? 2000);
      }
    }
    await Promise.all([...this.held.values()].map((h) => h.done));
    await this.leftovers;
    this.closed = true;
    clearTimeout(this.heartbeatTimer);
    await this.logs.flush();
    // The runs it still answers for: those with a report waiting in the store. Anything else the
    // server has it down for was granted by a claim this drain cut off, never received: the
    // server puts those back in the queue at once.
    const holding = (await this.opts.outbox.list(() => {}).catch(() => undefined))?.map((r) => r.runId);
    const bye = await this.opts.api.workers.goodbye.mutate({ workerId: this.registration!.workerId, holding }).catch(() => undefined);
    if (bye?.returned) this.opts.log(`${bye.returned} run(s) granted as the worker stopped went back to the queue`);
  }

  /**
   * First call: stop claiming and let runs finish. Second call (or `force`): stop the runs too,
   * reported CRASHED (with `detail` as the message) so their retry policy brings them back.
   */
  shutdown({ force = false, detail }: { force?: boolean; detail?: string } = {}): void {
    if (!this.draining) {
      this.draining = true;
      this.claimAbort.abort();
      this.slotFreed?.();
      if (!force) {
        this.opts.log(`draining: waiting for ${this.held.size} run(s) to finish (signal again to force)`);
        return;
      }
    }
    if (this.forced) return;
    this.forced = true;
    if (this.held.size) this.opts.log(`forcing: stopping ${this.held.size} run(s)`);
    for (const held of this.held.values()) this.stopRun(held, { kind: "shutdown", detail });
    // Reports still waiting for the server stay in the store; the next start sends them.
    this.outbox.stop();
  }

  private startRun(run: ClaimedRun): void {
    const held: HeldRun = { run, controller: new AbortController(), reporting: false, done: Promise.resolve() };
    this.held.set(run.id, held);
    this.opts.onRunStart?.(run);
    const timer = run.timeoutSeconds
      ? setTimeout(() => this.stopRun(held, { kind: "timeout", seconds: run.timeoutSeconds! }), run.timeoutSeconds * 1000)
      : undefined;
    held.done = this.execute(held).finally(() => {
      clearTimeout(timer);
      // A retried run can be claimed again (same id) before this attempt's cleanup: keep the new one.
      if (this.held.get(run.id) === held) this.held.delete(run.id);
      this.slotFreed?.();
      this.slotFreed = undefined;
    });
  }

  private stopRun(held: HeldRun, reason: StopReason): void {
    if (held.stop || held.reporting) return;
    held.stop = reason;
    held.controller.abort(new RunStopped(reason));
  }

  private async execute(held: HeldRun): Promise<void> {
    const { run } = held;
    let outcome: Parameters<typeof finalReport>[1];
    try {
      const work = this.opts.execute({ run, signal: held.controller.signal, logs: this.logs });
      const stops = typeof this.opts.executorStops === "function" ? this.opts.executorStops() : this.opts.executorStops;
      outcome = { ok: true, ...(await (stops ? work : Promise.race([work, aborted(held.controller.signal)]))) };
    } catch (error) {
      if (isLeaseLost(error)) this.stopRun(held, { kind: "lease-lost", detail: this.describe(error) });
      outcome = { ok: false, error };
      if (!held.stop) this.logs.log({ flowRunId: run.id, level: 40, message: `flow run failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}` });
    }
    const report = finalReport(held.stop, outcome);
    held.reporting = true;
    if (!report) {
      this.logs.take(run.id);
      this.logs.takeJournal(run.id);
      this.opts.log(`dropped ${run.name}: ${held.stop?.kind === "lease-lost" ? held.stop.detail : "stopped"}`);
      this.opts.onRunEnd?.(run, report);
      return;
    }
    // The run's lines not yet sent travel with the report, as durably as the outcome.
    await this.logs.settle(run.id);
    const logs = this.logs.take(run.id);
    const journal = this.logs.takeJournal(run.id);
    const pending: PendingReport = {
      runId: run.id,
      runName: run.name,
      leaseToken: run.leaseToken,
      state: { type: report.type, message: report.message },
      resultId: report.type === "COMPLETED" ? report.resultId : undefined,
      result: report.type === "COMPLETED" ? report.result : undefined,
      taskRuns: journal.length ? journal : undefined,
      logs: logs.length ? logs : undefined,
      createdAt: new Date().toISOString(),
    };
    const delivery = await this.outbox.deliver(pending);
    this.logDelivery(pending, delivery);
    this.opts.onRunEnd?.(run, report, delivery);
  }

  private logDelivery(r: PendingReport, d: Delivery): void {
    if (d.delivered) this.opts.log(`${r.state.type.toLowerCase()} ${r.runName}${r.state.message && r.state.type !== "COMPLETED" ? `: ${r.state.message}` : ""}`);
    else if ("refused" in d) this.opts.log(`report for ${r.runName} refused by the server: ${d.refused}`);
    else this.opts.log(`report for ${r.runName} kept in the outbox (${this.opts.outbox.location}) for the next start`);
  }

  private scheduleHeartbeat(): void {
    if (this.closed) return;
    this.heartbeatTimer = setTimeout(
      () => void this.heartbeat().finally(() => this.scheduleHeartbeat()),
      (this.registration?.heartbeatIntervalSeconds ?? 10) * 1000,
    );
  }

  private async heartbeat(): Promise<void> {
    const workerId = this.registration?.workerId;
    if (!workerId) return;
    try {
      const runs = [...this.held.values()].map((h) => ({ id: h.run.id, leaseToken: h.run.leaseToken }));
      const reply = await this.opts.api.workers.heartbeat.mutate({ workerId, runs });
      for (const id of reply.stop) {
        const held = this.held.get(id);
        if (held) this.stopRun(held, { kind: "lease-lost", detail: "the server took the run back (heartbeat)" });
      }
      for (const id of reply.cancel) {
        const held = this.held.get(id);
        if (held && !held.stop && !held.reporting) {
          this.opts.log(`cancelling ${held.run.name}`);
          this.stopRun(held, { kind: "cancel" });
        }
      }
    } catch (err) {
      if (reasonOf(err) === "WORKER_UNKNOWN") await this.reregister();
      else this.opts.log(`heartbeat failed: ${this.describe(err)}`);
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
        const reg = await this.register();
        this.opts.log(`registered again with the server as ${this.opts.name} (${reg.workerId})`);
      } catch (err) {
        this.opts.log(`registering again failed: ${this.describe(err)}`);
      } finally {
        this.registering = undefined;
      }
    })();
    return this.registering;
  }
}
