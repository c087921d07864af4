/**
 * The page's side of Baton's task Web Worker: starts it (once per page) from a real module URL
 * and runs task kinds with an AbortSignal and an event callback, as if they ran in the page.
 */
import * as Comlink from "comlink";
import type { BrowserRuntimeConfig, RuntimeInfo, TaskEvent, TaskWorkerApi } from "./api";

export type { TaskEvent, RuntimeInfo, BrowserRuntimeConfig } from "./api";

export interface TaskRuntime {
  info(): Promise<RuntimeInfo>;
  configure(config: BrowserRuntimeConfig): Promise<void>;
  run<R = unknown>(kind: string, params: unknown, opts?: { signal?: AbortSignal; onEvent?: (event: TaskEvent) => void }): Promise<R>;
  terminate(): void;
}

let counter = 0;

export function startTaskRuntime(): TaskRuntime {
  const worker = new Worker(new URL("./task.worker.ts", import.meta.url), { type: "module", name: "baton-tasks" });
  const api = Comlink.wrap<TaskWorkerApi>(worker);
  return {
    info: () => api.info(),
    configure: (config) => api.configure(config),
    async run<R>(kind: string, params: unknown, opts: { signal?: AbortSignal; onEvent?: (event: TaskEvent) => void } = {}) {
      opts.signal?.throwIfAborted();
      const runId = `${Date.now()}-${++counter}`;
      const abort = () => void api.cancel(runId);
      opts.signal?.addEventListener("abort", abort, { once: true });
      try {
        return (await api.run(runId, kind, params, Comlink.proxy(opts.onEvent ?? (() => {})))) as R;
      } finally {
        opts.signal?.removeEventListener("abort", abort);
      }
    },
    terminate: () => {
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}
