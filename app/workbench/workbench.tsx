"use client";
/**
 * The workbench body: what this tab can run on (WebGPU adapter or WASM, cross-origin isolation),
 * a panel to run a task kind here, and the "Use this tab as a worker" toggle.
 */
import { RunPanel } from "./run-panel";
import { TabWorkerToggle } from "./tab-worker-toggle";
import "./workbench.css";
import { useTaskRuntime } from "./use-runtime";

export function Workbench() {
  const { runtime, info, error } = useTaskRuntime();
  if (error) return <p className="feedback-error">{error}</p>;
  if (!runtime || !info) return <p className="muted" data-testid="runtime-loading">Starting the task worker…</p>;
  return (
    <>
      <section className="panel" aria-label="This tab" data-testid="runtime-info">
        <dl className="details">
          <dt>WebGPU</dt>
          <dd data-testid="runtime-webgpu">{info.webgpu ? `yes — ${info.adapter}` : "no (WASM only)"}</dd>
          <dt>Threads</dt>
          <dd>
            {info.crossOriginIsolated ? "cross-origin isolated: multithreaded WASM" : "not isolated: single-threaded WASM"} ·{" "}
            {info.threads} cores
          </dd>
          <dt>Task kinds</dt>
          <dd>{info.kinds.join(", ")}</dd>
        </dl>
      </section>
      <RunPanel runtime={runtime} info={info} />
      <TabWorkerToggle runtime={runtime} info={info} />
    </>
  );
}
