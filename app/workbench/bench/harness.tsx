"use client";
/**
 * The benchmark's two contestants, exposed on `window.batonEncodeBench` for the driver:
 * - baton(texts): one `encode` task through Baton's Web Worker (comlink call, progress events,
 *   texts in and vectors out by structured clone) — what a workbench user or a tab worker gets;
 * - direct(texts): the same Transformers.js pipeline, batches and output (`tolist()`), on this page.
 * Both on WASM with the same ONNX Runtime files; loading is timed apart from encoding.
 */
import { useEffect, useState } from "react";
import { startTaskRuntime } from "@/workers/browser/client";

export interface EncodeBenchApi {
  warm(model: string): Promise<void>;
  baton(model: string, texts: string[], batchSize: number): Promise<number>;
  direct(model: string, texts: string[], batchSize: number): Promise<number>;
}

declare global {
  interface Window {
    batonEncodeBench?: EncodeBenchApi;
  }
}

export function BenchHarness() {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    const runtime = startTaskRuntime();
    // Transformers.js on the page only here, loaded on demand: the workbench's own bundle stays small.
    const direct = import("@/workers/kinds/encode-transformer").then((m) => {
      m.configureTransformers({
        modelsPath: "/models/",
        wasmPaths: { mjs: `${location.origin}/ort/ort-wasm-simd-threaded.asyncify.mjs`, wasm: `${location.origin}/ort/ort-wasm-simd-threaded.asyncify.wasm` },
      });
      return m;
    });
    const ctx = { log: () => {}, metric: () => {}, progress: () => {}, signal: new AbortController().signal };
    const extractor = async (model: string) => (await (await direct).featureExtractor(model, "wasm", ctx)).extractor;
    window.batonEncodeBench = {
      async warm(model) {
        await runtime.run("encode", { texts: ["warm up"], model, encoder: "transformer", device: "wasm" });
        await (await extractor(model))(["warm up"], { pooling: "mean", normalize: true });
      },
      async baton(model, texts, batchSize) {
        const t0 = performance.now();
        await runtime.run("encode", { texts, model, encoder: "transformer", device: "wasm", batchSize });
        return performance.now() - t0;
      },
      async direct(model, texts, batchSize) {
        const fe = await extractor(model);
        const t0 = performance.now();
        const vectors: number[][] = [];
        for (let i = 0; i < texts.length; i += batchSize) {
          const out = await fe(texts.slice(i, i + batchSize), { pooling: "mean", normalize: true });
          vectors.push(...(out.tolist() as number[][]));
          out.dispose();
        }
        return performance.now() - t0;
      },
    };
    setReady(true);
    return () => runtime.terminate();
  }, []);
  return <p data-testid="bench-ready">{ready ? "Ready." : "Starting…"}</p>;
}
