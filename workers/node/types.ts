import type { BatonClient } from "../../server/client";
import type { LogShipper } from "../protocol/log-shipper";
import type { WorkerSettings } from "./settings";

/** A run as `workers.claim` hands it out. */
export type ClaimedRun = Awaited<ReturnType<BatonClient["workers"]["claim"]["mutate"]>>[number];

/** What executing a run needs from the worker. */
export interface WorkerRuntime {
  client: BatonClient;
  shipper: LogShipper;
  settings: WorkerSettings;
  apiUrl: string;
  workspace: string;
  /** The key the worker sends; a process job gets it as BATON_API_KEY to call back with. Never logged. */
  apiKey?: string;
  poolType: string;
  /** The largest JSON result to report inline, as the server's registration said (absent: common/inline-result.ts's figure). */
  inlineResultMaxBytes?: number;
  /**
   * Whether flows record their task runs after the fact (server/domain/task-run-events.ts): the
   * server offers it and BATON_WORKER_TASK_JOURNAL is not 0.
   */
  taskRunJournal?: boolean;
  /** The pool's job template: for `process` pools, `{ command: [...], env?: {...}, workingDir? }`. */
  baseJobTemplate: Record<string, unknown>;
  capabilities: Record<string, unknown>;
  /** The worker's id as the server knows it now (it changes when the worker registers again). */
  workerId(): string;
  log(message: string): void;
}
