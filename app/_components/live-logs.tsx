"use client";
/**
 * A run's log lines as they arrive (held by RunLive). While the reader is at the bottom the view
 * follows new lines; scrolled up to read, it stays put.
 */
import { useEffect, useLayoutEffect, useRef } from "react";
import { levelName } from "@/app/_lib/format";
import { LocalTime } from "./local-time";
import { useRunLogs } from "./run-live";

export function LiveLogs() {
  const { logs, live } = useRunLogs();
  const box = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const onScroll = () => (atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24);
    el.addEventListener("scroll", onScroll, { passive: true });
    return () => el.removeEventListener("scroll", onScroll);
  }, []);

  useLayoutEffect(() => {
    const el = box.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [logs.length]);

  if (logs.length === 0) {
    return (
      <p className="muted" data-testid="logs-empty">
        No logs yet. {live ? "Lines appear here as the worker sends them." : "A worker sends them while the run executes."}
      </p>
    );
  }
  return (
    <div className="logs logs-scroll" ref={box} tabIndex={0} aria-label="Log lines">
      <table aria-label="Logs" data-testid="run-logs">
        <thead className="visually-hidden">
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Level</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody aria-live={live ? "polite" : undefined} aria-relevant="additions">
          {logs.map((log) => {
            const level = levelName(log.level);
            return (
              <tr key={log.id}>
                <td className="log-time">
                  <LocalTime iso={log.timestamp} seconds />
                </td>
                <td className={`log-level log-${level}`}>{level}</td>
                <td className="log-message">{log.message}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
