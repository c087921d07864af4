/**
 * The contract between a page and Baton's task Web Worker, shared by both sides. Comlink turns
 * the worker's object into async calls; events come back through a proxied callback, and
 * cancellation is a call (`cancel(runId)`) because an AbortSignal cannot cross postMessage.
 */
export type TaskEvent =
  | { type: "log"; level: "debug" | "info" | "warn" | "error"; message: string; at: number }
  | { type: "metric"; name: string; value: number; step?: number }
  | { type: "progress"; fraction: number; message?: string }
  | { type: "device"; device: string };

export interface BrowserRuntimeConfig {
  /** URL path of the models directory, "/models/" by default. */
  modelsPath: string;
  /** Whether models may come from the Hugging Face hub when not in the models directory. */
  allowRemoteModels: boolean;
}

export interface RuntimeInfo {
  webgpu: boolean;
  adapter?: string;
  crossOriginIsolated: boolean;
  threads: number;
  kinds: string[];
}

export interface TaskWorkerApi {
  configure(config: BrowserRuntimeConfig): void;
  info(): Promise<RuntimeInfo>;
  /** Runs one task kind; resolves with its result, rejects with its error (or "cancelled"). */
  run(runId: string, kind: string, params: unknown, onEvent: (event: TaskEvent) => void): Promise<unknown>;
  cancel(runId: string): void;
}

export const CANCELLED_MESSAGE = "The run was cancelled";
