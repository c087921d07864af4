"use client";
/**
 * A flow run's task runs two ways, one tab each: the graph of their upstream links (what fed
 * what) and the timeline (when each ran). The graph's code (React Flow, dagre) loads only in the
 * browser, when its tab is shown.
 */
import dynamic from "next/dynamic";
import { useId, useState, type KeyboardEvent } from "react";
import { TaskTimeline } from "@/app/_components/task-timeline";
import { useTaskIndex } from "@/app/_components/task-index";
import { pluralise } from "@/app/_lib/format";

const TaskGraph = dynamic(() => import("./task-graph").then((m) => m.TaskGraph), {
  ssr: false,
  loading: () => (
    <div className="task-graph task-graph-loading muted" aria-busy="true">
      Laying out the graph…
    </div>
  ),
});

const VIEWS = [
  { key: "graph", label: "Graph" },
  { key: "timeline", label: "Timeline" },
] as const;
type View = (typeof VIEWS)[number]["key"];

export function TaskRunsView({ flowRun, now }: { flowRun: { startTime: string | null; endTime: string | null }; now: string }) {
  const { tasks } = useTaskIndex();
  const [view, setView] = useState<View>("graph");
  const id = useId();
  const links = tasks.reduce((n, t) => n + t.upstream.length, 0);

  // Arrow keys move between the tabs, as the ARIA tabs pattern has it.
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    const next = VIEWS[(VIEWS.findIndex((v) => v.key === view) + (e.key === "ArrowRight" ? 1 : VIEWS.length - 1)) % VIEWS.length]!;
    setView(next.key);
    document.getElementById(`${id}-tab-${next.key}`)?.focus();
  };

  return (
    <div className="task-runs-view">
      <div className="task-runs-bar">
        <div role="tablist" aria-label="Task runs view" className="view-tabs" onKeyDown={onKeyDown}>
          {VIEWS.map((v) => (
            <button
              key={v.key}
              id={`${id}-tab-${v.key}`}
              type="button"
              role="tab"
              aria-selected={view === v.key}
              aria-controls={`${id}-panel`}
              tabIndex={view === v.key ? 0 : -1}
              className={`view-tab${view === v.key ? " view-tab-active" : ""}`}
              onClick={() => setView(v.key)}
            >
              {v.label}
            </button>
          ))}
        </div>
        <span className="muted" data-testid="task-runs-count">
          {pluralise(tasks.length, "task run")}, {pluralise(links, "upstream link")}
        </span>
      </div>
      <div id={`${id}-panel`} role="tabpanel" aria-labelledby={`${id}-tab-${view}`}>
        {view === "graph" ? <TaskGraph /> : <TaskTimeline flowRun={flowRun} now={now} />}
      </div>
    </div>
  );
}
