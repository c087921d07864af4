"use client";
/**
 * Run one task kind in this tab's Web Worker: parameters from a small form, then a progress bar,
 * the device that ran it, its log lines and its result (with a plot where the kind has one).
 */
import { useRef, useState } from "react";
import type { RuntimeInfo, TaskEvent, TaskRuntime } from "@/workers/browser/client";
import { ResultView } from "./result-view";

const SAMPLE = ["The cat sat on the mat.", "A dog ran in the park.", "Neural networks learn from data.", "Embeddings turn text into vectors."];

type DeviceChoice = "auto" | "webgpu" | "wasm";

export function RunPanel({ runtime, info }: { runtime: TaskRuntime; info: RuntimeInfo }) {
  const [kind, setKind] = useState(info.kinds[0] ?? "encode");
  const [device, setDevice] = useState<DeviceChoice>("auto");
  const [texts, setTexts] = useState(SAMPLE.join("\n"));
  const [model, setModel] = useState("tiny-bert");
  const [progress, setProgress] = useState<{ fraction: number; message?: string }>();
  const [usedDevice, setUsedDevice] = useState<string>();
  const [logs, setLogs] = useState<string[]>([]);
  const [outcome, setOutcome] = useState<{ result?: unknown; error?: string; seconds?: number }>();
  const [busy, setBusy] = useState(false);
  const abort = useRef<AbortController | null>(null);

  async function run() {
    abort.current = new AbortController();
    setBusy(true);
    setOutcome(undefined);
    setUsedDevice(undefined);
    setLogs([]);
    setProgress({ fraction: 0 });
    const onEvent = (e: TaskEvent) => {
      if (e.type === "progress") setProgress({ fraction: e.fraction, message: e.message });
      else if (e.type === "device") setUsedDevice(e.device);
      else if (e.type === "log") setLogs((l) => [...l, `${e.level}: ${e.message}`]);
    };
    const started = performance.now();
    const lines = texts.split("\n").map((t) => t.trim()).filter(Boolean);
    try {
      const result = await runtime.run(kind, { texts: lines, model, device }, { signal: abort.current.signal, onEvent });
      setOutcome({ result, seconds: (performance.now() - started) / 1000 });
    } catch (err) {
      setOutcome({ error: (err as Error).message });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel workbench-run" aria-label="Run a task in this tab">
      <h2>Run in this tab</h2>
      <div className="form-row">
        <label>
          Task kind{" "}
          <select value={kind} onChange={(e) => setKind(e.target.value)} data-testid="kind-select">
            {info.kinds.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        <label>
          Device{" "}
          <select value={device} onChange={(e) => setDevice(e.target.value as DeviceChoice)} data-testid="device-select">
            <option value="auto">auto</option>
            <option value="webgpu" disabled={!info.webgpu}>
              WebGPU
            </option>
            <option value="wasm">WASM</option>
          </select>
        </label>
        <label>
          Model <input value={model} onChange={(e) => setModel(e.target.value)} data-testid="model-input" size={16} />
        </label>
      </div>
      <label className="block">
        Texts, one per line
        <textarea value={texts} onChange={(e) => setTexts(e.target.value)} rows={6} data-testid="texts-input" />
      </label>
      <div className="form-row">
        <button className="button button-primary" onClick={run} disabled={busy} data-testid="run-task">
          Run {kind}
        </button>
        <button className="button" onClick={() => abort.current?.abort()} disabled={!busy}>
          Cancel
        </button>
      </div>
      {progress && (
        <div className="progress-line">
          <progress value={progress.fraction} max={1} aria-label="Progress" data-testid="task-progress" />
          <span className="muted">{progress.message}</span>
          {usedDevice && (
            <span className="badge badge-neutral" data-testid="task-device">
              ran on {usedDevice}
            </span>
          )}
        </div>
      )}
      {logs.length > 0 && <pre className="log-lines">{logs.join("\n")}</pre>}
      {outcome?.error && (
        <p className="feedback-error" data-testid="task-error">
          {outcome.error}
        </p>
      )}
      {outcome && "result" in outcome && <ResultView result={outcome.result} seconds={outcome.seconds} />}
    </section>
  );
}
