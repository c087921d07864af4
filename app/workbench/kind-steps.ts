/**
 * What the workbench runs for each task kind, from its small form: usually one task, and for
 * cluster the pipeline a user means by it — encode the texts, then cluster the vectors (with the
 * texts for cluster labels), so the 2-D plot has something to show.
 */
import type { TaskEvent, TaskRuntime } from "@/workers/browser/client";

export interface PanelInput {
  kind: string;
  device: "auto" | "webgpu" | "wasm";
  texts: string[];
  model: string;
  encoder: "auto" | "transformer" | "lexical";
  file?: File;
  k?: number;
}

type Run = { signal: AbortSignal; onEvent: (e: TaskEvent) => void };

function encodeParams(input: PanelInput) {
  return { texts: input.texts, encoder: input.encoder, device: input.device, ...(input.model ? { model: input.model } : {}) };
}

export async function runKind(runtime: TaskRuntime, input: PanelInput, opts: Run): Promise<unknown> {
  switch (input.kind) {
    case "encode":
      return runtime.run("encode", encodeParams(input), opts);
    case "cluster": {
      // Two steps, each half of the progress bar.
      const half = (offset: number) => (e: TaskEvent) =>
        opts.onEvent(e.type === "progress" ? { ...e, fraction: offset + e.fraction / 2 } : e);
      const encoded = await runtime.run<{ vectors: number[][] }>("encode", encodeParams(input), { ...opts, onEvent: half(0) });
      const params = { vectors: encoded.vectors, terms: { texts: input.texts }, ...(input.k ? { k: input.k } : {}) };
      return runtime.run("cluster", params, { ...opts, onEvent: half(0.5) });
    }
    case "pdf": {
      if (!input.file) throw new Error("Choose a PDF file first");
      return runtime.run("pdf", { data: await input.file.arrayBuffer(), name: input.file.name }, opts);
    }
    default:
      throw new Error(`The workbench has no form for ${input.kind}; run it through a deployment (kind:${input.kind}) with this tab as a worker`);
  }
}
