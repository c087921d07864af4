"use client";
/**
 * Run a task kind in this tab's Web Worker: parameters from a small form, then a progress bar,
 * the device that ran it, its log lines and its result (with a plot where the kind has one).
 */
import { useRef, useState } from "react";
import type { RuntimeInfo, TaskRuntime } from "@/workers/browser/client";
import { ResultView } from "@/app/_components/task-result";
import { TaskActivity, useTaskActivity } from "@/app/_components/task-activity";
import { runKind, type PanelInput } from "./kind-steps";

const SAMPLE = ["The cat sat on the mat.", "A dog ran in the park.", "Neural networks learn from data.", "Embeddings turn text into vectors."];
const FORMS = ["encode", "cluster", "pdf"];

const texts = (lines: string) => lines.split("\n").map((t) => t.trim()).filter(Boolean);

export function RunPanel({ runtime, info }: { runtime: TaskRuntime; info: RuntimeInfo }) {
  const [input, setInput] = useState<Omit<PanelInput, "texts"> & { texts: string }>({
    kind: "encode",
    device: "auto",
    texts: SAMPLE.join("\n"),
    // Empty: the offline lexical encoder, meaningful on any text; name a model to use a transformer.
    model: "",
    encoder: "auto",
  });
  const set = (patch: Partial<typeof input>) => setInput((v) => ({ ...v, ...patch }));
  const activity = useTaskActivity();
  const [outcome, setOutcome] = useState<{ result: unknown; seconds: number }>();
  const [busy, setBusy] = useState(false);
  const abort = useRef<AbortController | null>(null);

  async function run() {
    abort.current = new AbortController();
    setBusy(true);
    setOutcome(undefined);
    activity.start();
    const onEvent = activity.onEvent;
    const started = performance.now();
    try {
      const result = await runKind(runtime, { ...input, texts: texts(input.texts) }, { signal: abort.current.signal, onEvent });
      setOutcome({ result, seconds: (performance.now() - started) / 1000 });
    } catch (err) {
      activity.fail((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const usesTexts = input.kind === "encode" || input.kind === "cluster";
  return (
    <section className="panel workbench-run" aria-label="Run a task in this tab">
      <h2>Run in this tab</h2>
      <div className="form-row">
        <label>
          Task kind{" "}
          <select value={input.kind} onChange={(e) => set({ kind: e.target.value })} data-testid="kind-select">
            {FORMS.filter((k) => info.kinds.includes(k)).map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        <label>
          Device{" "}
          <select value={input.device} onChange={(e) => set({ device: e.target.value as PanelInput["device"] })} data-testid="device-select">
            <option value="auto">auto</option>
            <option value="webgpu" disabled={!info.webgpu}>
              WebGPU
            </option>
            <option value="wasm">WASM</option>
          </select>
        </label>
        {usesTexts && (
          <>
            <label>
              Encoder{" "}
              <select value={input.encoder} onChange={(e) => set({ encoder: e.target.value as PanelInput["encoder"] })} data-testid="encoder-select">
                <option value="auto">auto (model if present, else lexical)</option>
                <option value="transformer">transformer</option>
                <option value="lexical">lexical (TF-IDF + LSA)</option>
              </select>
            </label>
            <label>
              Model{" "}
              <input
                value={input.model}
                onChange={(e) => set({ model: e.target.value })}
                placeholder="none: lexical"
                title="A model in the models directory (e.g. tiny-bert); empty uses the offline lexical encoder"
                data-testid="model-input"
                size={16}
              />
            </label>
          </>
        )}
        {input.kind === "cluster" && (
          <label>
            k <input type="number" min={2} placeholder="auto" value={input.k ?? ""} onChange={(e) => set({ k: e.target.value ? Number(e.target.value) : undefined })} data-testid="k-input" style={{ width: "5em" }} />
          </label>
        )}
      </div>
      {usesTexts ? (
        <label className="block">
          Texts, one per line
          <textarea value={input.texts} onChange={(e) => set({ texts: e.target.value })} rows={6} data-testid="texts-input" />
        </label>
      ) : (
        <label className="block">
          PDF file <input type="file" accept="application/pdf,.pdf" onChange={(e) => set({ file: e.target.files?.[0] })} data-testid="pdf-input" />
        </label>
      )}
      <div className="form-row">
        <button className="button button-primary" onClick={run} disabled={busy} data-testid="run-task">
          Run {input.kind}
        </button>
        <button className="button" onClick={() => abort.current?.abort()} disabled={!busy}>
          Cancel
        </button>
      </div>
      <TaskActivity state={activity.state} />
      {outcome && <ResultView result={outcome.result} seconds={outcome.seconds} texts={input.kind === "cluster" ? texts(input.texts) : undefined} />}
    </section>
  );
}
