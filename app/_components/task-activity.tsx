"use client";
/**
 * A task running in this tab, as it goes: a progress bar with the kind's message, the device it
 * ran on, its log lines and its error. `useTaskActivity` turns the task's events into this state.
 */
import { useCallback, useState } from "react";
import type { TaskEvent } from "@/workers/browser/client";
import "./tasks.css";

export interface TaskActivityState {
  progress?: { fraction: number; message?: string };
  device?: string;
  logs: string[];
  error?: string;
}

export function useTaskActivity() {
  const [state, setState] = useState<TaskActivityState>({ logs: [] });
  const start = useCallback(() => setState({ logs: [], progress: { fraction: 0 } }), []);
  const onEvent = useCallback((e: TaskEvent) => {
    if (e.type === "progress") setState((s) => ({ ...s, progress: { fraction: e.fraction, message: e.message } }));
    else if (e.type === "device") setState((s) => ({ ...s, device: e.device }));
    else if (e.type === "log") setState((s) => ({ ...s, logs: [...s.logs, `${e.level}: ${e.message}`] }));
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
