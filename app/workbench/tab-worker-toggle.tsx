"use client";
/**
 * "Use this tab as a worker": the tab joins a browser work pool, claims task-kind runs and runs
 * them in its Web Worker until switched off or closed. A closed tab says goodbye if it can; if
 * not, its runs come back through the zombie killer once its heartbeats stop.
 */
import { useEffect, useRef, useState } from "react";
import type { RuntimeInfo, TaskRuntime } from "@/workers/browser/client";
import { TabWorker, type TabWorkerStatus } from "@/workers/browser/tab-worker";

/** One name per tab, kept across reloads so a reloaded tab is the same worker. */
function tabWorkerName(): string {
  const key = "baton-tab-worker-name";
  let name = sessionStorage.getItem(key);
  if (!name) {
    name = `tab-${crypto.randomUUID().slice(0, 8)}`;
    sessionStorage.setItem(key, name);
  }
  return name;
}

function describe(status: TabWorkerStatus): string {
  switch (status.phase) {
    case "stopped":
      return status.error ? `Stopped: ${status.error}` : "Not a worker";
    case "starting":
      return "Joining the pool…";
    case "stopping":
      return "Leaving the pool…";
    case "idle":
      return `Waiting for runs · ${status.completed} completed`;
    case "running":
      return `Running ${status.kind} (${status.runName}) ${Math.round(status.progress * 100)}%${status.device ? ` on ${status.device}` : ""} · ${status.completed} completed`;
  }
}

export function TabWorkerToggle({ runtime, info, workspace }: { runtime: TaskRuntime; info: RuntimeInfo; workspace: string }) {
  const [pool, setPool] = useState("browser");
  const [status, setStatus] = useState<TabWorkerStatus>({ phase: "stopped" });
  const worker = useRef<TabWorker | null>(null);
  const on = status.phase !== "stopped" && status.phase !== "stopping";

  useEffect(() => {
    const onHide = () => worker.current?.goodbyeOnUnload();
    window.addEventListener("pagehide", onHide);
    return () => {
      window.removeEventListener("pagehide", onHide);
      void worker.current?.stop();
    };
  }, []);

  async function toggle() {
    if (worker.current) {
      const leaving = worker.current;
      worker.current = null;
      await leaving.stop();
      return;
    }
    const capabilities = { runtime: "browser", webgpu: info.webgpu, kinds: info.kinds };
    worker.current = new TabWorker({ runtime, pool, workspace, name: tabWorkerName(), capabilities, onStatus: setStatus });
    worker.current.start();
  }

  // A worker that stopped on its own (an error) can be switched on again.
  useEffect(() => {
    if (status.phase === "stopped" && status.error) worker.current = null;
  }, [status]);

  return (
    <section className="panel" aria-label="Tab as worker">
      <h2>Use this tab as a worker</h2>
      <p className="muted">
        The tab joins a <strong>browser</strong> work pool and runs deployments whose entrypoint is <code>kind:&lt;name&gt;</code>{" "}
        while it stays open. Runs that need a GPU for training go to Node/GPU pools instead.
      </p>
      <div className="tab-worker">
        <label>
          Work pool <input value={pool} onChange={(e) => setPool(e.target.value)} disabled={status.phase !== "stopped"} data-testid="tab-worker-pool" size={16} />
        </label>
        <label>
          <input type="checkbox" role="switch" checked={on} onChange={toggle} disabled={status.phase === "stopping"} aria-checked={on} data-testid="tab-worker-toggle" /> Use this
          tab as a worker
        </label>
        <span className={status.phase === "stopped" && status.error ? "feedback-error" : "muted"} data-testid="tab-worker-status" data-phase={status.phase}>
          {describe(status)}
        </span>
      </div>
      {status.phase === "running" && <progress value={status.progress} max={1} aria-label="Run progress" />}
    </section>
  );
}
