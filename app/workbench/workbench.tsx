"use client";
/**
 * The workbench body: what this tab can run on (WebGPU adapter or WASM, cross-origin isolation),
 * a panel to run a task kind here, and the "Use this tab as a worker" toggle (not for viewers).
 */
import { RunPanel } from "./run-panel";
import { TabWorkerToggle } from "./tab-worker-toggle";
import "./workbench.css";
import { useTaskRuntime } from "@/app/_components/use-task-runtime";

export function Workbench({ canWork = true, workspace }: { canWork?: boolean; workspace: string }) {
  const { runtime, info, error } = useTaskRuntime();
  if (error) return <p className="feedback-error">{error}</p>;
  if (!runtime || !info) return <p className="muted" data-testid="runtime-loading">Starting the task worker…</p>;
  return (
    <>
      <section className="panel runtime-info" aria-label="This tab" data-testid="runtime-info">
        <p>
          <strong>WebGPU:</strong> <span data-testid="runtime-webgpu">{info.webgpu ? `yes — ${info.adapter}` : "no (WASM only)"}</span>
        </p>
        <p>
          <strong>WASM:</strong> {info.crossOriginIsolated ? "cross-origin isolated, multithreaded" : "not isolated, single-threaded"} ·{" "}
          {info.threads} cores
        </p>
        <p>
          <strong>Task kinds:</strong> {info.kinds.join(", ")}
        </p>
      </section>
      <RunPanel runtime={runtime} info={info} />
      {canWork ? <TabWorkerToggle runtime={runtime} info={info} workspace={workspace} /> : null}
    </>
  );
}
