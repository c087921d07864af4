/**
 * What a worker and one of its flow processes (flow-child.ts) say to each other over the IPC
 * channel of `child_process.fork`. The API key never travels here: the child has it in its
 * environment. Errors cross as plain objects and are rebuilt with their name, stack and API
 * reason, so `isLeaseLost` (outcome.ts) reads a child's refused write as it reads the worker's.
 */

import type { TaskRunEvent } from "../../common/task-run-event";

/** A run for a flow process, handed over once it said it is ready (and again after each run, if reused). */
export interface RunMessage {
  type: "run";
  run: { id: string; entrypoint: string; parameters: Record<string, unknown>; leaseToken: string };
  /**
   * The run's task runs are journalled (sent as `task` messages, not created with a call first):
   * its first attempt, on a server that takes journals. A later attempt asks for its earlier task runs.
   */
  journal?: boolean;
  /** The worker's code root: entrypoints are looked up inside it. */
  checkout: string;
  /** The run's delivered code (its deployment's bundle, fetched by ./code.ts): imported instead of the checkout's file. */
  codeFile?: string;
  capabilities: Record<string, unknown>;
  /** The GPU this run was given (a GPU run on a worker with GPU slots): CUDA_VISIBLE_DEVICES, set before the flow module loads. */
  gpu?: string;
}

/** The worker stops the run (cancel, timeout, lease loss, forced shutdown): abort and exit. */
export interface StopMessage {
  type: "stop";
  message: string;
}

/** The worker retires an idle process (its code changed on disk, it served its runs, or the worker stops). */
export interface ExitMessage {
  type: "exit";
}

/** The journal sent before `sync` number `n` is stored on the server. */
export interface SyncedMessage {
  type: "synced";
  n: number;
}

export type ToChild = RunMessage | StopMessage | ExitMessage | SyncedMessage;

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** The API's machine-readable reason (`LEASE_LOST`, …) when the error came from a call. */
  reason?: string;
  code?: string;
}

export type ToParent =
  /** tsx, the SDK and the API client are loaded; the child waits for its run. */
  | { type: "ready" }
  /** A file the process loaded (from flow-loaded-hook.mjs): reused only while each is unchanged. */
  | { type: "loaded"; file: string; mtimeMs: number; size: number }
  | { type: "log"; entry: { flowRunId: string; taskRunId?: string; level: number; message: string } }
  | { type: "metric"; entry: { flowRunId: string; taskRunId?: string; name: string; value: number; step?: number } }
  /** A task-run journal event of the run (the worker ships it with the run's lines, or with its report). */
  | { type: "task"; flowRunId: string; event: TaskRunEvent }
  /** Before a call of its own: store the journal sent so far, then answer `synced` with the same `n`. */
  | { type: "sync"; n: number }
  /** A write of this run was refused with LEASE_LOST (even if the flow code caught the error). */
  | { type: "lease-lost"; detail: string }
  | { type: "done"; ok: true; outcome: { resultId?: string; result?: { value: unknown }; message?: string } }
  | { type: "done"; ok: false; error: SerializedError };

export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: "Error", message: String(err) };
  const data = (err as { data?: { reason?: string | null; code?: string } }).data;
  return { name: err.name, message: err.message, stack: err.stack, reason: data?.reason ?? undefined, code: data?.code };
}

/** An error thrown in a flow process, as the worker sees it: same name, message and stack. */
export class FlowProcessError extends Error {
  /** Shaped like an API error's data, so `reasonOf`/`isLeaseLost` read it. */
  readonly data: { reason?: string; code?: string };
  constructor(e: SerializedError) {
    super(e.message);
    this.name = e.name;
    if (e.stack) this.stack = e.stack;
    this.data = { reason: e.reason, code: e.code };
  }
}
