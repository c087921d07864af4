"use client";
/**
 * Log lines with a filter by level and by task and a search over their text, all in the
 * browser over the lines the page holds (they arrive live; asking the server again on each key
 * would lose the stream's place). While the reader is at the bottom the view follows new lines;
 * scrolled up to read, it stays put. Many lines are windowed: one-line rows of fixed height,
 * the full text of a clicked line shown below the box.
 */
import { useDeferredValue, useEffect, useId, useLayoutEffect, useMemo, useState } from "react";
import { levelName } from "@/app/_lib/format";
import type { RouterOutputs } from "@/app/_lib/trpc-types";
import { LocalTime } from "./local-time";
import { useTaskIndex } from "./task-index";
import { useWindowedRows } from "./use-windowed-rows";

export type LogLine = RouterOutputs["logs"]["list"]["items"][number];

/** Height of a windowed row, in px (run-page.css sets the same). */
const ROW_HEIGHT = 20;
const LEVELS = [
  { value: 0, label: "All levels" },
  { value: 20, label: "Info and above" },
  { value: 30, label: "Warnings and errors" },
  { value: 40, label: "Errors only" },
];
/** The task filter's value for lines of the flow run itself (no task). */
const FLOW_ONLY = "flow";

export function LogView({ lines, live = false, empty, taskFilter = true }: { lines: LogLine[]; live?: boolean; empty: string; taskFilter?: boolean }) {
  const { byId } = useTaskIndex();
  const [minLevel, setMinLevel] = useState(0);
  const [task, setTask] = useState("");
  const [query, setQuery] = useState("");
  const [selected, setSelected] = useState<number | null>(null);
  const search = useDeferredValue(query.trim().toLowerCase());
  const id = useId();

  // The tasks that have lines here, by name: what the task filter offers.
  const tasks = useMemo(() => {
    const ids = new Set<string>();
    let flowLines = false;
    for (const l of lines) {
      if (l.taskRunId) ids.add(l.taskRunId);
      else flowLines = true;
    }
    const named = [...ids].map((taskId) => ({ id: taskId, name: byId.get(taskId)?.name ?? taskId.slice(0, 8) })).sort((a, b) => a.name.localeCompare(b.name));
    return { named, flowLines };
  }, [lines, byId]);

  const shown = useMemo(
    () =>
      lines.filter(
        (l) =>
          l.level >= minLevel &&
          (!task || (task === FLOW_ONLY ? !l.taskRunId : l.taskRunId === task)) &&
          (!search || l.message.toLowerCase().includes(search)),
      ),
    [lines, minLevel, task, search],
  );
  const filtered = shown.length !== lines.length;
  const rows = useWindowedRows({ count: shown.length, rowHeight: ROW_HEIGHT, threshold: 300 });
  const box = rows.ref;
  const [atBottom, setAtBottom] = useState(true);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const onScroll = () => setAtBottom(el.scrollHeight - el.scrollTop - el.clientHeight < 24);
    el.addEventListener("scroll", onScroll, { passive: true });
    return () => el.removeEventListener("scroll", onScroll);
  }, [box]);

  useLayoutEffect(() => {
    const el = box.current;
    if (el && atBottom) el.scrollTop = el.scrollHeight;
    // Follow new lines only; a change of filter keeps the reader where they are.
  }, [lines.length]);

  if (lines.length === 0) {
    return (
      <p className="muted" data-testid="logs-empty">
        {empty}
      </p>
    );
  }
  const chosen = selected === null ? undefined : shown.find((l) => l.id === selected);
  const showTask = taskFilter && tasks.named.length > 0;
  return (
    <div className="log-view">
      <div className="log-filters" role="search" aria-label="Filter logs">
        <label className="log-filter">
          <span>Level</span>
          <select value={minLevel} onChange={(e) => setMinLevel(Number(e.target.value))} aria-label="Level" data-testid="log-level-filter">
            {LEVELS.map((l) => (
              <option key={l.value} value={l.value}>
                {l.label}
              </option>
            ))}
          </select>
        </label>
        {showTask ? (
          <label className="log-filter">
            <span>Task</span>
            <select value={task} onChange={(e) => setTask(e.target.value)} aria-label="Task" data-testid="log-task-filter">
              <option value="">All tasks</option>
              {tasks.flowLines ? <option value={FLOW_ONLY}>The flow run itself</option> : null}
              {tasks.named.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <label className="log-filter log-search">
          <span>Search</span>
          <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Text in the message" aria-label="Search logs" data-testid="log-search" />
        </label>
        <span className="muted log-count" role="status" data-testid="log-count">
          {filtered ? `${shown.length.toLocaleString("en-US")} of ${lines.length.toLocaleString("en-US")} lines` : `${lines.length.toLocaleString("en-US")} ${lines.length === 1 ? "line" : "lines"}`}
        </span>
      </div>
      {shown.length === 0 ? (
        <p className="muted" data-testid="logs-none-match">
          No line matches these filters.
        </p>
      ) : null}
      <div className={`logs logs-scroll${rows.windowed ? " logs-windowed" : ""}${shown.length === 0 ? " visually-hidden" : ""}`} ref={box} tabIndex={0} aria-label="Log lines">
        <table aria-label="Logs" data-testid="run-logs">
          {rows.windowed ? (
            <colgroup>
              <col className="log-col-time" />
              <col className="log-col-level" />
              {showTask ? <col className="log-col-task" /> : null}
              <col />
            </colgroup>
          ) : null}
          <thead className="visually-hidden">
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Level</th>
              {showTask ? <th scope="col">Task</th> : null}
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody aria-live={live && !filtered ? "polite" : undefined} aria-relevant="additions">
            {rows.padTop ? <tr aria-hidden="true" className="log-spacer" style={{ height: rows.padTop }} /> : null}
            {shown.slice(rows.start, rows.end).map((log) => {
              const level = levelName(log.level);
              return (
                <tr
                  key={log.id}
                  data-level={level}
                  aria-selected={rows.windowed ? log.id === selected : undefined}
                  onClick={rows.windowed ? () => setSelected(log.id === selected ? null : log.id) : undefined}
                >
                  <td className="log-time">
                    <LocalTime iso={log.timestamp} seconds />
                  </td>
                  <td className={`log-level log-${level}`}>{level}</td>
                  {showTask ? <td className="log-task">{log.taskRunId ? (byId.get(log.taskRunId)?.name ?? "") : ""}</td> : null}
                  <td className="log-message" title={rows.windowed ? log.message : undefined}>
                    {log.message}
                  </td>
                </tr>
              );
            })}
            {rows.padBottom ? <tr aria-hidden="true" className="log-spacer" style={{ height: rows.padBottom }} /> : null}
          </tbody>
        </table>
      </div>
      {rows.windowed ? (
        chosen ? (
          <pre className="block log-selected" id={`${id}-selected`} data-testid="log-selected">
            {chosen.message}
          </pre>
        ) : (
          <p className="muted log-hint">Click a line to read it whole.</p>
        )
      ) : null}
    </div>
  );
}
