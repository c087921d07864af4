/**
 * The tab's binding of each kind the registry lets a tab run (workers/kinds/registry.ts, runsOn
 * "tab"), by the name a deployment's entrypoint uses (`kind:<name>`). Typed by the registry, so
 * this list is exactly the registry's tab kinds: training stays off it (Node and GPU pools).
 * Each implementation is imported on first use, so a tab that only encodes never loads pdf.js
 * or ONNX Runtime's classifier path. Imported only inside the task Web Worker (it reads the
 * worker's own origin).
 */
import type { KindsOn } from "../kinds/registry";
import type { TaskKind } from "../kinds/types";

type Loader = () => Promise<TaskKind<never, unknown>>;

export const browserKinds: { [N in KindsOn<"tab">]: Loader } = {
  encode: async () => (await import("../kinds/encode")).encode as TaskKind<never, unknown>,
  pdf: async () => {
    const [{ createPdfKind }, { browserPdfJsLoader }] = await Promise.all([import("../kinds/pdf"), import("../kinds/pdf/browser")]);
    return createPdfKind(browserPdfJsLoader(`${self.location.origin}/pdfjs/pdf.worker.min.mjs`)) as TaskKind<never, unknown>;
  },
  // k-means assignment on WebGPU when there is an adapter, with the CPU path's labels.
  cluster: async () => (await import("./cluster")).browserCluster as TaskKind<never, unknown>,
  infer: async () => (await import("./infer")).browserInfer as TaskKind<never, unknown>,
};

const loaded = new Map<string, Promise<TaskKind<never, unknown>>>();

/** The tab's implementation of a kind, loaded once. */
export function loadBrowserKind(name: keyof typeof browserKinds): Promise<TaskKind<never, unknown>> {
  let kind = loaded.get(name);
  if (!kind) {
    kind = browserKinds[name]();
    loaded.set(name, kind);
    // A failed import (a network blip) is tried again on the next run.
    kind.catch(() => loaded.delete(name));
  }
  return kind;
}
