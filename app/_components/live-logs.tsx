"use client";
/**
 * A run's log lines as they arrive (held by RunLive), filterable by level, task and text
 * (LogView). A finished run's page holds its first lines; "Load more" fetches the next ones,
 * in the order they were stored, as many times as there are more.
 */
import { useMemo, useState } from "react";
import { LogView, type LogLine } from "./log-view";
import { useRunLogs } from "./run-live";
import { useTRPCClient } from "./trpc-provider";

const MORE_PAGE = 1000;

export function LiveLogs({ runId, firstPage }: { runId: string; firstPage: number }) {
  const { logs, live } = useRunLogs();
  const client = useTRPCClient();
  const [more, setMore] = useState<LogLine[]>([]);
  const [state, setState] = useState<"idle" | "loading" | "done" | "failed">("idle");

  const lines = useMemo(() => {
    if (more.length === 0) return logs;
    const ids = new Set(logs.map((l) => l.id));
    return [...logs, ...more.filter((l) => !ids.has(l.id))].sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.id - b.id);
  }, [logs, more]);

  const loadMore = async () => {
    setState("loading");
    try {
      const afterId = lines.reduce((max, l) => Math.max(max, l.id), 0);
      const page = await client.logs.list.query({ flowRunId: runId, afterId, limit: MORE_PAGE });
      setMore((held) => [...held, ...page.items]);
      setState(page.items.length < MORE_PAGE ? "done" : "idle");
    } catch {
      setState("failed");
    }
  };

  // While live, new lines stream in on their own; a finished run may have more than its first page.
  const mayHaveMore = !live && lines.length >= firstPage && state !== "done";
  return (
    <>
      <LogView lines={lines} live={live} empty={`No logs yet. ${live ? "Lines appear here as the worker sends them." : "A worker sends them while the run executes."}`} />
      {mayHaveMore ? (
        <p className="log-more">
          <button type="button" className="button" onClick={loadMore} disabled={state === "loading"} data-testid="logs-load-more">
            {state === "loading" ? "Loading…" : "Load more lines"}
          </button>
          {state === "failed" ? <span className="feedback-error"> Could not load more lines; try again.</span> : null}
        </p>
      ) : null}
    </>
  );
}
