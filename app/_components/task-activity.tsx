"use client";
/**
 * A task as it runs (in this tab, or on a pool): a progress bar with the kind's message, the
 * device it ran on, its metrics as live curves, its log lines and its error. `useTaskActivity` turns the task's events into this state.
 */
import { useCallback, useState } from "react";
import { metricCharts } from "@/app/_lib/metrics";
import type { TaskEvent } from "@/workers/browser/client";
import { MetricChart } from "./metric-chart";
import "./tasks.css";

export interface TaskActivityState {
  progress?: { fraction: number; message?: string };
  device?: string;
  logs: string[];
  /** Metric points as they arrive (a training's loss and accuracy by epoch): drawn live. */
  metrics?: { name: string; value: number; step: number | null }[];
  error?: string;
}

export function useTaskActivity() {
  const [state, setState] = useState<TaskActivityState>({ logs: [] });
  const start = useCallback(() => setState({ logs: [], progress: { fraction: 0 } }), []);
  const onEvent = useCallback((e: TaskEvent) => {
    if (e.type === "progress") setState((s) => ({ ...s, progress: { fraction: e.fraction, message: e.message } }));
    else if (e.type === "device") setState((s) => ({ ...s, device: e.device }));
    else if (e.type === "log") setState((s) => ({ ...s, logs: [...s.logs, `${e.level}: ${e.message}`] }));
    else if (e.type === "metric") setState((s) => ({ ...s, metrics: [...(s.metrics ?? []), { name: e.name, value: e.value, step: e.step ?? null }] }));
  }, []);
  const fail = useCallback((error: string) => setState((s) => ({ ...s, error })), []);
  const reset = useCallback(() => setState({ logs: [] }), []);
  return { state, start, onEvent, fail, reset };
}

export function TaskActivity({ state }: { state: TaskActivityState }) {
  return (
    <>
      {state.progress && (
        <div className="progress-line">
          <progress value={state.progress.fraction} max={1} aria-label="Progress" data-testid="task-progress" />
          <span className="muted">{state.progress.message}</span>
          {state.device && (
            <span className="badge badge-neutral" data-testid="task-device">
              ran on {state.device}
            </span>
          )}
        </div>
      )}
      {state.metrics?.length ? (
        <div className="metric-grid" data-testid="live-metrics">
          {metricCharts(state.metrics.map((m) => ({ ...m, timestamp: null }))).map((chart) => (
            <MetricChart key={chart.title} chart={chart} />
          ))}
        </div>
      ) : null}
      {state.logs.length > 0 && (
        <pre className="log-lines" data-testid="task-logs">
          {state.logs.join("\n")}
        </pre>
      )}
      {state.error && (
        <p className="feedback-error" data-testid="task-error">
          {state.error}
        </p>
      )}
    </>
  );
}
