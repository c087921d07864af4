/// <reference lib="webworker" />
/**
 * Baton's task Web Worker: runs task kinds off the page's main thread, so a tab stays responsive
 * while it encodes or clusters. Started by client.ts from this file's own URL (a module worker),
 * which both Next.js bundlers follow; its API is exposed with comlink.
 */
import * as Comlink from "comlink";
import { configureTransformers, webgpuAdapterInfo } from "../kinds/encode-transformer";
import type { TaskContext } from "../kinds/types";
import { CANCELLED_MESSAGE, type BrowserRuntimeConfig, type RuntimeInfo, type TaskEvent, type TaskWorkerApi } from "./api";
import { checkKindParameters, isKindName, unknownKindMessage } from "../kinds/registry";
import { browserKinds, loadBrowserKind } from "./kinds";

const running = new Map<string, AbortController>();
/** The longest a task's end waits for the page to take its last events. */
const EVENT_DRAIN_MS = 2_000;

function applyConfig(config: BrowserRuntimeConfig) {
  const origin = self.location.origin;
  configureTransformers({
    modelsPath: config.modelsPath,
    allowRemoteModels: config.allowRemoteModels,
    // Absolute URLs: ORT imports the loader from inside its own module, relative to itself.
    wasmPaths: {
      mjs: `${origin}/ort/ort-wasm-simd-threaded.asyncify.mjs`,
      wasm: `${origin}/ort/ort-wasm-simd-threaded.asyncify.wasm`,
    },
  });
}
applyConfig({ modelsPath: "/models/", allowRemoteModels: false });

const api: TaskWorkerApi = {
  configure: applyConfig,

  async info(): Promise<RuntimeInfo> {
    const adapter = await webgpuAdapterInfo();
    return {
      webgpu: Boolean(adapter),
      adapter,
      crossOriginIsolated: self.crossOriginIsolated,
      threads: navigator.hardwareConcurrency,
      kinds: Object.keys(browserKinds),
    };
  },

  async run(runId, kind, params, onEvent) {
    if (!isKindName(kind)) throw new Error(unknownKindMessage(kind));
    if (!Object.hasOwn(browserKinds, kind)) throw new Error(`This tab cannot run task kind "${kind}" (it runs: ${Object.keys(browserKinds).join(", ")})`);
    // The registry's schema first: a bad parameter fails here, naming its field, before any code loads.
    checkKindParameters(kind, params);
    const task = await loadBrowserKind(kind as keyof typeof browserKinds);
    const controller = new AbortController();
    running.set(runId, controller);
    // Events are fire-and-forget: a slow page must not hold the task back.
    const inFlight = new Set<Promise<unknown>>();
    const emit = (event: TaskEvent) => {
      const delivered = Promise.resolve(onEvent(event)).catch(() => {});
      inFlight.add(delivered);
      void delivered.finally(() => inFlight.delete(delivered));
    };
    let device: string | undefined;
    const ctx: TaskContext = {
      log: (level, message) => emit({ type: "log", level, message, at: Date.now() }),
      metric: (name, value, step) => emit({ type: "metric", name, value, step }),
      progress: (fraction, message) => emit({ type: "progress", fraction, message }),
      signal: controller.signal,
      get device() {
        return device;
      },
      set device(value) {
        device = value;
        if (value) emit({ type: "device", device: value });
      },
    };
    try {
      return await task(params as never, ctx);
    } catch (err) {
      if (controller.signal.aborted) throw new Error(CANCELLED_MESSAGE);
      throw err instanceof Error ? err : new Error(String(err));
    } finally {
      // Events come back on the callback's own MessagePort, the result on the worker's: a fast
      // task's result could overtake its last logs, and a tab worker would complete the run and
      // lose them. Wait (briefly) until the page has taken the events already sent.
      await Promise.race([Promise.all(inFlight), new Promise((r) => setTimeout(r, EVENT_DRAIN_MS))]);
      running.delete(runId);
    }
  },

  cancel(runId) {
    running.get(runId)?.abort(new Error(CANCELLED_MESSAGE));
  },
};

Comlink.expose(api);
