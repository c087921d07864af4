/**
 * The Node worker: the protocol session (workers/protocol/session.ts) with Node's parts plugged
 * in — the executor (a TypeScript flow, a task kind or a process job: workers/node/execute.ts),
 * an outbox on disk under the worker's data directory, the API key kept out of every line, and
 * capabilities detected from the machine. Shutdown in two stages: the first signal stops
 * claiming and drains, the second forces.
 */
import path from "node:path";
import { createBatonClient, describeClientError, redactSecrets, resolveApiKey, resolveClientSettings } from "../../server/client";
import { WorkerSession } from "../protocol/session";
import { detectCapabilities } from "./capabilities";
import { executeRun } from "./execute";
import { closeFlowProcesses, flowProcesses } from "./flow-process";
import { FileOutboxStore } from "./outbox-store";
import type { WorkerSettings } from "./settings";
import type { WorkerRuntime } from "./types";

export class NodeWorker {
  private session!: WorkerSession;
  private rt: WorkerRuntime | undefined;

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
    const apiKey = resolveApiKey(this.opts.apiKey);
    // Plain requests: a long-polling claim must not hold up heartbeats and reports batched with
    // it. A refused connection (the server restarting) is retried, so runs carry on through it.
    const client = createBatonClient({
      apiUrl,
      workspace,
      apiKey,
      batch: false,
      retryRefusedMs: this.settings.retryRefusedSeconds * 1000,
      onRetry: (reason) => this.log(`the server is not answering (${reason}); retrying for up to ${this.settings.retryRefusedSeconds} s`),
    });
    const capabilities = await detectCapabilities(this.settings.capabilities);
    let rt: WorkerRuntime | undefined;
    this.session = new WorkerSession({
      api: client,
      pool: this.settings.pool,
      name: this.settings.name,
      capabilities,
      slots: this.settings.limit,
      queues: this.settings.queues,
      claimWaitMs: this.settings.claimWaitMs,
      outbox: new FileOutboxStore(path.resolve(this.settings.dataDir, "outbox", this.settings.pool.replace(/[^\w.-]/g, "_"))),
      // Every run settles only once its code has stopped: a flow's process or a process job is
      // gone (SIGTERM, then SIGKILL after the grace), a kind has let go — so a slot is never
      // freed while code of the run it held still executes.
      executorStops: true,
      execute: ({ run, signal }) => executeRun(run, signal, rt!),
      log: (m) => this.log(m),
      describeError: describeClientError,
      logShipper: { redact: redactSecrets },
      onRunStart: (run) => this.log(`running ${run.name} (${run.id}) ${run.entrypoint ?? ""}`.trim()),
      onRegistered: async (reg) => {
        if (rt) return;
        const pool = await client.workPools.get.query({ workPool: reg.workPoolId });
        rt = {
          client,
          shipper: this.session.logs,
          settings: this.settings,
          apiUrl,
          workspace,
          apiKey,
          poolType: reg.workPoolType,
          inlineResultMaxBytes: reg.inlineResultMaxBytes,
          taskRunJournal: reg.features.includes("task-run-journal") && process.env.BATON_WORKER_TASK_JOURNAL !== "0",
          baseJobTemplate: (pool.baseJobTemplate ?? {}) as Record<string, unknown>,
          capabilities,
          workerId: () => this.session.workerId ?? reg.workerId,
          log: (m) => this.log(m),
        };
        this.rt = rt;
        // Flow processes take ~0.5 s to start: have them ready before the first run arrives.
        if (rt.poolType === "node") flowProcesses(rt);
      },
    });
    const reg = await this.session.start();
    const gpu = capabilities.gpu ? `, GPU ${JSON.stringify(capabilities.gpuList ?? capabilities.gpus)}` : "";
    this.log(`worker ${this.settings.name} polling pool "${this.settings.pool}" (${reg.workPoolType}) at ${apiUrl}${apiKey ? " with an API key" : ""}: ${this.settings.limit} slots, ${capabilities.cores} cores, ${capabilities.memoryGb} GB${gpu}`);
  }

  /** Claims and runs until shutdown; resolves once every run has finished and the worker said goodbye. */
  async run(): Promise<void> {
    await this.session.run();
    if (this.rt) closeFlowProcesses(this.rt);
    this.log(`worker ${this.settings.name} stopped`);
  }

  /** First call: stop claiming and let runs finish. Second call: stop the runs too. */
  shutdown(): void {
    this.session.shutdown();
  }
}
