"use client";
/**
 * The task runs of the flow run a page shows, sent to the browser once and read by every part
 * that needs them (the graph, the timeline, the log filter's task names).
 */
import { createContext, useContext, useMemo, type ReactNode } from "react";
import type { TaskSummary } from "@/app/_lib/task-summary";

interface TaskIndex {
  runId: string;
  tasks: TaskSummary[];
  byId: Map<string, TaskSummary>;
}

const TaskIndexContext = createContext<TaskIndex>({ runId: "", tasks: [], byId: new Map() });

export const useTaskIndex = () => useContext(TaskIndexContext);

export function TaskIndexProvider({ runId, tasks, children }: { runId: string; tasks: TaskSummary[]; children: ReactNode }) {
  const value = useMemo(() => ({ runId, tasks, byId: new Map(tasks.map((t) => [t.id, t])) }), [runId, tasks]);
  return <TaskIndexContext.Provider value={value}>{children}</TaskIndexContext.Provider>;
}
